/**
 * The non-interactive grants: refresh token (RFC 6749 §6), client credentials
 * (§4.4), password (§4.3, deprecated), and revocation (RFC 7009).
 *
 * @module
 */

import * as oc from "openid-client";
import type { Credential } from "../credential.ts";
import { LoginRequiredError } from "../errors.ts";
import type { Secret } from "../secret.ts";
import type { Provider } from "./discovery.ts";
import { toAuthError } from "./errors.ts";
import { toCredential } from "./token_response.ts";

/** Extra parameters for a grant. */
export interface GrantParameters {
  /** The scope to ask for. */
  scope?: string | undefined;
  /** The audience to ask for. */
  audience?: string | undefined;
  /** openid-client's DPoP handle: the request carries a proof of its key (RFC 9449). */
  dpop?: oc.DPoPHandle | undefined;
}

/** openid-client's options for a grant request: the DPoP handle, when there is one. */
export function dpopOption(p: GrantParameters): { DPoP?: oc.DPoPHandle } {
  return p.dpop ? { DPoP: p.dpop } : {};
}

function params(p: GrantParameters): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.scope) out.scope = p.scope;
  if (p.audience) out.audience = p.audience;
  return out;
}

const now = () => Date.now() / 1000;

/**
 * Renews a credential with its refresh token.
 *
 * @param provider The provider.
 * @param credential The credential holding the refresh token.
 * @param p The DPoP handle, when the tokens are bound to a key.
 * @returns The new credential (refresh token carried over unless rotated).
 */
export async function refreshGrant(
  provider: Provider,
  credential: Credential,
  p: GrantParameters = {},
): Promise<Credential> {
  const refreshToken = credential.refreshToken;
  if (!refreshToken) throw new LoginRequiredError("Cannot refresh token: no refresh token");
  try {
    const response = await oc.refreshTokenGrant(
      provider.config,
      refreshToken.reveal(),
      undefined,
      dpopOption(p),
    );
    const next = toCredential(response, provider, now());
    return next.refreshToken ? next : next.with({ refreshToken });
  } catch (error) {
    throw toAuthError(error, "Cannot refresh token", secrets(provider, refreshToken));
  }
}

/**
 * Gets an access token with the client's own credentials.
 *
 * @param provider The provider (made with the client secret).
 * @param p Scope and audience.
 * @returns The credential.
 */
export async function clientCredentialsGrant(
  provider: Provider,
  p: GrantParameters,
): Promise<Credential> {
  try {
    const response = await oc.clientCredentialsGrant(provider.config, params(p), dpopOption(p));
    return toCredential(response, provider, now());
  } catch (error) {
    throw toAuthError(error, "Cannot get a client credentials token", secrets(provider));
  }
}

/**
 * The deprecated resource owner password grant.
 *
 * @param provider The provider.
 * @param username The user name.
 * @param password The password (never logged).
 * @param p Scope and audience.
 * @returns The credential.
 */
export async function passwordGrant(
  provider: Provider,
  username: string,
  password: Secret,
  p: GrantParameters,
): Promise<Credential> {
  try {
    const response = await oc.genericGrantRequest(provider.config, "password", {
      username,
      password: password.reveal(),
      ...params(p),
    }, dpopOption(p));
    return toCredential(response, provider, now());
  } catch (error) {
    throw toAuthError(error, "Cannot sign in with a password", secrets(provider, password));
  }
}

/**
 * Revokes the refresh token, then the access token (RFC 7009), when the
 * provider has a revocation endpoint.
 *
 * @param provider The provider.
 * @param credential The credential to revoke.
 * @returns `false` when the provider has no revocation endpoint.
 */
export async function revoke(provider: Provider, credential: Credential): Promise<boolean> {
  if (!provider.config.serverMetadata().revocation_endpoint) return false;
  const pairs: [Secret | undefined, string][] = [
    [credential.refreshToken, "refresh_token"],
    [credential.accessToken, "access_token"],
  ];
  for (const [token, hint] of pairs) {
    if (!token) continue;
    try {
      await oc.tokenRevocation(provider.config, token.reveal(), { token_type_hint: hint });
    } catch (error) {
      throw toAuthError(error, "Cannot revoke token", secrets(provider, ...pairs.map((p) => p[0])));
    }
  }
  return true;
}

function secrets(provider: Provider, ...more: (Secret | undefined)[]): (Secret | undefined)[] {
  return [provider.options.clientSecret, ...more];
}
