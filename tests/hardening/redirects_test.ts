/**
 * Cross-origin redirects never carry `Authorization`: `Auth.fetch` follows 301, 302, 303, 307
 * and 308 to another port (a second loopback server), another host (`localhost` for
 * `127.0.0.1`) and another scheme (`https:`, answered by a recording underlying fetch, and back
 * down to `http:`), and only the first hop, on the API origin, gets the bearer token — whether
 * Latchkey added it or the caller set it. A chain that left the origin and comes back carries no
 * credential either, and a redirect to anything but `http:`/`https:` (`file:`, `data:`, …) is a
 * `TypeError` with nothing read and no part of the Location in the message.
 */

import { assertEquals, assertRejectsWith, assertStringIncludes } from "../support/assert.ts";
import { Auth } from "../../mod.ts";
import { errorText, leaksIn } from "./helpers.ts";
import { serve, type TestServer } from "../support/server.ts";
import { CANARIES, CANARY, canaryFile } from "../support/canary.ts";

/** A prefix no other test sets: other test files share this process's environment. */
const envPrefix = `LKREDIR${Deno.pid}_`;

const STATUSES = [301, 302, 303, 307, 308] as const;

interface Hop {
  url: string;
  authorization: string | null;
}

/** A loopback server: `/redirect/:status?to=URL` redirects, anything else answers `ok`. */
function server(): TestServer {
  return serve((request) => {
    const url = new URL(request.url);
    const match = /^\/redirect\/(\d{3})$/.exec(url.pathname);
    if (match) {
      return new Response(null, {
        status: Number(match[1]),
        headers: { location: url.searchParams.get("to")! },
      });
    }
    return new Response("ok");
  });
}

/**
 * The underlying fetch: records every hop as sent (URL and `Authorization`), answers `https:`
 * URLs itself (a redirect to `?to=` when asked, else `ok`), and passes `http:` to the network.
 */
function recordingFetch(hops: Hop[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    hops.push({ url: url.href, authorization: new Headers(init?.headers).get("authorization") });
    if (url.protocol === "https:") {
      const match = /^\/redirect\/(\d{3})$/.exec(url.pathname);
      if (match) {
        return new Response(null, {
          status: Number(match[1]),
          headers: { location: url.searchParams.get("to")! },
        });
      }
      return new Response("ok over tls");
    }
    return await fetch(input, init);
  };
}

async function follow(
  from: string,
  status: number,
  to: string,
  options: { apiOrigin: string; headers?: HeadersInit; method?: string },
): Promise<Hop[]> {
  const hops: Hop[] = [];
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: [options.apiOrigin],
    dotenv: false,
    envPrefix,
    fetch: recordingFetch(hops),
  });
  const response = await auth.fetch(`${from}/redirect/${status}?to=${encodeURIComponent(to)}`, {
    method: options.method ?? "GET",
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.method === "POST" ? { body: "payload" } : {}),
  });
  assertEquals(response.status, 200, `${status} to ${to}`);
  await response.body?.cancel();
  return hops;
}

for (
  const [target, where] of [
    ["port", "another port of 127.0.0.1"],
    ["host", "localhost instead of 127.0.0.1"],
    ["scheme", "https: on the same host and port"],
  ] as const
) {
  Deno.test(`301/302/303/307/308 redirects to ${where} arrive without Authorization`, async () => {
    await using api = server();
    await using other = server();
    const to = {
      port: `${other.origin}/ok`,
      host: `http://localhost:${api.port}/ok`,
      scheme: `https://127.0.0.1:${api.port}/ok`,
    }[target];
    for (const status of STATUSES) {
      for (const method of ["GET", "POST"]) {
        for (const own of [false, true]) {
          const hops = await follow(api.origin, status, to, {
            apiOrigin: api.origin,
            method,
            ...(own ? { headers: { authorization: `Bearer ${CANARY.envToken}` } } : {}),
          });
          const label = `${status} ${method}${own ? " with the caller's header" : ""}`;
          assertEquals(hops.map((h) => h.url), [
            `${api.origin}/redirect/${status}?to=${encodeURIComponent(to)}`,
            to,
          ], label);
          assertEquals(hops.map((h) => h.authorization), [
            `Bearer ${own ? CANARY.envToken : CANARY.token}`,
            null,
          ], label);
        }
      }
    }
  });
}

Deno.test("a redirect from an https: API origin down to http: on the same host arrives without Authorization", async () => {
  await using plain = server();
  const apiOrigin = `https://127.0.0.1:${plain.port}`;
  for (const status of STATUSES) {
    const hops = await follow(apiOrigin, status, `${plain.origin}/ok`, { apiOrigin });
    assertEquals(hops.map((h) => h.authorization), [`Bearer ${CANARY.token}`, null], `${status}`);
  }
});

Deno.test("a redirect chain that left the API origin sends no token when it comes back", async () => {
  await using api = server();
  await using other = server();
  const back = `${other.origin}/redirect/307?to=${encodeURIComponent(`${api.origin}/ok`)}`;
  const viaLocalhost = `http://localhost:${api.port}/redirect/308?to=${encodeURIComponent(back)}`;
  const hops = await follow(api.origin, 302, viaLocalhost, { apiOrigin: api.origin });
  assertEquals(hops.map((h) => [new URL(h.url).origin, h.authorization]), [
    [api.origin, `Bearer ${CANARY.token}`],
    [`http://localhost:${api.port}`, null],
    [other.origin, null],
    [api.origin, null],
  ]);
});

