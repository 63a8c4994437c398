// The mock provider, as openid-client and plain HTTP see it. The provider's lifecycle and options:
// issueTokens(), abort signals, hostname and number checks, binding to [::1].

import assert from "node:assert/strict";
import { startMockProvider } from "../../testing.ts";
import { discover } from "./helpers.ts";

Deno.test("issueTokens() mints a session for the default user and client", async () => {
  await using provider = await startMockProvider();
  const tokens = await provider.issueTokens();
  assert.deepEqual(Object.keys(tokens).sort(), [
    "access_token",
    "expires_in",
    "id_token",
    "refresh_token",
    "scope",
    "token_type",
  ]);
  assert.deepEqual([tokens.token_type, tokens.expires_in, tokens.scope], [
    "Bearer",
    3600,
    "openid profile email offline_access",
  ]);
  await assert.rejects(
    provider.issueTokens({ username: "bob" }),
    new TypeError('Cannot find user: "bob" is unknown'),
  );
});

Deno.test("an abort signal closes the provider", async () => {
  const controller = new AbortController();
  const provider = await startMockProvider({ signal: controller.signal });
  const issuer = provider.issuer;
  assert.match(issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(provider.url.href, `${issuer}/`);
  assert.equal(provider.apiUrl, `${issuer}/api`);
  controller.abort();
  await provider.close();
  await assert.rejects(fetch(`${issuer}/jwks`), TypeError);
});

Deno.test("startMockProvider() refuses a non-loopback hostname and bad numbers", async () => {
  await assert.rejects(
    startMockProvider({ hostname: "0.0.0.0" }),
    new RangeError('Cannot start mock provider: hostname "0.0.0.0" is not loopback'),
  );
  await assert.rejects(
    startMockProvider({ deviceInterval: 0 }),
    new RangeError('Cannot start mock provider: "deviceInterval" must be a number > 0'),
  );
});

Deno.test("the provider binds to [::1] when asked", async () => {
  await using provider = await startMockProvider({ hostname: "::1" });
  assert.match(provider.issuer, /^http:\/\/\[::1\]:\d+$/);
  const config = await discover(provider);
  assert.equal(config.serverMetadata().issuer, provider.issuer);
});
