/**
 * The two origin checks that decide where `http:` and a token may go, against look-alikes a
 * loose match would let through: the loopback test of `src/url.ts` (anchored at both ends, so
 * `127.0.0.1.evil.example` is not loopback) and `assertAllowedOrigin` (exact origins, so
 * `https://api.example.org.evil.example` and `https://api.example.org:444` are not
 * `https://api.example.org`). The CLI's use of the second is tested in `cli_fetch_test.ts`.
 */

import { assertEquals, assertRejectsWith, assertThrowsWith } from "../support/assert.ts";
import { Auth, AuthError } from "../../mod.ts";
import { assertAllowedOrigin } from "../../src/url.ts";
import { isLoopback, normalizeIssuer, normalizeOrigin, secureUrl } from "../../src/url.ts";

/** A prefix no other test sets: other test files share this process's environment. */
const envPrefix = `LKORIGIN${Deno.pid}_`;

/** Host names that start like a loopback address and are not one (all valid in a URL). */
const URL_LOOK_ALIKES = [
  "127.0.0.1.evil.example",
  "127.0.0.1.nip.io",
  "localhost.evil.example",
  "127.0.0.1x",
] as const;

/**
 * Those, and host names that end like one: the URL parser refuses these (a last label that is a
 * number makes the host an IPv4 address), so only `isLoopback` sees them.
 */
const LOOK_ALIKES = [
  ...URL_LOOK_ALIKES,
  "evil.example.127.0.0.1",
  "x127.0.0.1",
  "evil-localhost",
  "1127.0.0.1",
] as const;

Deno.test("a host name that only starts or ends like a loopback address is not loopback", () => {
  assertEquals(LOOK_ALIKES.filter((host) => isLoopback(host)), []);
  assertEquals(
    ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"].filter((host) => !isLoopback(host)),
    [],
  );
});

Deno.test("http: on a loopback look-alike is refused with INSECURE_URL as issuer and API origin", () => {
  for (const host of URL_LOOK_ALIKES) {
    const url = `http://${host}/`;
    assertThrowsWith(() => secureUrl(url, "issuer"), AuthError, "INSECURE_URL");
    assertThrowsWith(() => normalizeIssuer(url), AuthError, "INSECURE_URL");
    assertThrowsWith(() => normalizeOrigin(url), AuthError, "INSECURE_URL");
  }
  assertEquals(normalizeOrigin("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080");
});

Deno.test("an Auth with an http: loopback look-alike issuer or API origin is refused with INSECURE_URL", async () => {
  const issuer = new Auth({
    issuer: "http://127.0.0.1.evil.example",
    clientId: "x",
    dotenv: false,
    envPrefix,
  });
  await assertRejectsWith(() => issuer.status(), AuthError, "INSECURE_URL");
  const api = new Auth({
    token: "t0k3n",
    apiOrigins: ["http://127.0.0.1.evil.example"],
    dotenv: false,
    envPrefix,
  });
  await assertRejectsWith(() => api.status(), AuthError, "INSECURE_URL");
});

Deno.test("assertAllowedOrigin takes exact origins only: a look-alike that a prefix match passes is refused", () => {
  const origins = ["https://api.example.org"];
  for (
    const url of [
      "https://api.example.org.evil.example/x",
      "https://api.example.org:444/x",
      "https://api.example.org@evil.example/x",
      "http://api.example.org/x",
      "https://evil.example/https://api.example.org/x",
    ]
  ) {
    assertThrowsWith(
      () => assertAllowedOrigin(new URL(url), origins),
      AuthError,
      "ORIGIN_NOT_ALLOWED",
    );
  }
  assertAllowedOrigin(new URL("https://API.example.org:443/v1"), origins);
});
