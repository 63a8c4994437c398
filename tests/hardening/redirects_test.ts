/**
 * Cross-origin redirects never carry `Authorization`: `Auth.fetch` follows 301, 302, 303, 307
 * and 308 to another port (a second loopback server), another host (`localhost` for
 * `127.0.0.1`) and another scheme (`https:`, answered by a recording underlying fetch, and back
 * down to `http:`), and only the first hop, on the API origin, gets the bearer token — whether
 * Latchkey added it or the caller set it.
 */

import { assertEquals } from "../assert.ts";
import { Auth } from "../../mod.ts";
import { CANARY, serve, type TestServer } from "./helpers.ts";

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

Deno.test("a redirect chain that comes back to the API origin sends the token only on API hops", async () => {
  await using api = server();
  await using other = server();
  const back = `${other.origin}/redirect/307?to=${encodeURIComponent(`${api.origin}/ok`)}`;
  const viaLocalhost = `http://localhost:${api.port}/redirect/308?to=${encodeURIComponent(back)}`;
  const hops = await follow(api.origin, 302, viaLocalhost, { apiOrigin: api.origin });
  assertEquals(hops.map((h) => [new URL(h.url).origin, h.authorization]), [
    [api.origin, `Bearer ${CANARY.token}`],
    [`http://localhost:${api.port}`, null],
    [other.origin, null],
    [api.origin, `Bearer ${CANARY.token}`],
  ]);
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
