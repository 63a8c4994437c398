// The hot path of the fetch wrapper (a bare URL to an API origin with a token
// known valid) decides by a prefix match on "<origin>/": look-alike URLs must
// still get no token. Which path served a request shows in what the inner
// fetch is given: the hot path sends only the headers and `redirect`, the
// general path also the method it parsed.
import { assertEquals } from "../support/assert.ts";
import { Auth, Credential, MemoryStore } from "../../mod.ts";
import { createAuthFetch } from "../../src/fetch.ts";
import { NO_ENV_PREFIX } from "./helpers.ts";

/** What one request reached the inner fetch with. */
interface Seen {
  url: string;
  authorization: string | null;
  path: "hot" | "general";
}

function recorder() {
  const seen: Seen[] = [];
  let getTokenCalls = 0;
  const authFetch = createAuthFetch({
    apiOrigins: ["https://api.example.org"],
    cachedToken: () => "t0k3n",
    getToken: () => {
      getTokenCalls++;
      return Promise.resolve("t0k3n");
    },
    renew: () => Promise.resolve(undefined),
    fetch: (input, init) => {
      seen.push(observe(input, init));
      return Promise.resolve(new Response("ok"));
    },
  });
  return { seen, authFetch, getTokenCalls: () => getTokenCalls };
}

function observe(input: RequestInfo | URL, init: RequestInit | undefined): Seen {
  return {
    url: String(input),
    authorization: new Headers(init?.headers).get("authorization"),
    path: init !== undefined && !("method" in init) ? "hot" : "general",
  };
}

Deno.test("look-alike URLs of an API origin never get the token on the hot path", async () => {
  const { seen, authFetch } = recorder();
  const lookAlikes = [
    "https://api.example.org.evil.example/x",
    "https://api.example.org@evil.example/x",
    "https://api.example.org:8443/x",
    "http://api.example.org/x",
    "https://evil.example/https://api.example.org/x",
  ];
  await authFetch("https://api.example.org/x"); // the hot path is on: the origin takes it
  for (const url of lookAlikes) await authFetch(url);
  assertEquals(seen[0], {
    url: "https://api.example.org/x",
    authorization: "Bearer t0k3n",
    path: "hot",
  });
  assertEquals(
    seen.slice(1).map(({ authorization, path }) => [authorization, path]),
    lookAlikes.map(() => [null, "general"]),
  );
});

Deno.test("an API origin URL gets the token on the hot path, written in any case", async () => {
  const { seen, authFetch, getTokenCalls } = recorder();
  await authFetch("https://api.example.org/v1/me");
  await authFetch(new URL("https://API.example.org/v1/me"));
  await authFetch("https://API.example.org/v1/me");
  assertEquals(seen.map(({ authorization, path }) => [authorization, path]), [
    ["Bearer t0k3n", "hot"],
    ["Bearer t0k3n", "hot"],
    ["Bearer t0k3n", "hot"],
  ]);
  assertEquals(getTokenCalls(), 0, "the token known valid is used without asking for one");
});

Deno.test("a request with an init leaves the hot path and still gets the token", async () => {
  const { seen, authFetch } = recorder();
  await authFetch("https://api.example.org/v1/me", { method: "POST", body: "x" });
  assertEquals(seen.map(({ authorization, path }) => [authorization, path]), [
    ["Bearer t0k3n", "general"],
  ]);
});

Deno.test("Auth.fetch and token() on a fresh valid credential read the store once, never renew, and fetch takes the hot path", async () => {
  const store = new MemoryStore();
  const now = Date.now() / 1000;
  await store.write("default", new Credential({ accessToken: "t0k3n", expiresAt: now + 3600 }));
  let reads = 0;
  const read = store.read.bind(store);
  store.read = (key) => {
    reads++;
    return read(key);
  };
  let renewals = 0;
  const seen: Seen[] = [];
  const auth = new Auth({
    store,
    apiOrigins: ["https://api.example.org"],
    envPrefix: NO_ENV_PREFIX,
    dotenv: false,
    renewer: {
      canRenew: () => true,
      renew: () => {
        renewals++;
        return Promise.reject(new Error("no renewal expected"));
      },
    },
    fetch: (input, init) => {
      seen.push(observe(input, init));
      return Promise.resolve(new Response("ok"));
    },
  });
  assertEquals(await auth.token(), "t0k3n");
  for (let i = 0; i < 5; i++) await (await auth.fetch("https://api.example.org/v1/me")).text();
  assertEquals(await auth.token(), "t0k3n");
  assertEquals(reads, 1, "the credential is read once, then served from memory");
  assertEquals(renewals, 0);
  assertEquals(
    seen.map(({ authorization, path }) => [authorization, path]),
    Array(5).fill(["Bearer t0k3n", "hot"]),
  );
});
