/**
 * The authenticated fetch wrapper against local Hono servers on two loopback ports: the token
 * goes only to the listed origin, never across a redirect to another origin; one refresh and
 * retry on 401; retries of idempotent requests with `Retry-After`, bounded by `retries` and the
 * deadline; abort; `User-Agent`.
 */

import { Hono } from "hono";
import { Auth } from "../../src/auth.ts";
import { Credential } from "../../src/credential.ts";
import { AuthError, LoginRequiredError } from "../../src/errors.ts";
import { type AuthFetchOptions, createAuthFetch } from "../../src/fetch.ts";
import { assertAllowedOrigin } from "../../src/url.ts";
import type { Renewer } from "../../src/session.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { NO_ENV_PREFIX } from "./helpers.ts";
import { assert, assertEquals, assertRejectsWith, assertThrowsWith } from "../support/assert.ts";
import { serve, type TestServer } from "../support/server.ts";

/** What a server saw of one request. */
interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  cookie: string | null;
  userAgent: string | null;
  body: string;
}

interface Api extends TestServer {
  seen: Seen[];
}

const SLOW_MS = 5000;

/** No variable, `.env` or saved store of the machine (or of another test) reaches these `Auth`s. */
const isolated = () => ({
  envPrefix: NO_ENV_PREFIX,
  dotenv: false as const,
  store: new MemoryStore(),
});

/**
 * A Hono app that records every request. Routes:
 * - `/ok`: 200 `ok`
 * - `/redirect/:status?to=URL`: that redirect status to URL
 * - `/loop`: a redirect to itself
 * - `/protected?accept=TOKEN`: 200 when the bearer token is TOKEN, else 401
 * - `/echo?as=header|token|wrapped|part|cookie`: 401 with the request's Authorization, its
 *   token, the token in a longer word, a part of the token, or the Cookie as `error`
 * - `/flaky?fail=N&status=S&retry-after=V`: S (503) for the first N requests, then 200
 * - `/slow`: answers after 5 s, or at once when the server is being stopped
 */
function startApi(): Api {
  const seen: Seen[] = [];
  const counters = new Map<string, number>();
  const app = new Hono();
  app.use(async (c, next) => {
    seen.push({
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      authorization: c.req.header("authorization") ?? null,
      cookie: c.req.header("cookie") ?? null,
      userAgent: c.req.header("user-agent") ?? null,
      body: await c.req.text(),
    });
    await next();
  });
  app.all("/ok", (c) => c.text("ok"));
  app.all("/redirect/:status", (c) => {
    const status = Number(c.req.param("status")) as 301 | 302 | 303 | 307 | 308;
    return c.redirect(c.req.query("to")!, status);
  });
  app.all("/loop", (c) => c.redirect("/loop", 302));
  app.all("/echo", (c) => {
    // A server that echoes the request's Authorization, or a part of it, or the Cookie in `error`.
    const authorization = c.req.header("authorization") ?? "";
    const token = authorization.slice("Bearer ".length);
    const echoed = {
      header: authorization,
      token,
      wrapped: `bad_${token}`,
      part: token.slice(4),
      cookie: c.req.header("cookie") ?? "",
    }[c.req.query("as")!];
    c.header("www-authenticate", `Bearer realm="api", error="${echoed}"`);
    return c.text("no", 401);
  });
  app.all("/protected", (c) => {
    if (c.req.header("authorization") === `Bearer ${c.req.query("accept")}`) return c.text("in");
    c.header("www-authenticate", 'Bearer realm="api", error="invalid_token"');
    return c.text("no", 401);
  });
  app.all("/flaky", (c) => {
    const key = c.req.query("key") ?? "flaky";
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    if (n <= Number(c.req.query("fail") ?? "1")) {
      const retryAfter = c.req.query("retry-after");
      if (retryAfter !== undefined) c.header("retry-after", retryAfter);
      return c.text("busy", Number(c.req.query("status") ?? "503") as 503);
    }
    return c.text(`ok after ${n}`);
  });
  const pending = new Set<() => void>();
  app.all("/slow", async (c) => {
    await new Promise<void>((resolve) => {
      const release = () => {
        clearTimeout(timer);
        pending.delete(release);
        resolve();
      };
      const timer = setTimeout(release, SLOW_MS);
      pending.add(release);
    });
    return c.text("late");
  });
  const server = serve(app.fetch);
  return Object.assign(server, {
    seen,
    async [Symbol.asyncDispose]() {
      for (const release of [...pending]) release();
      await server.close();
    },
  });
}

