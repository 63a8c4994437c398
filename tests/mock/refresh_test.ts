// The mock provider, as openid-client and plain HTTP see it. Refresh tokens: rotation and reuse
// detection, narrowing the scope, no rotation, and refreshTokenTtl.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { callApi, decodeJwt, discover, json, post } from "./helpers.ts";
import { sleep } from "../support/time.ts";

Deno.test("refresh rotates the refresh token; reusing the old one revokes the family", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const first = await provider.issueTokens();
  const second = await oc.refreshTokenGrant(config, first.refresh_token);
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.equal((await callApi(provider, second.access_token)).status, 200);
  const reuse = await oc.refreshTokenGrant(config, first.refresh_token).catch((e) => e);
  assert.ok(reuse instanceof oc.ResponseBodyError);
  assert.deepEqual([reuse.status, reuse.error, reuse.error_description], [
    400,
    "invalid_grant",
    "The refresh token was already used; every token of its grant is now revoked",
  ]);
  const after = await oc.refreshTokenGrant(config, second.refresh_token!).catch((e) => e);
  assert.equal(after.error_description, "The refresh token was revoked");
  assert.equal((await callApi(provider, second.access_token)).status, 401);
  assert.equal(provider.counts.token.refresh_token, 3);
  assert.equal(provider.counts.invalidGrant, 2);
});

Deno.test("refresh may narrow the scope but not widen it", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await provider.issueTokens({ scope: "openid profile" });
  const narrowed = await oc.refreshTokenGrant(config, tokens.refresh_token, { scope: "openid" });
  assert.equal(narrowed.scope, "openid");
  assert.equal(decodeJwt(narrowed.access_token).payload.scope, "openid");
  const widened = await oc.refreshTokenGrant(config, narrowed.refresh_token!, {
    scope: "openid profile email",
  }).catch((e) => e);
  assert.deepEqual([widened.error, widened.error_description], [
    "invalid_scope",
    'Scope "email" is not allowed',
  ]);
  const full = await oc.refreshTokenGrant(config, narrowed.refresh_token!);
  assert.equal(full.scope, "openid profile");
});

Deno.test("without rotation the refresh token stays valid and is not returned", async () => {
  await using provider = await startMockProvider({ rotateRefreshTokens: false });
  const config = await discover(provider);
  const tokens = await provider.issueTokens();
  const once = await oc.refreshTokenGrant(config, tokens.refresh_token);
  const twice = await oc.refreshTokenGrant(config, tokens.refresh_token);
  assert.deepEqual([once.refresh_token, twice.refresh_token], [undefined, undefined]);
  assert.notEqual(once.access_token, twice.access_token);
});

Deno.test("a refresh token past refreshTokenTtl is invalid_grant", async () => {
  await using provider = await startMockProvider({ refreshTokenTtl: 1 });
  const tokens = await provider.issueTokens();
  await sleep(1050);
  const response = await post(provider, "/token", {
    grant_type: "refresh_token",
    refresh_token: tokens.refresh_token,
    client_id: "latchkey-cli",
  });
  assert.deepEqual(await json(response), {
    error: "invalid_grant",
    error_description: "The refresh token expired",
  });
});
