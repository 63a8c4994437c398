// The mock provider, as openid-client and plain HTTP see it. The device flow (RFC 8628): polling,
// slow_down, denial, expiry, and the device page a person fills in.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { decodeJwt, DEVICE_GRANT, discover, json, post } from "./helpers.ts";
import { sleep } from "../support/time.ts";

Deno.test("the device flow with openid-client yields tokens once the code is approved", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const device = await oc.initiateDeviceAuthorization(config, { scope: "openid profile email" });
  assert.match(device.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(device.verification_uri, `${provider.issuer}/device`);
  assert.equal(
    device.verification_uri_complete,
    `${provider.issuer}/device?user_code=${device.user_code}`,
  );
  assert.deepEqual([device.expires_in, device.interval], [600, 1]);
  provider.approveDevice(device.user_code.toLowerCase().replace("-", ""));
  const tokens = await oc.pollDeviceAuthorizationGrant(config, device);
  assert.equal(tokens.token_type, "bearer");
  assert.equal(tokens.expires_in, 3600);
  assert.equal(tokens.scope, "openid profile email");
  assert.equal(typeof tokens.refresh_token, "string");
  const { iat, exp, auth_time, ...claims } = tokens.claims()!;
  assert.deepEqual(claims, {
    iss: provider.issuer,
    sub: "user-alice",
    aud: "latchkey-cli",
    name: "Alice",
    preferred_username: "alice",
    email: "alice@example.org",
    email_verified: true,
  });
  assert.equal(exp, (iat as number) + 3600);
  assert.equal(auth_time, iat);
  const access = decodeJwt(tokens.access_token).payload;
  assert.deepEqual(Object.keys(access).sort(), [
    "aud",
    "client_id",
    "exp",
    "iat",
    "iss",
    "jti",
    "scope",
    "sub",
  ]);
  assert.deepEqual([access.iss, access.sub, access.aud, access.client_id, access.scope], [
    provider.issuer,
    "user-alice",
    provider.apiUrl,
    "latchkey-cli",
    "openid profile email",
  ]);
  assert.equal(provider.counts.device, 1);
  assert.equal(provider.counts.token[DEVICE_GRANT], 1);
});

Deno.test("openid-client keeps polling through authorization_pending until approval", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.1 });
  const config = await discover(provider);
  const device = await oc.initiateDeviceAuthorization(config, { scope: "openid" });
  const polling = oc.pollDeviceAuthorizationGrant(config, device);
  await sleep(350);
  provider.approveDevice(device.user_code);
  const tokens = await polling;
  assert.equal(tokens.scope, "openid");
  const grants = provider.events.map((event) => event.error ?? "ok");
  assert.ok(grants.length >= 3, `polled ${grants.length} times`);
  assert.deepEqual(grants, [...grants.slice(0, -1).map(() => "authorization_pending"), "ok"]);
  assert.equal(provider.counts.token[DEVICE_GRANT], grants.length);
});

Deno.test("polling faster than the interval is answered slow_down, and the interval grows", async () => {
  await using provider = await startMockProvider({ deviceInterval: 1 });
  const started = await json(
    await post(provider, "/device_authorization", { client_id: "latchkey-cli" }),
  );
  const poll = { grant_type: DEVICE_GRANT, device_code: String(started.device_code) };
  const first = await post(provider, "/token", { ...poll, client_id: "latchkey-cli" });
  const second = await post(provider, "/token", { ...poll, client_id: "latchkey-cli" });
  assert.deepEqual([first.status, await json(first)], [400, {
    error: "authorization_pending",
    error_description: "The user has not yet decided",
  }]);
  assert.deepEqual([second.status, await json(second)], [400, {
    error: "slow_down",
    error_description: "Poll at most every 6 seconds",
  }]);
  assert.equal(second.headers.get("cache-control"), "no-store");
});

Deno.test("a device code denied on the page gets access_denied", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.05 });
  const config = await discover(provider);
  const device = await oc.initiateDeviceAuthorization(config, {});
  const page = await post(provider, "/device", { user_code: device.user_code, decision: "deny" });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Device denied\. You can return to your terminal\./);
  const error = await oc.pollDeviceAuthorizationGrant(config, device).catch((e) => e);
  assert.ok(error instanceof oc.ResponseBodyError);
  assert.deepEqual([error.error, error.status], ["access_denied", 400]);
});

Deno.test("an expired device code gets expired_token", async () => {
  await using provider = await startMockProvider({ deviceCodeTtl: 1 });
  const started = await json(
    await post(provider, "/device_authorization", { client_id: "latchkey-cli" }),
  );
  assert.equal(started.expires_in, 1);
  await sleep(1050);
  assert.throws(
    () => provider.approveDevice(String(started.user_code)),
    new TypeError(
      `Cannot decide device authorization: code "${started.user_code}" is unknown or expired`,
    ),
  );
  const response = await post(provider, "/token", {
    grant_type: DEVICE_GRANT,
    device_code: String(started.device_code),
    client_id: "latchkey-cli",
  });
  assert.deepEqual(await json(response), {
    error: "expired_token",
    error_description: "The device code expired",
  });
});

Deno.test("the device page has the form a person fills in, with the code prefilled", async () => {
  await using provider = await startMockProvider();
  const page = await (await fetch(`${provider.issuer}/device?user_code=WDJB-MJHT`)).text();
  for (const id of ["user_code", "username", "password", "approve", "deny"]) {
    assert.match(page, new RegExp(`id="${id}"`));
  }
  assert.match(page, /id="user_code"[^>]*value="WDJB-MJHT"/);
  const hostile = await (await fetch(`${provider.issuer}/device?user_code=%22%3E%3Cb%3E`)).text();
  assert.match(hostile, /value="&quot;&gt;&lt;b&gt;"/);
});

Deno.test("the device page approves with the right password only", async () => {
  await using provider = await startMockProvider();
  const started = await json(
    await post(provider, "/device_authorization", { client_id: "latchkey-cli" }),
  );
  const form = { user_code: String(started.user_code), username: "alice", decision: "approve" };
  const wrong = await post(provider, "/device", { ...form, password: "looking-glass" });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Invalid username or password/);
  const right = await post(provider, "/device", { ...form, password: "wonderland" });
  assert.equal(right.status, 200);
  assert.match(await right.text(), /Device approved\. You can return to your terminal\./);
  const again = await post(provider, "/device", { ...form, password: "wonderland" });
  assert.equal(again.status, 400);
  await again.body?.cancel();
  const tokens = await json(
    await post(provider, "/token", {
      grant_type: DEVICE_GRANT,
      device_code: String(started.device_code),
      client_id: "latchkey-cli",
    }),
  );
  assert.equal(tokens.scope, "openid profile email offline_access");
});

Deno.test("approveDevice() and denyDevice() throw TypeError for an unknown code", async () => {
  await using provider = await startMockProvider();
  const message = 'Cannot decide device authorization: code "NOPE-NOPE" is unknown or expired';
  assert.throws(() => provider.approveDevice("NOPE-NOPE"), new TypeError(message));
  assert.throws(() => provider.denyDevice("NOPE-NOPE"), new TypeError(message));
});