function fakeAuthFetch(
  api: Api,
  overrides: Partial<AuthFetchOptions> = {},
): { fetch: ReturnType<typeof createAuthFetch>; renewals: string[]; gets: number[] } {
  const renewals: string[] = [];
  const gets: number[] = [];
  const fetch = createAuthFetch({
    apiOrigins: [api.origin],
    getToken: () => {
      gets.push(1);
      return Promise.resolve("old");
    },
    renew: (rejected) => {
      renewals.push(rejected);
      return Promise.resolve("new");
    },
    backoff: { baseMs: 1, capMs: 5 },
    ...overrides,
  });
  return { fetch, renewals, gets };
}

Deno.test("the token goes to the listed origin and not to another port of 127.0.0.1", async () => {
  await using api = startApi();
  await using other = startApi();
  const auth = new Auth({ token: "t0k3n", apiOrigins: [api.origin], ...isolated() });
  for (const server of [api, other]) {
    const response = await auth.fetch(`${server.origin}/ok`);
    assertEquals([response.status, await response.text()], [200, "ok"]);
  }
  const localhost = await auth.fetch(`http://localhost:${api.port}/ok`);
  await localhost.body?.cancel();
  assertEquals(api.seen.map((s) => s.authorization), ["Bearer t0k3n", null]);
  assertEquals(other.seen.map((s) => s.authorization), [null]);
});

Deno.test("a URL object and a Request carry the token and keep method, headers and body", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  await (await fetch(new URL(`${api.origin}/ok`))).body?.cancel();
  const request = new Request(`${api.origin}/ok`, {
    method: "PUT",
    headers: { "x-one": "1", cookie: "a=b" },
    body: "payload",
  });
  await (await fetch(request, { headers: { "x-two": "2" } })).body?.cancel();
  assertEquals(api.seen.map((s) => [s.method, s.authorization, s.cookie, s.body]), [
    ["GET", "Bearer old", null, ""],
    ["PUT", "Bearer old", "a=b", "payload"],
  ]);
});

Deno.test("a caller's own Authorization header is sent as is, without a token lookup", async () => {
  await using api = startApi();
  const { fetch, gets } = fakeAuthFetch(api);
  await (await fetch(`${api.origin}/ok`, { headers: { authorization: "Basic eDp5" } })).text();
  assertEquals(api.seen[0]?.authorization, "Basic eDp5");
  assertEquals(gets.length, 0);
});

for (const status of [301, 302, 303, 307, 308]) {
  Deno.test(`a ${status} redirect to another origin arrives without Authorization or Cookie`, async () => {
    await using api = startApi();
    await using other = startApi();
    const { fetch } = fakeAuthFetch(api);
    const to = encodeURIComponent(`${other.origin}/ok`);
    const response = await fetch(`${api.origin}/redirect/${status}?to=${to}`, {
      headers: { cookie: "session=secret-cookie", "x-keep": "1" },
    });
    assertEquals([response.status, await response.text()], [200, "ok"]);
    assertEquals(response.url, `${other.origin}/ok`);
    assertEquals(api.seen.map((s) => [s.authorization, s.cookie]), [
      ["Bearer old", "session=secret-cookie"],
    ]);
    assertEquals(other.seen.map((s) => [s.path, s.authorization, s.cookie]), [
      ["/ok", null, null],
    ]);
  });
}

Deno.test("a 307 redirect of a POST to another origin keeps method and body, drops the token", async () => {
  await using api = startApi();
  await using other = startApi();
  const { fetch } = fakeAuthFetch(api);
  const to = encodeURIComponent(`${other.origin}/ok`);
  const response = await fetch(`${api.origin}/redirect/307?to=${to}`, {
    method: "POST",
    body: "data",
  });
  await response.body?.cancel();
  assertEquals(other.seen.map((s) => [s.method, s.body, s.authorization]), [
    ["POST", "data", null],
  ]);
});

Deno.test("a 302 redirect of a POST becomes a GET without body, as fetch does", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const to = encodeURIComponent(`${api.origin}/ok`);
  const response = await fetch(`${api.origin}/redirect/302?to=${to}`, {
    method: "POST",
    body: "data",
    headers: { "content-type": "text/plain" },
  });
  await response.body?.cancel();
  assertEquals(api.seen.map((s) => [s.method, s.body]), [["POST", "data"], ["GET", ""]]);
});

