// The mock provider, as openid-client and plain HTTP see it. Revocation (RFC 7009): of refresh and
// access tokens, across clients, and revokeAll().

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { callApi, discover, json, post } from "./helpers.ts";

Deno.test("revoking a refresh token revokes its access tokens too", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await provider.issueTokens();
  await oc.tokenRevocation(config, tokens.refresh_token, { token_type_hint: "refresh_token" });
  assert.equal((await callApi(provider, tokens.access_token)).status, 401);
  const refresh = await oc.refreshTokenGrant(config, tokens.refresh_token).catch((e) => e);
  assert.equal(refresh.error, "invalid_grant");
  await oc.tokenRevocation(config, "never-issued");
  assert.equal(provider.counts.revoke, 2);
});

Deno.test("revoking an access token leaves its refresh token working", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await provider.issueTokens();
  await oc.tokenRevocation(config, tokens.access_token);
  const api = await callApi(provider, tokens.access_token);
  assert.equal(api.status, 401);
  assert.deepEqual(api.body, {
    error: "invalid_token",
    error_description: "The access token was revoked",
  });
  const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal((await callApi(provider, refreshed.access_token)).status, 200);
});

Deno.test("a client cannot revoke another client's token", async () => {
  await using provider = await startMockProvider();
  const tokens = await provider.issueTokens();
  const response = await post(provider, "/revoke", { token: tokens.refresh_token }, {
    authorization: `Basic ${btoa("latchkey-service:service-secret")}`,
  });
  assert.deepEqual([response.status, await json(response)], [400, {
    error: "invalid_request",
    error_description: "The token was issued to another client",
  }]);
});

Deno.test("revokeAll() invalidates every token issued so far", async () => {
  await using provider = await startMockProvider();
  const tokens = await provider.issueTokens();
  provider.revokeAll();
  assert.equal((await callApi(provider, tokens.access_token)).status, 401);
  const fresh = await provider.issueTokens();
  assert.equal((await callApi(provider, fresh.access_token)).status, 200);
});