Deno.test("the caller's own Authorization and Cookie stay dropped when a chain returns to the origin", async () => {
  await using api = server();
  await using other = server();
  const seen: [string, string | null, string | null][] = [];
  const recording: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    seen.push([
      new URL(String(input)).origin,
      headers.get("authorization"),
      headers.get("cookie"),
    ]);
    return fetch(input, init);
  };
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: [api.origin],
    dotenv: false,
    envPrefix,
    fetch: recording,
  });
  for (const status of STATUSES) {
    seen.length = 0;
    const back = `${other.origin}/redirect/${status}?to=${encodeURIComponent(`${api.origin}/ok`)}`;
    const response = await auth.fetch(
      `${api.origin}/redirect/${status}?to=${encodeURIComponent(back)}`,
      { headers: { authorization: `Bearer ${CANARY.envToken}`, cookie: `sid=${CANARY.password}` } },
    );
    assertEquals(await response.text(), "ok");
    assertEquals(seen, [
      [api.origin, `Bearer ${CANARY.envToken}`, `sid=${CANARY.password}`],
      [other.origin, null, null],
      [api.origin, null, null],
    ], `${status}`);
  }
});

for (
  const [scheme, location] of [
    ["file:", (path: string) => `file://${path}`],
    ["data:", () => `data:text/plain,${CANARY.fileRefresh}`],
    ["ftp:", () => "ftp://127.0.0.1/secret"],
    ["javascript:", () => "javascript:alert(1)"],
    ["blob:", () => "blob:http://127.0.0.1/00000000-0000-0000-0000-000000000000"],
  ] as const
) {
  Deno.test(`a redirect to a ${scheme} URL is a TypeError as fetch has it, and nothing is read`, async () => {
    await using file = await canaryFile("latchkey-redirect-");
    await using api = server();
    const hops: string[] = [];
    const auth = new Auth({
      token: CANARY.token,
      apiOrigins: [api.origin],
      dotenv: false,
      envPrefix,
      fetch: (input, init) => {
        hops.push(String(input));
        return fetch(input, init);
      },
    });
    const to = encodeURIComponent(location(file.path));
    for (const status of STATUSES) {
      for (const method of ["GET", "POST", "PUT"]) {
        hops.length = 0;
        const error = await assertRejectsWith(
          () =>
            auth.fetch(`${api.origin}/redirect/${status}?to=${to}`, {
              method,
              ...(method === "GET" ? {} : { body: "payload" }),
            }),
          TypeError,
        );
        const label = `${status} ${method}`;
        assertEquals(hops, [`${api.origin}/redirect/${status}?to=${to}`], label);
        assertStringIncludes(error.message, `"${scheme}"`, label);
        assertStringIncludes(error.message, "Fetch failed", label);
        assertEquals(leaksIn(errorText(error), [...CANARIES, file.path]), [], label);
      }
    }
  });
}

Deno.test("a redirect to a file: URL through the runtime's own fetch reads nothing", async () => {
  await using file = await canaryFile("latchkey-redirect-");
  await using api = server();
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: [api.origin],
    dotenv: false,
    envPrefix,
  });
  const error = await assertRejectsWith(
    () => auth.fetch(`${api.origin}/redirect/302?to=${encodeURIComponent(`file://${file.path}`)}`),
    TypeError,
  );
  assertEquals(leaksIn(errorText(error), [...CANARIES, file.path]), []);
});

Deno.test("a redirect to a scheme the server made up names no part of the Location", async () => {
  // The server echoes the token where the scheme goes: `cnry-access-…:` is a valid scheme.
  await using api = serve((request) =>
    new Response(null, {
      status: 302,
      headers: { location: `${request.headers.get("authorization")!.slice(7)}:x` },
    })
  );
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: [api.origin],
    dotenv: false,
    envPrefix,
  });
  const error = await assertRejectsWith(() => auth.fetch(`${api.origin}/x`), TypeError);
  assertEquals(
    error.message,
    "Fetch failed: a redirect to a URL that is not http: or https: is not followed",
  );
  assertEquals(leaksIn(errorText(error)), []);
});

Deno.test("a Location that is not a URL is a TypeError that does not quote it", async () => {
  await using api = serve(() =>
    new Response(null, { status: 302, headers: { location: `http://[${CANARY.token}/` } })
  );
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: [api.origin],
    dotenv: false,
    envPrefix,
  });
  const error = await assertRejectsWith(() => auth.fetch(`${api.origin}/x`), TypeError);
  assertStringIncludes(error.message, "Fetch failed");
  assertEquals(leaksIn(errorText(error)), []);
});

Deno.test("a redirect between two API origins does not carry the first origin's token", async () => {
  await using a = server();
  await using b = server();
  const hops: Hop[] = [];
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: [a.origin, b.origin],
    dotenv: false,
    envPrefix,
    fetch: recordingFetch(hops),
  });
  for (const status of STATUSES) {
    hops.length = 0;
    const response = await auth.fetch(
      `${a.origin}/redirect/${status}?to=${encodeURIComponent(`${b.origin}/ok`)}`,
    );
    await response.body?.cancel();
    assertEquals(hops.map((h) => h.authorization), [`Bearer ${CANARY.token}`, null], `${status}`);
  }
});