Deno.test("a same-origin redirect keeps the token and the cookie", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const response = await fetch(`${api.origin}/redirect/302?to=/ok`, {
    headers: { cookie: "session=1" },
  });
  assertEquals(await response.text(), "ok");
  assertEquals(api.seen.map((s) => [s.path, s.authorization, s.cookie]), [
    ["/redirect/302", "Bearer old", "session=1"],
    ["/ok", "Bearer old", "session=1"],
  ]);
});

Deno.test("a redirect away and back again sends the token only before the chain left the origin", async () => {
  await using api = startApi();
  await using other = startApi();
  const { fetch } = fakeAuthFetch(api);
  const back = `${other.origin}/redirect/302?to=${encodeURIComponent(`${api.origin}/ok`)}`;
  const response = await fetch(`${api.origin}/redirect/302?to=${encodeURIComponent(back)}`, {
    headers: { cookie: "session=1" },
  });
  assertEquals(await response.text(), "ok");
  assertEquals(other.seen.map((s) => [s.authorization, s.cookie]), [[null, null]]);
  assertEquals(api.seen.map((s) => [s.path, s.authorization, s.cookie]), [
    ["/redirect/302", "Bearer old", "session=1"],
    ["/ok", null, null],
  ]);
});

Deno.test("a redirect from an unlisted origin into the API origin carries no token", async () => {
  await using api = startApi();
  await using other = startApi();
  const { fetch, gets } = fakeAuthFetch(api);
  const to = encodeURIComponent(`${api.origin}/ok`);
  await (await fetch(`${other.origin}/redirect/302?to=${to}`)).text();
  assertEquals(api.seen.map((s) => s.authorization), [null]);
  assertEquals(gets.length, 0);
});

Deno.test("more than 20 redirects is a TypeError, as fetch has it", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const error = await assertRejectsWith(
    () => fetch(`${api.origin}/loop`),
    TypeError,
  );
  assertEquals(error.message, "Fetch failed: more than 20 redirects");
  assertEquals(api.seen.length, 21);
});

Deno.test("redirect: manual returns the redirect and redirect: error throws TypeError", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const manual = await fetch(`${api.origin}/redirect/302?to=/ok`, { redirect: "manual" });
  await manual.body?.cancel();
  assertEquals([manual.status, manual.headers.get("location")], [302, "/ok"]);
  await assertRejectsWith(
    () => fetch(`${api.origin}/redirect/302?to=/ok`, { redirect: "error" }),
    TypeError,
  );
});

Deno.test("a 401 leads to one renewal and one retry that succeeds", async () => {
  await using api = startApi();
  const { fetch, renewals } = fakeAuthFetch(api);
  const response = await fetch(`${api.origin}/protected?accept=new`);
  assertEquals([response.status, await response.text()], [200, "in"]);
  assertEquals(renewals, ["old"]);
  assertEquals(api.seen.map((s) => s.authorization), ["Bearer old", "Bearer new"]);
});

Deno.test("a 401 twice throws LoginRequiredError after exactly one renewal", async () => {
  await using api = startApi();
  const { fetch, renewals } = fakeAuthFetch(api);
  const error = await assertRejectsWith(
    () => fetch(`${api.origin}/protected?accept=never`),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assertEquals(
    error.message,
    `Request to ${api.origin} was refused with 401 after a token refresh: the server said "invalid_token"`,
  );
  assertEquals(renewals, ["old"]);
  assertEquals(api.seen.length, 2);
});

Deno.test("a 401 whose Bearer error echoes the token does not put the token in the message", async () => {
  await using api = startApi();
  // Tokens shaped like error codes, so that only the check for the token itself stops them.
  const { fetch } = fakeAuthFetch(api, {
    getToken: () => Promise.resolve("tok_fjqkzvxwmbnp"),
    renew: () => Promise.resolve("tok_renewed_qzxvhg"),
  });
  const { fetch: unrenewable } = fakeAuthFetch(api, {
    getToken: () => Promise.resolve("tok_fjqkzvxwmbnp"),
    renew: () => Promise.resolve(undefined),
  });
  const init = { headers: { cookie: "sid_4d3c2b1a0f9e" } };
  const echoes = ["header", "token", "wrapped", "part", "cookie"];
  for (const as of echoes) {
    const refreshed = await assertRejectsWith(
      () => fetch(`${api.origin}/echo?as=${as}`, init),
      LoginRequiredError,
      "LOGIN_REQUIRED",
    );
    assertEquals(
      refreshed.message,
      `Request to ${api.origin} was refused with 401 after a token refresh`,
      as,
    );
    const refused = await assertRejectsWith(
      () => unrenewable(`${api.origin}/echo?as=${as}`, init),
      LoginRequiredError,
      "LOGIN_REQUIRED",
    );
    assertEquals(
      refused.message,
      `Request to ${api.origin} was refused with 401 and the token cannot be renewed`,
      as,
    );
  }
  assertEquals(api.seen.length, echoes.length * 3);
});

Deno.test("a 401 with nothing to renew from throws LoginRequiredError at once", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api, { renew: () => Promise.resolve(undefined) });
  await assertRejectsWith(
    () => fetch(`${api.origin}/protected?accept=new`),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assertEquals(api.seen.length, 1);
});

