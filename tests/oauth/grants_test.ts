import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import {
  Auth,
  AuthError,
  Credential,
  FileStore,
  LoginRequiredError,
  OAuthError,
  setLogger,
} from "../../mod.ts";
import { startMockProvider } from "../../testing.ts";
import { publicAuth, seedProfile } from "./helpers.ts";
import { isolatedHome } from "../support/home.ts";
import { sleep } from "../support/time.ts";

const home = (await isolatedHome({ prefix: "latchkey-oauth-" })).path;

Deno.test("discovery falls back to RFC 8414 metadata when there is no OpenID document", async () => {
  await using provider = await startMockProvider({ discovery: "oauth2" });
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-service",
    clientSecret: "service-secret",
    dotenv: false,
    store: "memory",
  });
  assert((await auth.token()).length > 20);
  assertEquals(provider.counts.token.client_credentials, 1);
});

Deno.test("an http: issuer off loopback is refused with INSECURE_URL", () => {
  const auth = new Auth({ issuer: "http://id.example.org", clientId: "x", dotenv: false });
  return assertRejects(() => auth.status(), AuthError).then((e) =>
    assertEquals(e.code, "INSECURE_URL")
  );
});

Deno.test("client credentials: token cached under a hashed key and reused by another instance", async () => {
  await using provider = await startMockProvider({
    clients: [{
      clientId: "canary-service",
      clientSecret: "service-secret-canary",
      grants: ["client_credentials"],
    }],
  });
  const options = {
    issuer: provider.issuer,
    clientId: "canary-service",
    clientSecret: "service-secret-canary",
    dotenv: false as const,
    profile: "svc",
  };
  const a = await new Auth(options).token();
  const b = await new Auth(options).token();
  assertEquals(a, b);
  assertEquals(provider.counts.token.client_credentials, 1);
  const status = await new Auth(options).status();
  assertEquals(status.source, "option");
  assert(status.path!.includes("/credentials/cache-"));
  const text = await Deno.readTextFile(status.path!);
  assert(!text.includes("service-secret-canary"), "the secret is not in the cache file");
  assert(!status.path!.includes("service-secret"), "nor in its name");
});

Deno.test("refresh: within the leeway the token is refreshed and the rotated refresh token saved", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 2 });
  const t = await seedProfile(provider, "rotate", 2);
  const auth = publicAuth(provider, { profile: "rotate" });
  await sleep(1100); // past the default leeway (half of 2 s)
  const token = await auth.token();
  assert(token !== t.access_token);
  assertEquals(provider.counts.token.refresh_token, 1);
  const saved = await new FileStore().read("rotate");
  assertEquals(saved?.accessToken?.reveal(), token);
  assert(saved?.refreshToken?.reveal() !== t.refresh_token, "the rotated refresh token is saved");
});

Deno.test("refresh: an opaque token's issue time gives the default leeway", () => {
  const c = new Credential({ accessToken: "opaque", issuedAt: 1000, expiresAt: 1010 });
  assertEquals(c.leeway(), 5);
  assertEquals(c.needsRefresh(undefined, 1004), false);
  assertEquals(c.needsRefresh(undefined, 1005), true);
});

Deno.test("refresh: a provider failure keeps the refresh token and the still-valid token", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 20 });
  const t = await seedProfile(provider, "keep", 20);
  provider.inject({ path: "/token", status: 500, body: "oops", times: 100 });
  const warnings: string[] = [];
  const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
  try {
    const auth = publicAuth(provider, { profile: "keep", leeway: 30, retries: 1, timeout: 3 });
    assertEquals(await auth.token(), t.access_token, "the current token is used until it expires");
    assertEquals(warnings.length, 1);
    assertStringIncludes(warnings[0]!, "could not renew");
  } finally {
    setLogger(previous);
  }
  const saved = await new FileStore().read("keep");
  assertEquals(saved?.refreshToken?.reveal(), t.refresh_token);
});

Deno.test("refresh: invalid_grant deletes the credential and asks for a login", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 1 });
  await seedProfile(provider, "revoked", 1);
  provider.revokeAll();
  await sleep(1100);
  const auth = publicAuth(provider, { profile: "revoked" });
  const error = await assertRejects(() => auth.token(), LoginRequiredError);
  assert(error.cause instanceof OAuthError && error.cause.error === "invalid_grant");
  assertEquals(await new FileStore().read("revoked"), undefined);
});

Deno.test("refresh: a failure is not cached; the next call refreshes again", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 1 });
  await seedProfile(provider, "retry-later", 1);
  await sleep(1100);
  provider.inject({ path: "/token", status: 503, body: "down", times: 1 });
  const auth = publicAuth(provider, { profile: "retry-later", retries: 0 });
  const error = await assertRejects(() => auth.token(), AuthError);
  assertEquals(error.code, "BAD_RESPONSE");
  assert((await auth.token()).length > 20);
  assertEquals(provider.counts.token.refresh_token, 2);
});

