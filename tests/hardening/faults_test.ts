/**
 * Provider faults, injected into the embedded mock provider: 5xx, 429 with and without
 * `Retry-After`, a reset connection, an answer slower than the timeout, malformed JSON, HTML
 * error pages, a 200 carrying `{"error": …}`, and a provider clock 10 minutes off. Each ends in
 * success after retries or in a typed error within the deadline; the store never holds a broken
 * credential afterwards; and a failure is not cached: once the fault is gone, the same `Auth`
 * works.
 */

import { assert, assertEquals, assertRejectsWith } from "../support/assert.ts";
import {
  Auth,
  AuthError,
  type AuthOptions,
  Credential,
  LoginRequiredError,
  OAuthError,
  setLogger,
} from "../../mod.ts";
import { type MockFault, type MockProvider, startMockProvider } from "../../testing.ts";
import { type Sandbox, sandbox } from "./helpers.ts";

// Warnings ("could not renew…") are expected here; keep the output clean.
setLogger({ warn() {}, debug() {} });

let profiles = 0;

/** A stored credential for the provider whose access token has expired, and Auths on it. */
async function expiredSession(
  provider: MockProvider,
  env: Sandbox,
): Promise<{ profile: string; old: Credential; auth: (o?: AuthOptions) => Auth }> {
  const profile = `fault-${++profiles}`;
  const t = await provider.issueTokens({ scope: "openid offline_access" });
  const now = Date.now() / 1000;
  const old = new Credential({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: now - 5,
    issuedAt: now - 3605,
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    scope: t.scope,
  });
  await env.store().write(profile, old);
  const auth = (o: AuthOptions = {}) =>
    new Auth({
      issuer: provider.issuer,
      clientId: "latchkey-cli",
      apiOrigins: [provider.issuer],
      ...env.authOptions(profile),
      ...o,
    });
  return { profile, old, auth };
}

/** The stored credential is exactly the old one: no half-renewed state was written. */
async function assertStoreHoldsOld(env: Sandbox, profile: string, old: Credential): Promise<void> {
  const stored = await env.store().read(profile);
  assert(stored, "the credential is still there");
  assertEquals(stored.accessToken?.reveal(), old.accessToken?.reveal());
  assertEquals(stored.refreshToken?.reveal(), old.refreshToken?.reveal());
  assertEquals(stored.expiresAt, old.expiresAt);
}