Deno.test("a 401 to a streamed body renews the token but returns the 401 unreplayed", async () => {
  await using api = startApi();
  const { fetch, renewals } = fakeAuthFetch(api);
  const response = await fetch(`${api.origin}/protected?accept=new`, {
    method: "PUT",
    body: ReadableStream.from([new TextEncoder().encode("streamed")]),
  });
  await response.body?.cancel();
  assertEquals(response.status, 401);
  assertEquals(renewals, ["old"]);
  assertEquals(api.seen.map((s) => [s.authorization, s.body]), [["Bearer old", "streamed"]]);
});

Deno.test("a 401 from an unlisted origin is returned as is", async () => {
  await using api = startApi();
  await using other = startApi();
  const { fetch, renewals } = fakeAuthFetch(api);
  const response = await fetch(`${other.origin}/protected?accept=x`);
  await response.body?.cancel();
  assertEquals(response.status, 401);
  assertEquals(renewals, []);
});

Deno.test("Auth.fetch renews through a custom renewer once on 401 and retries", async () => {
  await using api = startApi();
  let renewals = 0;
  const renewer: Renewer = {
    canRenew: () => true,
    renew: () => {
      renewals++;
      return Promise.resolve(new Credential({ accessToken: "renewed", expiresAt: 4e9 }));
    },
  };
  const auth = new Auth({
    token: "stale",
    renewer,
    apiOrigins: [api.origin],
    ...isolated(),
  });
  const response = await auth.fetch(`${api.origin}/protected?accept=renewed`);
  assertEquals([response.status, await response.text()], [200, "in"]);
  assertEquals(renewals, 1);
  assertEquals(await auth.token(), "renewed");
  assertEquals(api.seen.map((s) => s.authorization), ["Bearer stale", "Bearer renewed"]);

  const again = await auth.fetch(`${api.origin}/protected?accept=renewed`);
  await again.body?.cancel();
  assertEquals(renewals, 1, "a good token is not renewed again");
});

Deno.test("Auth.fetch throws LoginRequiredError when the server refuses the renewed token too", async () => {
  await using api = startApi();
  let renewals = 0;
  const auth = new Auth({
    token: "stale",
    renewer: {
      canRenew: () => true,
      renew: () => {
        renewals++;
        return Promise.resolve(new Credential({ accessToken: `renewed-${renewals}` }));
      },
    },
    apiOrigins: [api.origin],
    ...isolated(),
  });
  await assertRejectsWith(
    () => auth.fetch(`${api.origin}/protected?accept=never`),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assertEquals(renewals, 1);
  assertEquals(api.seen.map((s) => s.authorization), ["Bearer stale", "Bearer renewed-1"]);
});

Deno.test("a 503 with Retry-After: 1 is retried after a second and then succeeds", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const started = performance.now();
  const response = await fetch(`${api.origin}/flaky?fail=1&retry-after=1`);
  const elapsed = performance.now() - started;
  assertEquals([response.status, await response.text()], [200, "ok after 2"]);
  assert(elapsed >= 950 && elapsed < 10_000, `waited ${elapsed} ms`);
  assertEquals(api.seen.length, 2);
});

Deno.test("429, 502 and 504 are retried for a GET", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  for (const status of [429, 502, 504]) {
    const response = await fetch(`${api.origin}/flaky?key=${status}&status=${status}&fail=2`);
    assertEquals([response.status, await response.text()], [200, "ok after 3"]);
  }
});

