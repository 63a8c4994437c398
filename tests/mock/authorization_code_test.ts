// The mock provider, as openid-client and plain HTTP see it. The authorization code flow with PKCE:
// code reuse, verifier and redirect URI checks, scopes, loopback redirects, and the sign-in page.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { callApi, discover, json, pkceRequest, post } from "./helpers.ts";

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
