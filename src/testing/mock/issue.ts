/**
 * Mints token responses: a JWT access token, a refresh token within its family and, for the
 * `openid` scope, an ID token.
 *
 * @module
 */

import type { Config, ResolvedClient } from "./config.ts";
import type { Family, State } from "./state.ts";
import type { Signer } from "./tokens.ts";
import { hasScope, randomToken } from "./checks.ts";
import type { MockUser } from "./options.ts";

/** A successful token response (RFC 6749 §5.1). */
export interface TokenResponse {
  access_token: string;
  /** `"DPoP"` for a token bound to a DPoP key (RFC 9449 §5). */
  token_type: "Bearer" | "DPoP";
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** What a grant issues for: the client, its request, and the DPoP key proven, if any. */
export interface TokenRequest {
  client: ResolvedClient;
  form: URLSearchParams;
  /** The thumbprint of the DPoP key of the request's proof. */
  jkt: string | undefined;
}

/** The running provider, as its endpoints see it. */
export interface Runtime {
  config: Config;
  state: State;
  signer: Signer;
  /** The issuer identifier, without a trailing slash. */
  issuer: string;
  /** The demo API base URL, `issuer + "/api"` (the default `aud` of access tokens). */
  apiUrl: string;
}

/** What a grant decided to issue. */
export interface Grant {
  client: ResolvedClient;
  /** The signed-in user; `undefined` for client credentials. */
  user: MockUser | undefined;
  /** The scope of this access token. */
  scope: string;
  /** The `aud` of the access token. */
  aud: string;
  /** The `nonce` of the authorization request, for the ID token. */
  nonce?: string;
  /** The family to continue (a refresh); a new one is started otherwise. */
  family?: Family;
  /** Whether to issue a refresh token. */
  refresh: boolean;
  /** The access token lifetime, in seconds; the configured one by default. */
  ttl?: number;
  /** The thumbprint of the DPoP key the tokens are bound to (`cnf.jkt`), if any. */
  jkt?: string;
}

/**
 * Mints the tokens of a grant.
 *
 * @param runtime The provider.
 * @param grant What to issue.
 * @returns The token response body, and the family it belongs to (none for client credentials).
 */
export async function mint(
  runtime: Runtime,
  grant: Grant,
): Promise<{ body: TokenResponse; family: Family | undefined }> {
  const { config, state, signer } = runtime;
  const iat = state.now();
  const ttl = grant.ttl ?? config.accessTokenTtl;
  const user = grant.user;
  let family = grant.family;
  if (family === undefined && user !== undefined) {
    family = {
      id: crypto.randomUUID(),
      clientId: grant.client.clientId,
      user,
      scope: grant.scope,
      aud: grant.aud,
      authTime: iat,
      revoked: false,
      ...(grant.jkt === undefined ? {} : { jkt: grant.jkt }),
    };
  }
  const jti = crypto.randomUUID();
  state.access.set(jti, { family, revoked: false });
  const body: TokenResponse = {
    access_token: await signer.sign({
      sub: user?.sub ?? grant.client.clientId,
      aud: grant.aud,
      client_id: grant.client.clientId,
      scope: grant.scope,
      iat,
      exp: iat + ttl,
      jti,
      ...(grant.jkt === undefined ? {} : { cnf: { jkt: grant.jkt } }),
    }, "at+jwt"),
    token_type: grant.jkt === undefined ? "Bearer" : "DPoP",
    expires_in: ttl,
    scope: grant.scope,
  };
  if (grant.refresh && family !== undefined) {
    body.refresh_token = randomToken();
    state.refresh.set(body.refresh_token, {
      family,
      expiresAt: state.nowMs() + config.refreshTokenTtl * 1000,
      used: false,
    });
  }
  if (user !== undefined && hasScope(grant.scope, "openid")) {
    body.id_token = await signer.sign({
      sub: user.sub,
      aud: grant.client.clientId,
      iat,
      exp: iat + ttl,
      auth_time: family?.authTime ?? iat,
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
      ...profileClaims(user, grant.scope),
    }, "JWT");
  }
  return { body, family };
}

/**
 * The user claims released for a scope: `name` and `preferred_username` with `profile`,
 * `email` with `email`.
 *
 * @param user The user.
 * @param scope The granted scope.
 * @returns The claims.
 */
export function profileClaims(user: MockUser, scope: string): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (hasScope(scope, "profile")) {
    claims.preferred_username = user.username;
    if (user.name !== undefined) claims.name = user.name;
  }
  if (hasScope(scope, "email") && user.email !== undefined) {
    claims.email = user.email;
    claims.email_verified = true;
  }
  return claims;
}
