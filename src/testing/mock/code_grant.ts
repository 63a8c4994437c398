/**
 * The `authorization_code` grant: single-use codes bound to the client, the redirect URI and
 * the PKCE challenge (RFC 6749 §4.1.3, RFC 7636 §4.6).
 *
 * @module
 */

import { mint, type Runtime, type TokenRequest, type TokenResponse } from "./issue.ts";
import { s256, safeEqual } from "./checks.ts";
import { OAuthFailure, required } from "./http.ts";

/**
 * Exchanges an authorization code for tokens. Presenting a used code fails and revokes the
 * tokens issued for it (RFC 6749 §4.1.2).
 *
 * @param runtime The provider.
 * @param client The authenticated client.
 * @param form The request parameters.
 * @returns The token response body.
 * @throws {OAuthFailure} `invalid_grant` for an unknown, expired, used or mismatched code.
 */
export async function authorizationCodeGrant(
  runtime: Runtime,
  { client, form, jkt }: TokenRequest,
): Promise<TokenResponse> {
  const code = required(form, "code");
  const redirectUri = required(form, "redirect_uri");
  const record = runtime.state.codes.get(code);
  if (record === undefined) {
    throw new OAuthFailure("invalid_grant", "The authorization code is unknown");
  }
  if (record.clientId !== client.clientId) {
    throw new OAuthFailure("invalid_grant", "The authorization code was issued to another client");
  }
  if (record.used) {
    if (record.family !== undefined) runtime.state.revokeFamily(record.family);
    throw new OAuthFailure("invalid_grant", "The authorization code was already used");
  }
  if (runtime.state.nowMs() >= record.expiresAt) {
    throw new OAuthFailure("invalid_grant", "The authorization code expired");
  }
  if (record.redirectUri !== redirectUri) {
    throw new OAuthFailure(
      "invalid_grant",
      '"redirect_uri" differs from the authorization request',
    );
  }
  const verifier = form.get("code_verifier");
  if (verifier === null) {
    throw new OAuthFailure("invalid_grant", 'PKCE "code_verifier" is missing');
  }
  const challenge = await s256(verifier);
  if (challenge === undefined || !safeEqual(challenge, record.challenge)) {
    throw new OAuthFailure("invalid_grant", '"code_verifier" does not match "code_challenge"');
  }
  record.used = true;
  const { body, family } = await mint(runtime, {
    client,
    user: record.user,
    scope: record.scope,
    aud: record.aud,
    ...(record.nonce === undefined ? {} : { nonce: record.nonce }),
    refresh: client.grants.has("refresh_token"),
    ...(jkt === undefined ? {} : { jkt }),
  });
  record.family = family;
  return body;
}
