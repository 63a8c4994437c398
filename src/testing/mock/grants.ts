/**
 * The token endpoint (RFC 6749 §3.2): client authentication, then one of the grants. The
 * refresh, password and client credentials grants live here; the code and device grants in
 * their own modules.
 *
 * @module
 */

import { DEVICE_GRANT, GRANT_TYPES } from "./config.ts";
import { mint, type Runtime, type TokenRequest, type TokenResponse } from "./issue.ts";
import { authenticateClient } from "./client_auth.ts";
import { authorizationCodeGrant } from "./code_grant.ts";
import { deviceCodeGrant } from "./device.ts";
import { checkScope, parseScope, safeEqual } from "./checks.ts";
import { checkProof, proofFailure } from "./dpop.ts";
import { answer, jsonNoStore, OAuthFailure, parseForm, required } from "./http.ts";

type GrantHandler = (runtime: Runtime, request: TokenRequest) => Promise<TokenResponse>;

const HANDLERS: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  [DEVICE_GRANT]: deviceCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  password: passwordGrant,
};

/**
 * Answers a token request.
 *
 * @param runtime The provider.
 * @param headers The request headers.
 * @param body The request body.
 * @returns The token response or the OAuth error response.
 */
export function tokenEndpoint(runtime: Runtime, headers: Headers, body: string): Promise<Response> {
  return answer(async () => {
    const form = parseForm(headers, body);
    const endpoint = `${runtime.issuer}/token`;
    const client = await authenticateClient(runtime, headers, form, endpoint);
    const grant = required(form, "grant_type");
    const handler = HANDLERS[grant];
    if (handler === undefined || !GRANT_TYPES.includes(grant)) {
      throw new OAuthFailure("unsupported_grant_type", `Grant type "${grant}" is not supported`);
    }
    if (!client.grants.has(grant)) {
      throw new OAuthFailure("unauthorized_client", `The client may not use "${grant}"`);
    }
    const proof = await checkProof(runtime, headers, {
      method: "POST",
      url: endpoint,
      site: "provider",
    });
    if (proof === undefined && client.dpop) {
      throw proofFailure(runtime, "provider", "invalid_dpop_proof", "A DPoP proof is required");
    }
    return jsonNoStore(await handler(runtime, { client, form, jkt: proof?.jkt }));
  });
}

/**
 * The `refresh_token` grant (RFC 6749 §6). With rotation, each refresh token works once; a
 * rotated-away token revokes its whole family (RFC 9700 §4.14.2). The scope may narrow, never
 * widen.
 */
async function refreshTokenGrant(
  runtime: Runtime,
  { client, form, jkt }: TokenRequest,
): Promise<TokenResponse> {
  const { config, state } = runtime;
  const token = required(form, "refresh_token");
  const record = state.refresh.get(token);
  if (record === undefined || record.family.clientId !== client.clientId) {
    throw new OAuthFailure("invalid_grant", "The refresh token is unknown");
  }
  const family = record.family;
  if (family.revoked) {
    throw new OAuthFailure("invalid_grant", "The refresh token was revoked");
  }
  if (record.used) {
    state.revokeFamily(family);
    throw new OAuthFailure(
      "invalid_grant",
      "The refresh token was already used; every token of its grant is now revoked",
    );
  }
  if (state.nowMs() >= record.expiresAt) {
    throw new OAuthFailure("invalid_grant", "The refresh token expired");
  }
  // A bound refresh token needs a proof of its key (RFC 9449 §5); a proof of another key does
  // not make it usable. Checked before the token is spent.
  if (family.jkt !== undefined && jkt === undefined) {
    throw proofFailure(
      runtime,
      "provider",
      "invalid_dpop_proof",
      "The refresh token is bound to a DPoP key: a proof is required",
    );
  }
  if (family.jkt !== undefined && jkt !== family.jkt) {
    throw new OAuthFailure("invalid_grant", "The refresh token is bound to another DPoP key");
  }
  const granted = new Set(parseScope(family.scope));
  const scope = checkScope(form.get("scope"), granted, family.scope);
  if (config.rotateRefreshTokens) record.used = true;
  const { body } = await mint(runtime, {
    client,
    user: family.user,
    scope,
    aud: family.aud,
    family,
    refresh: config.rotateRefreshTokens,
    ...(family.jkt === undefined ? {} : { jkt: family.jkt }),
  });
  return body;
}

/** The `client_credentials` grant (RFC 6749 §4.4), for confidential clients only. */
async function clientCredentialsGrant(
  runtime: Runtime,
  { client, form, jkt }: TokenRequest,
): Promise<TokenResponse> {
  if (!client.confidential) {
    throw new OAuthFailure("unauthorized_client", "A public client may not use this grant");
  }
  const scope = checkScope(form.get("scope"), runtime.config.scopes, client.scope);
  const aud = form.get("audience") ?? form.get("resource") ?? runtime.apiUrl;
  const { body } = await mint(runtime, {
    client,
    user: undefined,
    scope,
    aud,
    refresh: false,
    ...(jkt === undefined ? {} : { jkt }),
  });
  return body;
}

/** The resource owner password credentials grant (RFC 6749 §4.3). */
async function passwordGrant(
  runtime: Runtime,
  { client, form, jkt }: TokenRequest,
): Promise<TokenResponse> {
  const username = required(form, "username");
  const password = required(form, "password");
  const user = runtime.config.users.get(username);
  if (user === undefined || !safeEqual(user.password, password)) {
    throw new OAuthFailure("invalid_grant", "Invalid username or password");
  }
  const scope = checkScope(form.get("scope"), runtime.config.scopes, client.scope);
  const aud = form.get("audience") ?? form.get("resource") ?? runtime.apiUrl;
  const { body } = await mint(runtime, {
    client,
    user,
    scope,
    aud,
    refresh: client.grants.has("refresh_token"),
    ...(jkt === undefined ? {} : { jkt }),
  });
  return body;
}
