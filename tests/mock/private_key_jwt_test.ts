// The mock provider's private_key_jwt client authentication (RFC 7523 §2.2): a client with
// registered public keys authenticates with a signed assertion, through openid-client's
// PrivateKeyJwt as a real client would; hand-made assertions for the refusals.

import * as oc from "openid-client";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";

async function keyPair(): Promise<{ pair: CryptoKeyPair; kid: string }> {
  const pair = await generateKeyPair("ES256", { extractable: true }) as CryptoKeyPair;
  return { pair, kid: crypto.randomUUID() };
}

async function keyedProvider(key: { pair: CryptoKeyPair; kid: string }): Promise<MockProvider> {
  const jwk = { ...await exportJWK(key.pair.publicKey), kid: key.kid, alg: "ES256" };
  return await startMockProvider({
    clients: [{ clientId: "keyed", jwks: [jwk], grants: ["client_credentials"], scope: "api" }],
  });
}

function assertion(
  key: CryptoKey,
  claims: Record<string, unknown>,
  kid?: string,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID(), iat: now, exp: now + 60, ...claims })
    .setProtectedHeader({ alg: "ES256", ...(kid === undefined ? {} : { kid }) })
    .sign(key);
}

function tokenRequest(provider: MockProvider, form: Record<string, string>) {
  return fetch(`${provider.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", ...form }),
  });
}

Deno.test("mock private_key_jwt: openid-client's PrivateKeyJwt gets a client credentials token with no secret", async () => {
  const key = await keyPair();
  await using provider = await keyedProvider(key);
  const config = await oc.discovery(
    provider.url,
    "keyed",
    undefined,
    oc.PrivateKeyJwt({ key: key.pair.privateKey, kid: key.kid }),
    { execute: [oc.allowInsecureRequests] },
  );
  const tokens = await oc.clientCredentialsGrant(config, { scope: "api" });
  assertEquals(tokens.token_type, "bearer");
  const api = await fetch(`${provider.apiUrl}/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assertEquals((await api.json()).sub, "keyed");
});

Deno.test("mock private_key_jwt: a replayed, foreign, misaddressed, long-lived or secret-based authentication is invalid_client", async () => {
  const key = await keyPair();
  await using provider = await keyedProvider(key);
  const type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  const mine = { iss: "keyed", sub: "keyed", aud: provider.issuer };
  const good = await assertion(key.pair.privateKey, mine, key.kid);
  const first = await tokenRequest(provider, {
    client_assertion_type: type,
    client_assertion: good,
  });
  assertEquals(first.status, 200);
  await first.body?.cancel();

  const other = await keyPair();
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, Record<string, string>][] = [
    ["replayed", { client_assertion_type: type, client_assertion: good }],
    ["another key", {
      client_assertion_type: type,
      client_assertion: await assertion(other.pair.privateKey, mine, key.kid),
    }],
    ["another audience", {
      client_assertion_type: type,
      client_assertion: await assertion(key.pair.privateKey, {
        ...mine,
        aud: "https://elsewhere.example",
      }, key.kid),
    }],
    ["an hour-long assertion", {
      client_assertion_type: type,
      client_assertion: await assertion(key.pair.privateKey, { ...mine, exp: now + 3600 }, key.kid),
    }],
    ["an expired assertion", {
      client_assertion_type: type,
      client_assertion: await assertion(key.pair.privateKey, { ...mine, exp: now - 10 }, key.kid),
    }],
    ["sub differs from iss", {
      client_assertion_type: type,
      client_assertion: await assertion(key.pair.privateKey, { ...mine, sub: "x" }, key.kid),
    }],
    ["a wrong assertion type", {
      client_assertion_type: "urn:example:other",
      client_assertion: await assertion(key.pair.privateKey, mine, key.kid),
    }],
    ["a secret instead", { client_id: "keyed", client_secret: "guess" }],
    ["nothing at all", { client_id: "keyed" }],
  ];
  for (const [what, form] of cases) {
    const response = await tokenRequest(provider, form);
    const body = await response.json();
    assertEquals([response.status, body.error], [401, "invalid_client"], what);
  }
});

Deno.test("mock private_key_jwt: a client registered with a private key is refused at start", async () => {
  const error = await assertRejects(
    () =>
      startMockProvider({
        clients: [{
          clientId: "leaky",
          jwks: [{ kty: "EC", crv: "P-256", x: "x", y: "y", d: "d" }],
        }],
      }),
    TypeError,
  );
  assertStringIncludes(error.message, 'client "leaky" lists a private or secret key in "jwks"');
});
