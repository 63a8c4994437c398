/**
 * What access tokens are for: the bearer check (RFC 6750), the userinfo endpoint, the demo API,
 * and token revocation (RFC 7009).
 *
 * @module
 */

import type { Runtime } from "./issue.ts";
import { profileClaims } from "./issue.ts";
import { authenticateClient } from "./client_auth.ts";
import { hasScope } from "./checks.ts";
import { answer, jsonNoStore, OAuthFailure, parseForm, required } from "./http.ts";
import type { AccessClaims } from "./tokens.ts";

/**
 * Checks the bearer token of a request: signature, issuer, expiry on the provider clock, and
 * that neither it nor its family was revoked.
 *
 * @param runtime The provider.
 * @param headers The request headers.
 * @returns The token claims.
 * @throws {OAuthFailure} `invalid_token` (401) with a `WWW-Authenticate: Bearer` challenge,
 * which names the error only when a token was presented (RFC 6750 §3.1).
 */
export async function checkBearer(runtime: Runtime, headers: Headers): Promise<AccessClaims> {
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(headers.get("authorization") ?? "");
  if (match === null) {
    throw new OAuthFailure("invalid_token", "A bearer access token is required", 401, {
      "www-authenticate": 'Bearer realm="latchkey-mock"',
    });
  }
  const claims = await runtime.signer.verifyAccessToken(match[1]!, runtime.state.now());
  const record = claims === undefined ? undefined : runtime.state.access.get(claims.jti);
  if (claims === undefined || record === undefined || record.revoked || record.family?.revoked) {
    const description = claims === undefined
      ? "The access token is invalid or expired"
      : "The access token was revoked";
    throw new OAuthFailure("invalid_token", description, 401, {
      "www-authenticate": `Bearer error="invalid_token", error_description="${description}"`,
    });
  }
  return claims;
}

/**
 * The demo API: any method under `/api/`, answering who called it.
 *
 * @param runtime The provider.
 * @param request The request.
 * @returns `{ ok, sub, path, method }`, or a 401 error.
 */
export function demoApi(runtime: Runtime, request: Request): Promise<Response> {
  return answer(async () => {
    const claims = await checkBearer(runtime, request.headers);
    const path = new URL(request.url).pathname;
    return jsonNoStore({ ok: true, sub: claims.sub, path, method: request.method });
  });
}

/**
 * The OpenID Connect userinfo endpoint; needs the `openid` scope.
 *
 * @param runtime The provider.
 * @param headers The request headers.
 * @returns The user's claims, or an error.
 */
export function userinfo(runtime: Runtime, headers: Headers): Promise<Response> {
  return answer(async () => {
    const claims = await checkBearer(runtime, headers);
    const user = runtime.state.access.get(claims.jti)?.family?.user;
    if (user === undefined || !hasScope(claims.scope, "openid")) {
      throw new OAuthFailure("insufficient_scope", 'The "openid" scope is required', 403, {
        "www-authenticate": 'Bearer error="insufficient_scope", scope="openid"',
      });
    }
    return jsonNoStore({ sub: user.sub, ...profileClaims(user, claims.scope) });
  });
}

/**
 * The revocation endpoint. Revoking a refresh token revokes its family, access tokens
 * included; unknown tokens are answered 200 as RFC 7009 §2.2 says.
 *
 * @param runtime The provider.
 * @param headers The request headers.
 * @param body The request body.
 * @returns An empty 200 response, or an error.
 */
export function revoke(runtime: Runtime, headers: Headers, body: string): Promise<Response> {
  return answer(async () => {
    const form = parseForm(headers, body);
    const client = authenticateClient(runtime.config, headers, form);
    const token = required(form, "token");
    const { state } = runtime;
    const refresh = state.refresh.get(token);
    const claims = refresh === undefined
      ? await runtime.signer.verifyAccessToken(token, undefined)
      : undefined;
    const access = claims === undefined ? undefined : state.access.get(claims.jti);
    const owner = refresh?.family.clientId ??
      (access === undefined ? undefined : claims?.client_id);
    if (owner !== undefined && owner !== client.clientId) {
      throw new OAuthFailure("invalid_request", "The token was issued to another client");
    }
    if (refresh !== undefined) state.revokeFamily(refresh.family);
    if (access !== undefined) access.revoked = true;
    return new Response(null, { status: 200, headers: { "cache-control": "no-store" } });
  });
}
