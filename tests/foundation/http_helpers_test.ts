/**
 * The pure helpers, tested without a network: `Retry-After`, `WWW-Authenticate`, backoff with
 * full jitter, and JWT decoding (which never throws on untrusted input).
 */

import { fc } from "../test_deps.ts";
import { backoffDelay, parseRetryAfter } from "../../src/http/retry.ts";
import { parseWwwAuthenticate } from "../../src/http/www_authenticate.ts";
import { decodeJwt } from "../../src/jwt.ts";
import { Credential } from "../../src/credential.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { fakeJwt } from "../support/jwt.ts";

const NOW = Date.UTC(2025, 0, 1, 0, 0, 0);

Deno.test("parseRetryAfter reads delay-seconds as milliseconds", () => {
  assertEquals(parseRetryAfter("0", NOW), 0);
  assertEquals(parseRetryAfter("1", NOW), 1000);
  assertEquals(parseRetryAfter(" 120 ", NOW), 120_000);
});

Deno.test("parseRetryAfter reads an HTTP-date relative to now, never negative", () => {
  assertEquals(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", NOW), 30_000);
  assertEquals(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", NOW), 0);
});

Deno.test("parseRetryAfter turns garbage into undefined", () => {
  for (
    const value of [
      null,
      undefined,
      "",
      "soon",
      "-1",
      "1.5",
      "1e3",
      "9999999999",
      "Wed, 01 Jan 2025 00:00:30",
      "2025-01-01T00:00:30Z",
      "Wed, 99 Foo 2025 00:00:30 GMT",
    ]
  ) {
    assertEquals(parseRetryAfter(value, NOW), undefined, JSON.stringify(value));
  }
});

Deno.test("parseWwwAuthenticate reads a Bearer challenge with quoted parameters", () => {
  assertEquals(
    parseWwwAuthenticate(
      'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
    ),
    [{
      scheme: "bearer",
      params: {
        realm: "example",
        error: "invalid_token",
        error_description: "The access token expired",
      },
    }],
  );
});

Deno.test("parseWwwAuthenticate splits several challenges and lower-cases names", () => {
  assertEquals(
    parseWwwAuthenticate('Basic realm="simple", Bearer Realm="api", Scope="read write"'),
    [
      { scheme: "basic", params: { realm: "simple" } },
      { scheme: "bearer", params: { realm: "api", scope: "read write" } },
    ],
  );
  assertEquals(parseWwwAuthenticate("Negotiate, Bearer"), [
    { scheme: "negotiate", params: {} },
    { scheme: "bearer", params: {} },
  ]);
});

Deno.test("parseWwwAuthenticate unescapes quoted strings and keeps commas inside them", () => {
  assertEquals(
    parseWwwAuthenticate(
      String.raw`Bearer error_description="say \"no\", then a \\ backslash", error=bad`,
    ),
    [{
      scheme: "bearer",
      params: { error_description: 'say "no", then a \\ backslash', error: "bad" },
    }],
  );
});

Deno.test("parseWwwAuthenticate reads a token68 challenge", () => {
  assertEquals(parseWwwAuthenticate("Negotiate YIIB+w/ab==, Bearer realm=x"), [
    { scheme: "negotiate", params: { token68: "YIIB+w/ab==" } },
    { scheme: "bearer", params: { realm: "x" } },
  ]);
});

Deno.test("parseWwwAuthenticate returns no challenge for an empty header", () => {
  assertEquals(parseWwwAuthenticate(null), []);
  assertEquals(parseWwwAuthenticate(""), []);
  assertEquals(parseWwwAuthenticate("   ,  "), []);
});

Deno.test("parseWwwAuthenticate never throws on arbitrary input", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary-ascii", maxLength: 200 }), (header) => {
      const challenges = parseWwwAuthenticate(header);
      return Array.isArray(challenges) && challenges.every((c) => typeof c.scheme === "string");
    }),
    { numRuns: 1000 },
  );
});