Deno.test("100 concurrent fetch() calls on an expired token cause exactly one refresh", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 60 });
  await seedProfile(provider, "stampede", 1);
  await sleep(1100);
  // The profile's file store with a lock that does not serialise: its lock and
  // re-read would otherwise hide a missing single flight.
  const store = new FileStore();
  store.lock = (_key, fn) => fn();
  const auth = publicAuth(provider, { profile: "stampede", store });
  const responses = await Promise.all(
    Array.from({ length: 100 }, () => auth.fetch(`${provider.apiUrl}/hello`)),
  );
  assertEquals(responses.map((r) => r.status), Array(100).fill(200));
  await Promise.all(responses.map((r) => r.body?.cancel()));
  assertEquals(provider.counts.token.refresh_token, 1);
});

Deno.test("provider errors become OAuthError with error and error_description", async () => {
  await using provider = await startMockProvider();
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-service",
    clientSecret: "wrong-secret-canary",
    dotenv: false,
    store: "memory",
  });
  const error = await assertRejects(() => auth.token(), OAuthError);
  assertEquals(error.error, "invalid_client");
  assertEquals(error.status, 401);
  assert(!error.message.includes("wrong-secret-canary"));
});

Deno.test("token endpoint calls are retried after 503 with Retry-After", async () => {
  await using provider = await startMockProvider();
  provider.inject({ path: "/token", status: 503, headers: { "retry-after": "1" }, times: 1 });
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-service",
    clientSecret: "service-secret",
    dotenv: false,
    store: "memory",
  });
  const started = Date.now();
  assert((await auth.token()).length > 20);
  assert(Date.now() - started >= 1000, "waited for Retry-After");
  assertEquals(provider.counts.token.client_credentials, 2);
});

Deno.test("password grant: only when asked, with a deprecation warning, password never in messages", async () => {
  await using provider = await startMockProvider();
  const warnings: string[] = [];
  const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
  try {
    const auth = publicAuth(provider, { profile: "pw" });
    const status = await auth.login({
      flow: "password",
      username: "alice",
      password: "wonderland",
    });
    assertEquals(status.subject, "user-alice");
    assertEquals(warnings.filter((w) => w.includes("deprecated")).length, 1);
    const bad = publicAuth(provider, { profile: "pw-bad" });
    const error = await assertRejects(
      () => bad.login({ flow: "password", username: "alice", password: "canary-password" }),
      OAuthError,
    );
    assertEquals(error.error, "invalid_grant");
    assert(!error.message.includes("canary-password"));
  } finally {
    setLogger(previous);
  }
});

Deno.test("logout revokes refresh and access token, then deletes the credential", async () => {
  await using provider = await startMockProvider();
  await seedProfile(provider, "bye");
  const auth = publicAuth(provider, { profile: "bye" });
  const result = await auth.logout();
  assertEquals(result, { revoked: true, deleted: true, warning: undefined });
  assertEquals(provider.counts.revoke, 2);
  assertEquals(await new FileStore().read("bye"), undefined);
  assertEquals((await publicAuth(provider, { profile: "bye" }).status()).loggedIn, false);
});

Deno.test("logout deletes the local credential even when revocation fails", async () => {
  await using provider = await startMockProvider();
  await seedProfile(provider, "bye-anyway");
  provider.inject({ path: "/revoke", status: 500, times: 10 });
  const auth = publicAuth(provider, { profile: "bye-anyway", timeout: 2 });
  const result = await auth.logout();
  assertEquals(result.revoked, false);
  assertEquals(result.deleted, true);
  assertStringIncludes(result.warning!, "revocation failed");
  assertEquals(await new FileStore().read("bye-anyway"), undefined);
});

Deno.test("login without force does nothing when a valid credential exists", async () => {
  await using provider = await startMockProvider();
  await seedProfile(provider, "again");
  const auth = publicAuth(provider, { profile: "again", onPrompt: () => {} });
  const status = await auth.login({ flow: "device", openBrowser: false });
  assertEquals(status.loggedIn, true);
  assertEquals(provider.counts.device, 0);
  void home;
});

Deno.test("a refresh token the provider refused is never presented again", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 1 });
  const t = await provider.issueTokens({ ttl: 1, scope: "openid offline_access" });
  provider.revokeAll();
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    refreshToken: t.refresh_token,
    store: "memory",
    dotenv: false,
  });
  for (let i = 0; i < 3; i++) await assertRejects(() => auth.token(), LoginRequiredError);
  assertEquals(provider.counts.token.refresh_token, 1);
  assertEquals(provider.counts.invalidGrant, 1);
});
