import assert from "node:assert/strict";
import * as oc from "openid-client";
import { type MockProvider, startMockProvider } from "../testing.ts";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const insecure = { execute: [oc.allowInsecureRequests] };

function discover(
  provider: MockProvider,
  clientId = "latchkey-cli",
  auth: oc.ClientAuth = oc.None(),
  algorithm?: "oidc" | "oauth2",
): Promise<oc.Configuration> {
  return oc.discovery(provider.url, clientId, undefined, auth, {
    ...insecure,
    ...(algorithm === undefined ? {} : { algorithm }),
  });
}

function post(
  provider: MockProvider,
  path: string,
  form: Record<string, string>,
  headers: HeadersInit = {},
): Promise<Response> {
  return fetch(`${provider.issuer}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form),
    redirect: "manual",
  });
}

async function json(response: Response): Promise<Record<string, unknown>> {
  return await response.json();
}

function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: oc.JsonObject } {
  const [header, payload] = jwt.split(".").slice(0, 2).map((part) =>
    JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/")))
  );
  return { header, payload };
}

async function pkceRequest(
  config: oc.Configuration,
  redirectUri = "http://127.0.0.1:8765/callback",
  scope = "openid profile email offline_access",
) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

async function callApi(provider: MockProvider, token: string, path = "/me") {
  const response = await fetch(`${provider.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await json(response), headers: response.headers };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Discovery

Deno.test("openid-client discovers every endpoint from the OpenID document", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const issuer = provider.issuer;
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, issuer);
  assert.equal(metadata.authorization_endpoint, `${issuer}/authorize`);
  assert.equal(metadata.token_endpoint, `${issuer}/token`);
  assert.equal(metadata.device_authorization_endpoint, `${issuer}/device_authorization`);
  assert.equal(metadata.revocation_endpoint, `${issuer}/revoke`);
  assert.equal(metadata.userinfo_endpoint, `${issuer}/userinfo`);
  assert.equal(metadata.jwks_uri, `${issuer}/jwks`);
  assert.deepEqual(metadata.response_types_supported, ["code"]);
  assert.deepEqual(metadata.grant_types_supported, [
    "authorization_code",
    DEVICE_GRANT,
    "refresh_token",
    "client_credentials",
    "password",
  ]);
  assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
  assert.deepEqual(metadata.token_endpoint_auth_methods_supported, [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
  ]);
  assert.deepEqual(metadata.scopes_supported, [
    "openid",
    "profile",
    "email",
    "offline_access",
    "api",
  ]);
  assert.deepEqual(metadata.subject_types_supported, ["public"]);
  assert.deepEqual(metadata.id_token_signing_alg_values_supported, ["ES256"]);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  assert.equal(provider.counts.discovery, 1);
});

Deno.test("openid-client reads the same metadata from the RFC 8414 document", async () => {
  await using provider = await startMockProvider();
  const oidc = await discover(provider);
  const oauth2 = await discover(provider, "latchkey-cli", oc.None(), "oauth2");
  assert.deepEqual(oauth2.serverMetadata(), oidc.serverMetadata());
  assert.equal(provider.counts.discovery, 2);
});

Deno.test('discovery "oidc" serves only the OpenID document', async () => {
  await using provider = await startMockProvider({ discovery: "oidc" });
  const oidc = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  const oauth2 = await fetch(`${provider.issuer}/.well-known/oauth-authorization-server`);
  await oidc.body?.cancel();
  await oauth2.body?.cancel();
  assert.deepEqual([oidc.status, oauth2.status], [200, 404]);
});

Deno.test('discovery "oauth2" serves only the RFC 8414 document', async () => {
  await using provider = await startMockProvider({ discovery: "oauth2" });
  await assert.rejects(discover(provider), oc.ClientError);
  const config = await discover(provider, "latchkey-cli", oc.None(), "oauth2");
  assert.equal(config.serverMetadata().issuer, provider.issuer);
  assert.equal(provider.counts.discovery, 2);
});

Deno.test("revocation: false neither advertises nor serves the endpoint", async () => {
  await using provider = await startMockProvider({ revocation: false });
  const config = await discover(provider);
  assert.equal(config.serverMetadata().revocation_endpoint, undefined);
  const response = await post(provider, "/revoke", { token: "x", client_id: "latchkey-cli" });
  await response.body?.cancel();
  assert.equal(response.status, 404);
});