Deno.test("backoffDelay stays within [0, min(cap, base * 2^attempt)]", () => {
  assertEquals(backoffDelay(0, { baseMs: 100 }, () => 0), 0);
  assertEquals(backoffDelay(0, { baseMs: 100 }, () => 0.999999), 99);
  assertEquals(backoffDelay(3, { baseMs: 100 }, () => 0.5), 400);
  assertEquals(backoffDelay(10, { baseMs: 100, capMs: 1000 }, () => 0.999999), 999);
  assertEquals(backoffDelay(1000, {}, () => 0.999999), 9999);
  fc.assert(
    fc.property(
      fc.nat(100),
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 60_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, baseMs, capMs, r) => {
        const d = backoffDelay(attempt, { baseMs, capMs }, () => r);
        return Number.isInteger(d) && d >= 0 && d < Math.min(capMs, baseMs * 2 ** attempt);
      },
    ),
  );
});

Deno.test("backoffDelay with the default random source is jittered", () => {
  const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4)));
  assert(delays.size > 10, `only ${delays.size} distinct delays`);
  for (const d of delays) assert(d >= 0 && d < 8000);
});

Deno.test("decodeJwt reads the header and claims of a valid JWT", () => {
  const token = fakeJwt({ sub: "alice", exp: 2_000_000_000, iat: 1_999_996_400, scope: "api" });
  assertEquals(decodeJwt(token), {
    header: { alg: "none", typ: "JWT" },
    payload: { sub: "alice", exp: 2_000_000_000, iat: 1_999_996_400, scope: "api" },
  });
});

Deno.test("decodeJwt returns undefined for an opaque token", () => {
  for (const token of ["opaque-token", "a.b", "a.b.c.d", "", "...", "ghp_abcdef0123456789"]) {
    assertEquals(decodeJwt(token), undefined, token);
  }
});

Deno.test("decodeJwt returns undefined for malformed segments", () => {
  const enc = (text: string) =>
    new TextEncoder().encode(text).toBase64({ alphabet: "base64url", omitPadding: true });
  const header = enc('{"alg":"none"}');
  for (
    const token of [
      `${header}.${enc("not json")}.sig`,
      `${header}.${enc("[1,2]")}.sig`,
      `${header}.${enc("null")}.sig`,
      `${header}.${enc('"text"')}.sig`,
      `${header}.!!!.sig`,
      `${header}.${enc('{"a":1}')}=.sig`,
      `${enc("{")}.${enc('{"a":1}')}.sig`,
      `.${enc('{"a":1}')}.sig`,
      `${header}..sig`,
      `${header}.${new Uint8Array([0xff, 0xfe, 0x7b]).toBase64({ alphabet: "base64url" })}.s`,
    ]
  ) {
    assertEquals(decodeJwt(token), undefined, token);
  }
});

Deno.test("decodeJwt drops claims of the wrong type instead of trusting them", () => {
  const decoded = decodeJwt(fakeJwt({ exp: "tomorrow", iat: null, sub: 42, iss: "x", aud: "y" }));
  assertEquals(decoded?.payload, { iss: "x", aud: "y" });
});

Deno.test("decodeJwt never throws on arbitrary input", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join(".")),
        fc.tuple(fc.json(), fc.json()).map(([h, p]) => fakeJwt({ h, p }).replace("e", "_")),
      ),
      (token) => {
        const decoded = decodeJwt(token);
        return decoded === undefined || typeof decoded.payload === "object";
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("an opaque token gets its lifetime from expires_at, a JWT from exp", () => {
  const opaque = new Credential({ accessToken: "opaque", issuedAt: 1000, expiresAt: 1600 });
  assertEquals([opaque.expiresAt, opaque.leeway(), opaque.payload], [1600, 300, undefined]);
  assertEquals([opaque.needsRefresh(undefined, 1299), opaque.needsRefresh(undefined, 1300)], [
    false,
    true,
  ]);
  const jwt = new Credential({ accessToken: fakeJwt({ sub: "bob", iat: 1000, exp: 1100 }) });
  assertEquals([jwt.expiresAt, jwt.issuedAt, jwt.leeway(), jwt.subject], [1100, 1000, 50, "bob"]);
  assertEquals([jwt.isExpired(1099), jwt.isExpired(1100)], [false, true]);
});
