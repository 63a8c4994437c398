// The hot path of the fetch wrapper decides by a prefix match on "<origin>/":
// look-alike URLs must still get no token.
import { assertEquals } from "../assert.ts";
import { createAuthFetch } from "../../src/fetch.ts";

function recorder() {
  const seen: [string, string | null][] = [];
  const authFetch = createAuthFetch({
    apiOrigins: ["https://api.example.org"],
    cachedToken: () => "t0k3n",
    getToken: () => Promise.resolve("t0k3n"),
    renew: () => Promise.resolve(undefined),
    fetch: (input, init) => {
      seen.push([String(input), new Headers(init?.headers).get("authorization")]);
      return Promise.resolve(new Response("ok"));
    },
  });
  return { seen, authFetch };
}

Deno.test("look-alike URLs of an API origin never get the token on the hot path", async () => {
  const { seen, authFetch } = recorder();
  for (
    const url of [
      "https://api.example.org.evil.example/x",
      "https://api.example.org@evil.example/x",
      "https://api.example.org:8443/x",
      "http://api.example.org/x",
      "https://evil.example/https://api.example.org/x",
    ]
  ) await authFetch(url);
  assertEquals(seen.map(([, auth]) => auth), [null, null, null, null, null]);
});

Deno.test("an API origin URL gets the token on the hot path, written in any case", async () => {
  const { seen, authFetch } = recorder();
  await authFetch("https://api.example.org/v1/me");
  await authFetch(new URL("https://API.example.org/v1/me"));
  assertEquals(seen.map(([, auth]) => auth), ["Bearer t0k3n", "Bearer t0k3n"]);
});
