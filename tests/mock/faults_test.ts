// The mock provider, as openid-client and plain HTTP see it. Injected faults: statuses with retry-
// after, order and counts, malformed bodies, delays, resets, and clearFaults().

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { discover, json, post } from "./helpers.ts";

Deno.test("a 503 fault with retry-after hits only the matching grant, once", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await provider.issueTokens();
  provider.inject({
    path: "/token",
    grant: "refresh_token",
    status: 503,
    headers: { "retry-after": "1" },
    body: '{"error":"temporarily_unavailable"}',
  });
  const password = await oc.genericGrantRequest(config, "password", {
    username: "alice",
    password: "wonderland",
  });
  assert.equal(password.token_type, "bearer");
  const failed = await oc.refreshTokenGrant(config, tokens.refresh_token).catch((e) => e);
  // oauth4webapi parses OAuth error bodies of 4xx responses only.
  assert.ok(failed instanceof oc.ClientError);
  assert.equal(failed.code, "OAUTH_RESPONSE_IS_NOT_CONFORM");
  const response = failed.cause as Response;
  assert.deepEqual([response.status, response.headers.get("retry-after")], [503, "1"]);
  assert.deepEqual(await response.json(), { error: "temporarily_unavailable" });
  const ok = await oc.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(typeof ok.access_token, "string");
  assert.deepEqual(provider.events.map((event) => [event.grant, event.status, event.error]), [
    ["password", 200, undefined],
    ["refresh_token", 503, "temporarily_unavailable"],
    ["refresh_token", 200, undefined],
  ]);
});

Deno.test("faults apply in the order injected, each for its number of times", async () => {
  await using provider = await startMockProvider();
  provider.inject({ path: "/.well-known/openid-configuration", status: 502, times: 2 });
  provider.inject({ path: "/.well-known/openid-configuration", status: 500 });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
    await response.body?.cancel();
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [502, 502, 500, 200]);
  assert.equal(provider.counts.discovery, 4);
});

Deno.test("a malformed JSON body with status 200 fails openid-client's parsing", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  provider.inject({ path: "/token", body: "{not json" });
  const error = await oc.clientCredentialsGrant(config).catch((e) => e);
  assert.ok(error instanceof oc.ClientError);
  assert.equal(error.code, "OAUTH_PARSE_ERROR");
  assert.deepEqual(provider.events.at(-1), {
    time: provider.events.at(-1)!.time,
    grant: "client_credentials",
    ok: false,
    status: 200,
    error: "http_200",
  });
});

Deno.test("a delay fault slows the answer and then answers normally", async () => {
  await using provider = await startMockProvider();
  provider.inject({ path: "/jwks", delayMs: 200, headers: { "x-fault": "slow" } });
  const started = performance.now();
  const response = await fetch(`${provider.issuer}/jwks`);
  const body = await json(response);
  assert.ok(performance.now() - started >= 190);
  assert.equal(response.headers.get("x-fault"), "slow");
  assert.equal((body.keys as unknown[]).length, 1);
});

Deno.test("a reset fault breaks the response so reading it rejects", async () => {
  await using provider = await startMockProvider();
  provider.inject({ path: "/token", reset: true });
  await assert.rejects(async () => {
    const response = await post(provider, "/token", {
      grant_type: "password",
      client_id: "latchkey-cli",
      username: "alice",
      password: "wonderland",
    });
    await response.text();
  }, TypeError);
  assert.deepEqual(provider.events.map((event) => [event.grant, event.ok, event.error]), [
    ["password", false, "connection_reset"],
  ]);
});

Deno.test("close() ends a pending delay fault at once", async () => {
  const provider = await startMockProvider();
  provider.inject({ path: "/token", delayMs: 5000 });
  const started = performance.now();
  await assert.rejects(
    fetch(`${provider.issuer}/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "password" }),
      signal: AbortSignal.timeout(100),
    }),
    (error: Error) => error.name === "TimeoutError",
  );
  await provider.close();
  assert.ok(performance.now() - started < 1000, "close() waited for the delay");
});

Deno.test("clearFaults() removes pending faults, and bad faults are refused", async () => {
  await using provider = await startMockProvider();
  provider.inject({ status: 500, times: Infinity });
  provider.clearFaults();
  const response = await fetch(`${provider.issuer}/jwks`);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.throws(
    () => provider.inject({ status: 99 }),
    new RangeError('Cannot inject fault: "status" must be an integer from 200 to 599'),
  );
  assert.throws(
    () => provider.inject({ stauts: 500 } as never),
    new TypeError('Cannot inject fault: "stauts" is unknown'),
  );
});
