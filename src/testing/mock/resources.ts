/**
 * What access tokens are for: the bearer and DPoP checks (RFC 6750, RFC 9449 §7), the userinfo endpoint, the demo API,
 * and token revocation (RFC 7009).
 *
 * @module
 */

import type { Runtime } from "./issue.ts";
import { profileClaims } from "./issue.ts";
import { authenticateClient } from "./client_auth.ts";
import { hasScope } from "./checks.ts";
import { checkProof, DPOP_ALGORITHMS, proofFailure } from "./dpop.ts";
import { answer, jsonNoStore, OAuthFailure, parseForm, required } from "./http.ts";
import type { AccessClaims } from "./tokens.ts";

/**
 * Checks the access token of a request: signature, issuer, expiry on the provider clock, and
 * that neither it nor its family was revoked. A token bound to a DPoP key (`cnf.jkt`) is accepted
 * only as `Authorization: DPoP <token>` with a proof of that key for this method and URL
 * (RFC 9449 §7); a plain bearer token only as `Authorization: Bearer <token>` (RFC 6750).
 *
 * @param runtime The provider.
 * @param request The request.
 * @returns The token claims.
 * @throws {OAuthFailure} `invalid_token` (401) with a `WWW-Authenticate` challenge, which names
 * the error only when a token was presented (RFC 6750 §3.1); `invalid_dpop_proof` or
 * `use_dpop_nonce` for a DPoP-bound token's proof.
 */
export async function checkAccess(runtime: Runtime, request: Request): Promise<AccessClaims> {
  const { headers } = request;
  const match = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(headers.get("authorization") ?? "");
  if (match === null) {
    throw new OAuthFailure("invalid_token", "A bearer access token is required", 401, {
      "www-authenticate": `Bearer realm="latchkey-mock", DPoP algs="${DPOP_ALGORITHMS.join(" ")}"`,
    });
  }
  const scheme = match[1]!.toLowerCase() === "dpop" ? "DPoP" : "Bearer";
  const token = match[2]!;
  const claims = await runtime.signer.verifyAccessToken(token, runtime.state.now());
  const record = claims === undefined ? undefined : runtime.state.access.get(claims.jti);
  if (claims === undefined || record === undefined || record.revoked || record.family?.revoked) {
    const description = claims === undefined
      ? "The access token is invalid or expired"
      : "The access token was revoked";
    throw new OAuthFailure("invalid_token", description, 401, {
      "www-authenticate": `${scheme} error="invalid_token", error_description="${description}"`,
    });
  }
  const jkt = claims.cnf?.jkt;
  if (jkt === undefined) {
    if (scheme === "DPoP") {
      throw proofFailure(runtime, "api", "invalid_token", "The access token is not DPoP-bound");
    }
    return claims;
  }
  if (scheme !== "DPoP") {
    // The stolen-token case: a bound token presented as a plain bearer token.
    throw proofFailure(
      runtime,
      "api",
      "invalid_token",
      'The access token is DPoP-bound: send it as "Authorization: DPoP" with a proof',
    );
  }
  const proof = await checkProof(runtime, headers, {
    method: request.method,
    url: request.url,
    accessToken: token,
    site: "api",
  });
  if (proof === undefined) {
    throw proofFailure(runtime, "api", "invalid_dpop_proof", "A DPoP proof is required");
  }
  if (proof.jkt !== jkt) {
    throw proofFailure(
      runtime,
      "api",
      "invalid_dpop_proof",
      "The DPoP proof is signed by another key than the token is bound to",
    );
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
    const claims = await checkAccess(runtime, request);
    const path = new URL(request.url).pathname;
    return jsonNoStore({ ok: true, sub: claims.sub, path, method: request.method });
  });
}

/**
 * The OpenID Connect userinfo endpoint; needs the `openid` scope.
 *
 * @param runtime The provider.
 * @param request The request.
 * @returns The user's claims, or an error.
 */
export function userinfo(runtime: Runtime, request: Request): Promise<Response> {
  return answer(async () => {
    const claims = await checkAccess(runtime, request);
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
    const client = await authenticateClient(runtime, headers, form, `${runtime.issuer}/revoke`);
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