Deno.test("the JWKS holds the one ES256 key that signs every token", async () => {
  await using provider = await startMockProvider();
  const jwks = await json(await fetch(`${provider.issuer}/jwks`));
  const keys = jwks.keys as Record<string, string>[];
  assert.equal(keys.length, 1);
  assert.deepEqual([keys[0]!.kty, keys[0]!.crv, keys[0]!.alg, keys[0]!.use], [
    "EC",
    "P-256",
    "ES256",
    "sig",
  ]);
  assert.equal(keys[0]!.d, undefined);
  const tokens = await provider.issueTokens();
  const access = decodeJwt(tokens.access_token);
  assert.deepEqual(access.header, { alg: "ES256", typ: "at+jwt", kid: keys[0]!.kid });
  assert.deepEqual(decodeJwt(tokens.id_token!).header, {
    alg: "ES256",
    typ: "JWT",
    kid: keys[0]!.kid,
  });
});

// Device flow

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

// Authorization code + PKCE

Deno.test("the code flow with PKCE, state, nonce and iss works with openid-client", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url, verifier, state, nonce } = await pkceRequest(config);
  const callback = await provider.approveAuthorization(url);
  assert.equal(`${callback.origin}${callback.pathname}`, "http://127.0.0.1:8765/callback");
  assert.deepEqual([...callback.searchParams.keys()], ["code", "state", "iss"]);
  assert.equal(callback.searchParams.get("state"), state);
  assert.equal(callback.searchParams.get("iss"), provider.issuer);
  const tokens = await oc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  assert.equal(tokens.claims()!.nonce, nonce);
  assert.equal(tokens.scope, "openid profile email offline_access");
  assert.equal((await callApi(provider, tokens.access_token)).status, 200);
  assert.equal(provider.counts.token.authorization_code, 1);
});

Deno.test("a reused code is invalid_grant and revokes the tokens issued for it", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url, verifier, state, nonce } = await pkceRequest(config);
  const callback = await provider.approveAuthorization(url);
  const tokens = await oc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  const replay = await post(provider, "/token", {
    grant_type: "authorization_code",
    code: callback.searchParams.get("code")!,
    redirect_uri: "http://127.0.0.1:8765/callback",
    code_verifier: verifier,
    client_id: "latchkey-cli",
  });
  assert.deepEqual([replay.status, await json(replay)], [400, {
    error: "invalid_grant",
    error_description: "The authorization code was already used",
  }]);
  assert.equal((await callApi(provider, tokens.access_token)).status, 401);
  const refresh = await oc.refreshTokenGrant(config, tokens.refresh_token!).catch((e) => e);
  assert.equal(refresh.error, "invalid_grant");
  assert.equal(provider.counts.invalidGrant, 2);
});

Deno.test("the token endpoint refuses a wrong code_verifier or redirect_uri", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url, verifier } = await pkceRequest(config);
  const code = (await provider.approveAuthorization(url)).searchParams.get("code")!;
  const exchange = async (redirectUri: string, codeVerifier: string) =>
    await json(
      await post(provider, "/token", {
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        code_verifier: codeVerifier,
        client_id: "latchkey-cli",
      }),
    );
  assert.deepEqual(await exchange("http://127.0.0.1:8765/callback", oc.randomPKCECodeVerifier()), {
    error: "invalid_grant",
    error_description: '"code_verifier" does not match "code_challenge"',
  });
  assert.deepEqual(await exchange("http://127.0.0.1:9999/callback", verifier), {
    error: "invalid_grant",
    error_description: '"redirect_uri" differs from the authorization request',
  });
  assert.equal((await exchange("http://127.0.0.1:8765/callback", verifier)).token_type, "Bearer");
});

Deno.test("an authorization request without S256 PKCE is sent back with invalid_request", async () => {
  await using provider = await startMockProvider();
  const base = new URL(`${provider.issuer}/authorize`);
  base.search = new URLSearchParams({
    client_id: "latchkey-cli",
    redirect_uri: "http://[::1]:4000/cb",
    response_type: "code",
    state: "s1",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "plain",
  }).toString();
  const plain = await provider.approveAuthorization(base);
  assert.equal(
    plain.href,
    `http://[::1]:4000/cb?error=invalid_request&error_description=%22code_challenge_method%22+must+be+%22S256%22&state=s1&iss=${
      encodeURIComponent(provider.issuer)
    }`,
  );
  base.searchParams.delete("code_challenge");
  base.searchParams.delete("code_challenge_method");
  const missing = await provider.approveAuthorization(base);
  assert.equal(missing.searchParams.get("error"), "invalid_request");
  assert.equal(
    missing.searchParams.get("error_description"),
    'PKCE is required: "code_challenge" is missing',
  );
});