Deno.test("a POST is not retried on 503", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const response = await fetch(`${api.origin}/flaky?fail=1&retry-after=0`, {
    method: "POST",
    body: "once",
  });
  assertEquals([response.status, await response.text()], [503, "busy"]);
  assertEquals(api.seen.length, 1);
});

Deno.test("retries are bounded by the retries option", async () => {
  await using api = startApi();
  for (const retries of [0, 1, 3]) {
    const { fetch } = fakeAuthFetch(api, { retries });
    const response = await fetch(`${api.origin}/flaky?key=r${retries}&fail=100&retry-after=0`);
    assertEquals([response.status, await response.text()], [503, "busy"]);
  }
  assertEquals(api.seen.length, 1 + 2 + 4);
});

Deno.test("a Retry-After beyond the deadline returns the 503 without waiting", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api, { timeout: 1 });
  const started = performance.now();
  const response = await fetch(`${api.origin}/flaky?fail=1&retry-after=30`);
  await response.body?.cancel();
  assertEquals(response.status, 503);
  assert(performance.now() - started < 5000, "no 30 s wait");
  assertEquals(api.seen.length, 1);
});

Deno.test("a network error is retried for a GET, within the retries", async () => {
  await using api = startApi();
  let failures = 0;
  const flaky: typeof fetch = (input, init) => {
    if (failures++ < 2) return Promise.reject(new TypeError("connection reset"));
    return fetch(input, init);
  };
  const { fetch: authFetch } = fakeAuthFetch(api, { fetch: flaky });
  assertEquals(await (await authFetch(`${api.origin}/ok`)).text(), "ok");
  assertEquals(failures, 3);

  failures = -100;
  const { fetch: once } = fakeAuthFetch(api, { fetch: flaky, retries: 2 });
  await assertRejectsWith(() => once(`${api.origin}/ok`), TypeError);
  assertEquals(failures, -97);
});

Deno.test("an abort during a slow response rejects with an AbortError", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 50);
  const error = await assertRejectsWith(
    () => fetch(`${api.origin}/slow`, { signal: controller.signal }),
    DOMException,
  );
  assertEquals(error.name, "AbortError");
  assert(performance.now() - started < SLOW_MS - 500, "not the whole slow response");
});

Deno.test("an abort during a Retry-After wait rejects with an AbortError", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const started = performance.now();
  const error = await assertRejectsWith(
    () => fetch(`${api.origin}/flaky?fail=1&retry-after=5`, { signal: controller.signal }),
    DOMException,
  );
  assertEquals(error.name, "AbortError");
  assert(performance.now() - started < 4500, "not the whole 5 s Retry-After");
  assertEquals(api.seen.length, 1);
});

Deno.test("an already aborted signal sends nothing", async () => {
  await using api = startApi();
  const { fetch } = fakeAuthFetch(api);
  const error = await assertRejectsWith(
    () => fetch(`${api.origin}/ok`, { signal: AbortSignal.abort() }),
    DOMException,
  );
  assertEquals(error.name, "AbortError");
  assertEquals(api.seen.length, 0);
});

Deno.test("the userAgent option sets User-Agent unless the caller set one", async () => {
  await using api = startApi();
  const auth = new Auth({
    token: "t",
    apiOrigins: [api.origin],
    userAgent: "my-app/1.0",
    ...isolated(),
  });
  await (await auth.fetch(`${api.origin}/ok`)).text();
  await (await auth.fetch(`${api.origin}/ok`, { headers: { "user-agent": "mine/2" } })).text();
  assertEquals(api.seen.map((s) => s.userAgent), ["my-app/1.0", "mine/2"]);
});

Deno.test("assertAllowedOrigin refuses an origin outside the list with ORIGIN_NOT_ALLOWED", () => {
  assertAllowedOrigin(new URL("http://127.0.0.1:8080/x"), ["http://127.0.0.1:8080"]);
  const error = assertThrowsWith(
    () => assertAllowedOrigin(new URL("http://127.0.0.1:8081/x"), ["http://127.0.0.1:8080"]),
    AuthError,
    "ORIGIN_NOT_ALLOWED",
  );
  assertEquals(
    error.message,
    `Refusing to send a token to "http://127.0.0.1:8081": not one of the profile's API origins`,
  );
});
