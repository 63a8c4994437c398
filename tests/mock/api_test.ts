// The mock provider, as openid-client and plain HTTP see it. The demo API and userinfo: bearer
// checks, expiry on the provider clock, clockSkew, and scoped claims.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { callApi, decodeJwt, discover, json } from "./helpers.ts";
import { sleep } from "../support/time.ts";

Deno.test("the demo API answers 401 without a valid token and 200 with one", async () => {
  await using provider = await startMockProvider();
  const none = await fetch(`${provider.apiUrl}/me`);
  assert.equal(none.status, 401);
  assert.equal(
    none.headers.get("www-authenticate"),
    'Bearer realm="latchkey-mock", DPoP algs="ES256 ES384 PS256 RS256 EdDSA"',
  );
  await none.body?.cancel();
  const garbage = await callApi(provider, "not-a-jwt");
  assert.equal(
    garbage.headers.get("www-authenticate"),
    'Bearer error="invalid_token", error_description="The access token is invalid or expired"',
  );
  const tokens = await provider.issueTokens();
  const ok = await fetch(`${provider.apiUrl}/v1/items?x=1`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  assert.deepEqual([ok.status, await json(ok)], [200, {
    ok: true,
    sub: "user-alice",
    path: "/api/v1/items",
    method: "DELETE",
  }]);
  assert.equal(provider.counts.api, 3);
});

Deno.test("an access token is refused once it expires on the provider clock", async () => {
  await using provider = await startMockProvider();
  const tokens = await provider.issueTokens({ ttl: 1 });
  assert.equal(tokens.expires_in, 1);
  assert.equal((await callApi(provider, tokens.access_token)).status, 200);
  await sleep(1100);
  const expired = await callApi(provider, tokens.access_token);
  assert.equal(expired.status, 401);
  assert.equal(expired.body.error, "invalid_token");
});

Deno.test("a token from another provider instance is refused", async () => {
  await using one = await startMockProvider();
  await using other = await startMockProvider();
  const tokens = await one.issueTokens();
  assert.equal((await callApi(other, tokens.access_token)).status, 401);
});

Deno.test("clockSkew shifts iat and exp, and the provider checks expiry on its own clock", async () => {
  await using provider = await startMockProvider({ clockSkew: -7200, accessTokenTtl: 3600 });
  const tokens = await provider.issueTokens();
  const { iat, exp } = decodeJwt(tokens.access_token).payload as { iat: number; exp: number };
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(iat - (now - 7200)) <= 2, `iat ${iat} vs now ${now}`);
  assert.equal(exp, iat + 3600);
  assert.equal((await callApi(provider, tokens.access_token)).status, 200);
});

Deno.test("userinfo returns the claims of the token's scope", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await provider.issueTokens({ scope: "openid profile" });
  const info = await oc.fetchUserInfo(config, tokens.access_token, "user-alice");
  assert.deepEqual({ ...info }, { sub: "user-alice", preferred_username: "alice", name: "Alice" });
  const service = await provider.issueTokens({ scope: "api" });
  const response = await fetch(`${provider.issuer}/userinfo`, {
    headers: { authorization: `Bearer ${service.access_token}` },
  });
  assert.equal(response.status, 403);
  await response.body?.cancel();
});
