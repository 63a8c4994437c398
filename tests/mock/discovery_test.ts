// The mock provider, as openid-client and plain HTTP see it. Discovery: the OpenID and RFC 8414
// documents, their `discovery` option, and the JWKS.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { decodeJwt, DEVICE_GRANT, discover, json, post } from "./helpers.ts";

Deno.test("openid-client discovers every endpoint from the OpenID document", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const issuer = provider.issuer;
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, issuer);
  assert.equal(metadata.authorization_endpoint, `${issuer}/authorize`);
  assert.equal(metadata.token_endpoint, `${issuer}/token`);
  assert.equal(metadata.device_authorization_endpoint, `${issuer}/device_authorization`);
  assert.equal(metadata.revocation_endpoint, `${issuer}/revoke`);
  assert.equal(metadata.userinfo_endpoint, `${issuer}/userinfo`);
  assert.equal(metadata.jwks_uri, `${issuer}/jwks`);
  assert.deepEqual(metadata.response_types_supported, ["code"]);
  assert.deepEqual(metadata.grant_types_supported, [
    "authorization_code",
    DEVICE_GRANT,
    "refresh_token",
    "client_credentials",
    "password",
  ]);
  assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
  assert.deepEqual(metadata.token_endpoint_auth_methods_supported, [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
  ]);
  assert.deepEqual(metadata.scopes_supported, [
    "openid",
    "profile",
    "email",
    "offline_access",
    "api",
  ]);
  assert.deepEqual(metadata.subject_types_supported, ["public"]);
  assert.deepEqual(metadata.id_token_signing_alg_values_supported, ["ES256"]);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  assert.equal(provider.counts.discovery, 1);
});

Deno.test("openid-client reads the same metadata from the RFC 8414 document", async () => {
  await using provider = await startMockProvider();
  const oidc = await discover(provider);
  const oauth2 = await discover(provider, "latchkey-cli", oc.None(), "oauth2");
  assert.deepEqual(oauth2.serverMetadata(), oidc.serverMetadata());
  assert.equal(provider.counts.discovery, 2);
});

Deno.test('discovery "oidc" serves only the OpenID document', async () => {
  await using provider = await startMockProvider({ discovery: "oidc" });
  const oidc = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  const oauth2 = await fetch(`${provider.issuer}/.well-known/oauth-authorization-server`);
  await oidc.body?.cancel();
  await oauth2.body?.cancel();
  assert.deepEqual([oidc.status, oauth2.status], [200, 404]);
});

Deno.test('discovery "oauth2" serves only the RFC 8414 document', async () => {
  await using provider = await startMockProvider({ discovery: "oauth2" });
  await assert.rejects(discover(provider), oc.ClientError);
  const config = await discover(provider, "latchkey-cli", oc.None(), "oauth2");
  assert.equal(config.serverMetadata().issuer, provider.issuer);
  assert.equal(provider.counts.discovery, 2);
});

Deno.test("revocation: false neither advertises nor serves the endpoint", async () => {
  await using provider = await startMockProvider({ revocation: false });
  const config = await discover(provider);
  assert.equal(config.serverMetadata().revocation_endpoint, undefined);
  const response = await post(provider, "/revoke", { token: "x", client_id: "latchkey-cli" });
  await response.body?.cancel();
  assert.equal(response.status, 404);
});

Deno.test("the JWKS holds the one ES256 key that signs every token", async () => {
  await using provider = await startMockProvider();
  const jwks = await json(await fetch(`${provider.issuer}/jwks`));
  const keys = jwks.keys as Record<string, string>[];
  assert.equal(keys.length, 1);
  assert.deepEqual([keys[0]!.kty, keys[0]!.crv, keys[0]!.alg, keys[0]!.use], [
    "EC",
    "P-256",
    "ES256",
    "sig",
  ]);
  assert.equal(keys[0]!.d, undefined);
  const tokens = await provider.issueTokens();
  const access = decodeJwt(tokens.access_token);
  assert.deepEqual(access.header, { alg: "ES256", typ: "at+jwt", kid: keys[0]!.kid });
  assert.deepEqual(decodeJwt(tokens.id_token!).header, {
    alg: "ES256",
    typ: "JWT",
    kid: keys[0]!.kid,
  });
});