/** The stored credential is a new, working one: the provider accepts its access token. */
async function assertStoreHoldsNew(
  provider: MockProvider,
  env: Sandbox,
  profile: string,
  old: Credential,
  token: string,
): Promise<void> {
  const stored = await env.store().read(profile);
  assert(stored?.accessToken && stored.refreshToken, "a complete credential is stored");
  assertEquals(stored.accessToken.reveal(), token);
  assert(!stored.accessToken.equals(old.accessToken?.reveal()), "the access token is new");
  assert(!stored.refreshToken.equals(old.refreshToken?.reveal()), "the rotated token is saved");
  assert(stored.expiresAt! > Date.now() / 1000 + 3000, "the expiry is the new one");
  const response = await fetch(`${provider.apiUrl}/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assertEquals(response.status, 200);
  await response.body?.cancel();
}

/** Times a promise, in milliseconds. */
async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await promise;
  return [value, performance.now() - started];
}

/** A transient fault on the refresh: retried, then success, with the new credential stored. */
async function recovers(fault: MockFault, minMs: number): Promise<void> {
  await using env = await sandbox();
  await using provider = await startMockProvider();
  const { profile, old, auth } = await expiredSession(provider, env);
  provider.inject({ path: "/token", grant: "refresh_token", ...fault });
  const [token, ms] = await timed(auth({ timeout: 10 }).token());
  assertEquals(provider.counts.token.refresh_token, 2, "one failed attempt, one retry");
  assert(ms >= minMs, `retried after ${ms} ms, expected ≥ ${minMs}`);
  assert(ms < 5000, `took ${ms} ms`);
  await assertStoreHoldsNew(provider, env, profile, old, token);
}

for (const status of [500, 502, 503]) {
  Deno.test(`a ${status} from the token endpoint is retried after a backoff and the refresh succeeds`, async () => {
    await recovers({ status }, 900);
  });
}

Deno.test("a 429 with Retry-After: 1 is retried after a second and the refresh succeeds", async () => {
  await recovers({ status: 429, headers: { "retry-after": "1" } }, 950);
});

Deno.test("a 429 without Retry-After is retried after a backoff and the refresh succeeds", async () => {
  await recovers({ status: 429 }, 900);
});

Deno.test("a connection reset during the token answer is retried and the refresh succeeds", async () => {
  await recovers({ reset: true }, 900);
});

Deno.test("an HTML 502 page from a proxy is retried and the refresh succeeds", async () => {
  await recovers({ status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>" }, 900);
});

Deno.test("a 503 on the discovery document is retried and the refresh succeeds", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider();
  const { profile, old, auth } = await expiredSession(provider, env);
  provider.inject({ path: "/.well-known/openid-configuration", status: 503 });
  const token = await auth({ timeout: 10 }).token();
  await assertStoreHoldsNew(provider, env, profile, old, token);
});

/**
 * A lasting fault: the refresh fails with `errorClass`/`code` within `deadlineMs`, the store
 * keeps the old credential, and once the fault is cleared the same Auth refreshes.
 */
async function failsThenRecovers(
  fault: MockFault,
  options: { timeout: number; retries?: number; deadlineMs: number },
  errorClass: typeof AuthError | typeof OAuthError,
  code: AuthError["code"],
): Promise<AuthError> {
  await using env = await sandbox();
  await using provider = await startMockProvider();
  const { profile, old, auth: make } = await expiredSession(provider, env);
  provider.inject({ path: "/token", grant: "refresh_token", times: Infinity, ...fault });
  const auth = make({ timeout: options.timeout, retries: options.retries });
  const started = performance.now();
  const error = await assertRejectsWith(() => auth.token(), errorClass, code);
  const ms = performance.now() - started;
  assert(ms < options.deadlineMs, `failed after ${ms} ms, deadline ${options.deadlineMs} ms`);
  await assertStoreHoldsOld(env, profile, old);
  provider.clearFaults();
  const token = await auth.token();
  await assertStoreHoldsNew(provider, env, profile, old, token);
  return error;
}

for (const status of [500, 502, 503]) {
  Deno.test(`a lasting ${status} ends in BAD_RESPONSE within the timeout, keeps the credential, and is not cached`, async () => {
    const error = await failsThenRecovers(
      { status },
      { timeout: 2, deadlineMs: 3500 },
      AuthError,
      "BAD_RESPONSE",
    );
    assert(error.message.includes(`HTTP ${status}`), error.message);
  });
}

Deno.test("a lasting 429 whose Retry-After passes the deadline fails at once without waiting", async () => {
  await failsThenRecovers(
    { status: 429, headers: { "retry-after": "120" } },
    { timeout: 5, deadlineMs: 1500 },
    AuthError,
    "BAD_RESPONSE",
  );
});

Deno.test("a lasting connection reset ends in NETWORK_ERROR within the timeout and is not cached", async () => {
  await failsThenRecovers(
    { reset: true },
    { timeout: 2, deadlineMs: 3500 },
    AuthError,
    "NETWORK_ERROR",
  );
});

Deno.test("an answer slower than the timeout ends in NETWORK_ERROR (no answer) on time and is not cached", async () => {
  await failsThenRecovers(
    { delayMs: 10_000 },
    { timeout: 2, deadlineMs: 3500 },
    AuthError,
    "NETWORK_ERROR",
  );
});

Deno.test("a 200 with malformed JSON ends in BAD_RESPONSE and is not cached", async () => {
  await failsThenRecovers(
    { body: '{"access_token": "abc", "token_type": ' },
    { timeout: 5, deadlineMs: 1500 },
    AuthError,
    "BAD_RESPONSE",
  );
});

Deno.test("a lasting HTML 404 page ends in BAD_RESPONSE and is not cached", async () => {
  await failsThenRecovers(
    { status: 404, body: "<!doctype html><title>Not Found</title><h1>Not Found</h1>" },
    { timeout: 5, deadlineMs: 1500 },
    AuthError,
    "BAD_RESPONSE",
  );
});

Deno.test("a 200 carrying a temporary error is an OAuthError with the provider's code, not cached", async () => {
  const error = await failsThenRecovers(
    { body: '{"error":"temporarily_unavailable","error_description":"try later"}' },
    { timeout: 5, deadlineMs: 1500 },
    OAuthError,
    "OAUTH_ERROR",
  ) as OAuthError;
  assertEquals([error.error, error.errorDescription, error.status], [
    "temporarily_unavailable",
    "try later",
    400,
  ]);
});

Deno.test("a 200 carrying invalid_grant (as GitHub sends) asks for a login and forgets the credential", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider();
  const { profile, auth } = await expiredSession(provider, env);
  provider.inject({
    path: "/token",
    body: '{"error":"invalid_grant","error_description":"The refresh token is no longer valid"}',
  });
  const error = await assertRejectsWith(
    () => auth().token(),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assert(error.cause instanceof OAuthError && error.cause.error === "invalid_grant");
  assertEquals(await env.store().read(profile), undefined, "a dead credential is not kept");
});

Deno.test("a device login keeps polling through 200 authorization_pending answers (GitHub style)", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({ deviceInterval: 0.05 });
  provider.inject({
    path: "/token",
    grant: "device_code",
    body: '{"error":"authorization_pending"}',
    times: 3,
  });
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    ...env.authOptions("github-style"),
    onPrompt: (p) => {
      if (p.kind === "device") setTimeout(() => provider.approveDevice(p.userCode), 300);
    },
  });
  const status = await auth.login({ flow: "device", openBrowser: false, timeout: 10 });
  assertEquals(status.loggedIn, true);
  assert(provider.counts.token["urn:ietf:params:oauth:grant-type:device_code"]! >= 4);
});

Deno.test("a 503 on the device authorization endpoint is retried and the login succeeds", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({ deviceInterval: 0.05 });
  provider.inject({ path: "/device_authorization", status: 503, headers: { "retry-after": "0" } });
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    ...env.authOptions("device-503"),
    onPrompt: (p) => {
      if (p.kind === "device") setTimeout(() => provider.approveDevice(p.userCode), 50);
    },
  });
  const status = await auth.login({ flow: "device", openBrowser: false, timeout: 10 });
  assertEquals([status.loggedIn, provider.counts.device], [true, 2]);
});

for (const skew of [600, -600]) {
  const label = skew > 0 ? "10 min ahead of" : "10 min behind";
  Deno.test(`a provider clock ${label} the client: login, timely refresh and API calls work`, async () => {
    await using env = await sandbox();
    const ttl = 4;
    await using provider = await startMockProvider({
      clockSkew: skew,
      accessTokenTtl: ttl,
      deviceInterval: 0.05,
    });
    const auth = new Auth({
      issuer: provider.issuer,
      clientId: "latchkey-cli",
      scope: "openid profile offline_access",
      ...env.authOptions(`skew${skew}`),
      apiOrigins: [provider.issuer],
      onPrompt: (p) => {
        if (p.kind === "device") setTimeout(() => provider.approveDevice(p.userCode), 50);
      },
    });
    const login = await auth.login({ flow: "device", openBrowser: false, timeout: 10 });
    assertEquals(login.loggedIn, true);
    // The expiry counts from the answer's arrival on the client's clock, not from the JWT.
    assert(login.expiresIn !== null && login.expiresIn >= ttl - 1 && login.expiresIn <= ttl);
    await auth.token();
    assertEquals(provider.counts.token.refresh_token, 0, "a fresh token is not refreshed");
    const first = await auth.fetch(`${provider.apiUrl}/me`);
    assertEquals([first.status, (await first.json()).sub], [200, "user-alice"]);
    // Past half the lifetime (the default leeway), exactly one refresh, and the API still works.
    await new Promise((r) => setTimeout(r, (ttl / 2) * 1000 + 300));
    await Promise.all([auth.token(), auth.token(), auth.token()]);
    assertEquals(provider.counts.token.refresh_token, 1);
    const second = await auth.fetch(`${provider.apiUrl}/me`);
    assertEquals(second.status, 200);
    await second.body?.cancel();
    assertEquals(provider.counts.invalidGrant, 0);
  });
}

Deno.test("a provider clock 20 min behind with 5-min tokens fails the login with BAD_RESPONSE and a hint about the clock", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({
    clockSkew: -1200,
    accessTokenTtl: 300,
    deviceInterval: 0.05,
  });
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    scope: "openid offline_access",
    ...env.authOptions("skew-too-far"),
    onPrompt: (p) => {
      if (p.kind === "device") setTimeout(() => provider.approveDevice(p.userCode), 50);
    },
  });
  const error = await assertRejectsWith(
    () => auth.login({ flow: "device", openBrowser: false, timeout: 10 }),
    AuthError,
    "BAD_RESPONSE",
  );
  assertEquals(
    error.hint,
    "check this machine's clock: the provider's token times are more than 10 minutes off",
  );
  assertEquals(await env.store().read("skew-too-far"), undefined);
});