Deno.test("an unknown scope is sent back with invalid_scope", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url } = await pkceRequest(config, undefined, "openid admin");
  const callback = await provider.approveAuthorization(url);
  assert.equal(callback.searchParams.get("error"), "invalid_scope");
  assert.equal(callback.searchParams.get("error_description"), 'Scope "admin" is not allowed');
});

Deno.test("an unregistered redirect URI gets an error page, never a redirect", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  for (const redirect of ["https://evil.example/cb", "http://localhost:8765/cb"]) {
    const { url } = await pkceRequest(config, redirect);
    const response = await fetch(url, { redirect: "manual" });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("location"), null);
    assert.match(await response.text(), /is not registered for client &quot;latchkey-cli&quot;/);
    await assert.rejects(
      provider.approveAuthorization(url),
      new TypeError(
        `Cannot approve authorization: Redirect URI "${redirect}" is not registered for client "latchkey-cli"`,
      ),
    );
  }
});

Deno.test("a registered loopback redirect URI may change port but not path, for any client", async () => {
  await using provider = await startMockProvider({
    clients: [
      { clientId: "app", redirectUris: ["http://127.0.0.1/cb"] },
      { clientId: "native", clientSecret: "s3cret", redirectUris: ["http://127.0.0.1/cb"] },
      { clientId: "unlisted", clientSecret: "s3cret" },
    ],
  });
  for (const clientId of ["app", "native"]) {
    const config = await discover(provider, clientId);
    const allowed = await pkceRequest(config, "http://127.0.0.1:51234/cb", "openid");
    const location = await provider.approveAuthorization(allowed.url);
    assert.equal(location.searchParams.has("code"), true);
    const refused = await pkceRequest(config, "http://127.0.0.1:51234/other", "openid");
    await assert.rejects(provider.approveAuthorization(refused.url), TypeError);
  }
  // a confidential client with no registered URI gets none, loopback or not
  const unlisted = await pkceRequest(
    await discover(provider, "unlisted"),
    "http://127.0.0.1:51234/cb",
    "openid",
  );
  await assert.rejects(provider.approveAuthorization(unlisted.url), TypeError);
});

Deno.test("the sign-in page posts back to a 302 with code, state and iss", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url, verifier, state, nonce } = await pkceRequest(config);
  const page = await (await fetch(url)).text();
  for (const id of ["username", "password", "allow", "deny"]) {
    assert.match(page, new RegExp(`id="${id}"`));
  }
  const form = Object.fromEntries(url.searchParams);
  const wrong = await post(provider, "/authorize", {
    ...form,
    username: "alice",
    decision: "allow",
  });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Invalid username or password/);
  const allowed = await post(provider, "/authorize", {
    ...form,
    username: "alice",
    password: "wonderland",
    decision: "allow",
  });
  assert.equal(allowed.status, 302);
  const callback = new URL(allowed.headers.get("location")!);
  const tokens = await oc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
  });
  assert.equal(tokens.claims()!.sub, "user-alice");
});

Deno.test("denying at the sign-in page reaches openid-client as access_denied", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const { url, verifier, state } = await pkceRequest(config);
  const denied = await post(provider, "/authorize", {
    ...Object.fromEntries(url.searchParams),
    decision: "deny",
  });
  assert.equal(denied.status, 302);
  const callback = new URL(denied.headers.get("location")!);
  const error = await oc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  }).catch((e) => e);
  assert.ok(error instanceof oc.AuthorizationResponseError);
  assert.equal(error.error, "access_denied");
  assert.equal(provider.counts.token.authorization_code, 0);
});

// Refresh

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

// Client credentials and client authentication

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

// Password grant

Deno.test("the password grant signs alice in and refuses a wrong password", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await oc.genericGrantRequest(config, "password", {
    username: "alice",
    password: "wonderland",
    scope: "openid email",
  });
  assert.equal(tokens.claims()!.email, "alice@example.org");
  assert.equal(tokens.claims()!.name, undefined);
  const wrong = await oc.genericGrantRequest(config, "password", {
    username: "alice",
    password: "nope",
  }).catch((e) => e);
  assert.deepEqual([wrong.error, wrong.error_description], [
    "invalid_grant",
    "Invalid username or password",
  ]);
  assert.deepEqual(provider.events.map((event) => [event.grant, event.ok, event.error]), [
    ["password", true, undefined],
    ["password", false, "invalid_grant"],
  ]);
});

// Revocation

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

// Demo API and userinfo

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

// Faults

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

// HTTP hooks

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

// Lifecycle and options

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
