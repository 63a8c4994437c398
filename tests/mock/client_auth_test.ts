// The mock provider, as openid-client and plain HTTP see it. Client credentials and client
// authentication: Basic and post secrets, allowed grants, and what the token endpoint refuses.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { callApi, decodeJwt, discover, json, post } from "./helpers.ts";

Deno.test("client credentials work with Basic and post authentication", async () => {
  await using provider = await startMockProvider();
  for (
    const auth of [oc.ClientSecretBasic("service-secret"), oc.ClientSecretPost("service-secret")]
  ) {
    const config = await discover(provider, "latchkey-service", auth);
    const tokens = await oc.clientCredentialsGrant(config);
    assert.deepEqual([tokens.scope, tokens.refresh_token, tokens.id_token], [
      "api",
      undefined,
      undefined,
    ]);
    const claims = decodeJwt(tokens.access_token).payload;
    assert.deepEqual([claims.sub, claims.client_id], ["latchkey-service", "latchkey-service"]);
    const api = await callApi(provider, tokens.access_token, "/jobs");
    assert.deepEqual(api.body, {
      ok: true,
      sub: "latchkey-service",
      path: "/api/jobs",
      method: "GET",
    });
  }
  assert.equal(provider.counts.token.client_credentials, 2);
});

Deno.test("a wrong secret is 401 invalid_client, with a Basic challenge for Basic", async () => {
  await using provider = await startMockProvider();
  const basic = await discover(provider, "latchkey-service", oc.ClientSecretBasic("nope"));
  const challenged = await oc.clientCredentialsGrant(basic).catch((e) => e);
  assert.ok(challenged instanceof oc.WWWAuthenticateChallengeError);
  assert.equal(challenged.status, 401);
  assert.equal(challenged.response.headers.get("www-authenticate"), 'Basic realm="latchkey-mock"');
  const form = await discover(provider, "latchkey-service", oc.ClientSecretPost("nope"));
  const refused = await oc.clientCredentialsGrant(form).catch((e) => e);
  assert.ok(refused instanceof oc.ResponseBodyError);
  assert.deepEqual([refused.status, refused.error], [401, "invalid_client"]);
  const missing = await post(provider, "/token", {
    grant_type: "client_credentials",
    client_id: "latchkey-service",
  });
  assert.deepEqual([missing.status, await json(missing)], [401, {
    error: "invalid_client",
    error_description: 'Client "latchkey-service" must authenticate',
  }]);
});

Deno.test("a client may use only the grants it is allowed", async () => {
  await using provider = await startMockProvider();
  const cli = await post(provider, "/token", {
    grant_type: "client_credentials",
    client_id: "latchkey-cli",
  });
  assert.deepEqual(await json(cli), {
    error: "unauthorized_client",
    error_description: 'The client may not use "client_credentials"',
  });
  const device = await post(provider, "/device_authorization", {}, {
    authorization: `Basic ${btoa("latchkey-service:service-secret")}`,
  });
  assert.deepEqual(await json(device), {
    error: "unauthorized_client",
    error_description: "The client may not use the device flow",
  });
});

Deno.test("the token endpoint refuses other media types, repeats and unknown grants", async () => {
  await using provider = await startMockProvider();
  const asJson = await fetch(`${provider.issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_type: "password", client_id: "latchkey-cli" }),
  });
  assert.deepEqual([asJson.status, await json(asJson)], [400, {
    error: "invalid_request",
    error_description: 'The request body must be "application/x-www-form-urlencoded"',
  }]);
  const repeated = await fetch(`${provider.issuer}/token`, {
    method: "POST",
    body: new URLSearchParams([["grant_type", "password"], ["client_id", "latchkey-cli"], [
      "scope",
      "openid",
    ], ["scope", "api"]]),
  });
  assert.deepEqual(await json(repeated), {
    error: "invalid_request",
    error_description: 'Parameter "scope" is repeated',
  });
  const unknown = await post(provider, "/token", {
    grant_type: "magic",
    client_id: "latchkey-cli",
  });
  assert.deepEqual(await json(unknown), {
    error: "unsupported_grant_type",
    error_description: 'Grant type "magic" is not supported',
  });
  const get = await fetch(`${provider.issuer}/token`);
  assert.equal(get.status, 405);
  await get.body?.cancel();
  assert.deepEqual(provider.counts.token.password, 2);
  assert.deepEqual(provider.counts.token.magic, 1);
  assert.deepEqual(provider.counts.token["(none)"], 1);
});
