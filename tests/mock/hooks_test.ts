// The mock provider, as openid-client and plain HTTP see it. The HTTP hooks a test in another
// process drives: approving devices and authorization URLs, faults, counts, minting tokens.

import assert from "node:assert/strict";
import { startMockProvider } from "../../testing.ts";
import { DEVICE_GRANT, discover, json, pkceRequest, post } from "./helpers.ts";

Deno.test("the HTTP hooks approve devices, inject faults and report counts", async () => {
  await using provider = await startMockProvider();
  const hook = (path: string, body?: unknown, method = "POST") =>
    fetch(`${provider.issuer}/_mock/${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const started = await json(
    await post(provider, "/device_authorization", { client_id: "latchkey-cli" }),
  );
  assert.deepEqual(await json(await hook("device/approve", { user_code: started.user_code })), {
    ok: true,
  });
  const again = await hook("device/approve", { user_code: started.user_code });
  assert.deepEqual([again.status, await json(again)], [400, {
    error: `Cannot decide device authorization: code "${started.user_code}" is already decided`,
  }]);
  assert.deepEqual(await json(await hook("faults", { path: "/token", status: 429 })), {
    ok: true,
  });
  const limited = await post(provider, "/token", {
    grant_type: DEVICE_GRANT,
    device_code: String(started.device_code),
    client_id: "latchkey-cli",
  });
  assert.equal(limited.status, 429);
  await limited.body?.cancel();
  await hook("faults", { status: 500, times: 5 });
  assert.deepEqual(await json(await hook("faults", undefined, "DELETE")), { ok: true });
  const tokens = await post(provider, "/token", {
    grant_type: DEVICE_GRANT,
    device_code: String(started.device_code),
    client_id: "latchkey-cli",
  });
  assert.equal(tokens.status, 200);
  await tokens.body?.cancel();
  const report = await json(await fetch(`${provider.issuer}/_mock/counts`));
  assert.deepEqual(report.counts, {
    token: {
      authorization_code: 0,
      [DEVICE_GRANT]: 2,
      refresh_token: 0,
      client_credentials: 0,
      password: 0,
    },
    invalidGrant: 0,
    device: 1,
    revoke: 0,
    api: 0,
    discovery: 0,
    dpopRefused: 0,
    dpopNonceChallenges: 0,
  });
  assert.deepEqual((report.events as { error?: string }[]).map((event) => event.error), [
    "http_429",
    undefined,
  ]);
});

Deno.test("the HTTP hooks approve an authorization URL and mint tokens", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url, state } = await pkceRequest(config);
  const approved = await json(
    await fetch(`${provider.issuer}/_mock/authorize`, {
      method: "POST",
      body: JSON.stringify({ url: url.href, deny: true }),
    }),
  );
  const location = new URL(String(approved.location));
  assert.deepEqual([location.searchParams.get("error"), location.searchParams.get("state")], [
    "access_denied",
    state,
  ]);
  const minted = await json(
    await fetch(`${provider.issuer}/_mock/tokens`, {
      method: "POST",
      body: JSON.stringify({ scope: "api", ttl: 5 }),
    }),
  );
  assert.deepEqual([minted.scope, minted.expires_in, minted.token_type], ["api", 5, "Bearer"]);
});
