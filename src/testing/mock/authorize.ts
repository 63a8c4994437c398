/**
 * The authorization endpoint (RFC 6749 §4.1, PKCE S256 required, RFC 9207 `iss`): checking a
 * request and building the redirect a browser lands on.
 *
 * @module
 */

import type { ResolvedClient } from "./config.ts";
import type { Runtime } from "./issue.ts";
import type { MockUser } from "./options.ts";
import { checkScope, isS256Challenge, randomToken, redirectAllowed } from "./checks.ts";
import { checkNoRepeats, OAuthFailure } from "./http.ts";

/** How long an authorization code is valid, in milliseconds. */
const CODE_TTL_MS = 60_000;

/** A valid authorization request. */
export interface AuthorizationRequest {
  client: ResolvedClient;
  redirectUri: string;
  scope: string;
  state: string | undefined;
  nonce: string | undefined;
  challenge: string;
  aud: string;
}

/** The outcome of checking an authorization request. */
export type CheckedAuthorization =
  /** Valid: show the sign-in page. */
  | { request: AuthorizationRequest }
  /** Invalid, with a trusted redirect URI: send the browser back with `error`. */
  | { redirect: URL }
  /** The client or redirect URI is not trusted: show an error page, never redirect. */
  | { page: { status: 400; message: string } };

/**
 * Checks an authorization request as the endpoint does.
 *
 * @param runtime The provider.
 * @param params The query (GET) or form (POST) parameters.
 * @returns The request, an error redirect, or an error page.
 */
export function checkAuthorization(
  runtime: Runtime,
  params: URLSearchParams,
): CheckedAuthorization {
  for (const name of ["client_id", "redirect_uri"]) {
    if (params.getAll(name).length > 1) {
      return { page: { status: 400, message: `Parameter "${name}" is repeated` } };
    }
  }
  const clientId = params.get("client_id");
  const client = clientId === null ? undefined : runtime.config.clients.get(clientId);
  if (client === undefined) {
    const message = clientId === null
      ? 'Parameter "client_id" is missing'
      : `Client "${clientId}" is unknown`;
    return { page: { status: 400, message } };
  }
  const redirectUri = params.get("redirect_uri");
  if (redirectUri === null || !redirectAllowed(client, redirectUri)) {
    const message = redirectUri === null
      ? 'Parameter "redirect_uri" is missing'
      : `Redirect URI "${redirectUri}" is not registered for client "${client.clientId}"`;
    return { page: { status: 400, message } };
  }
  const state = params.get("state") ?? undefined;
  try {
    checkNoRepeats(params);
    const responseType = params.get("response_type");
    if (responseType === null) {
      throw new OAuthFailure("invalid_request", 'Parameter "response_type" is missing');
    }
    if (responseType !== "code") {
      throw new OAuthFailure("unsupported_response_type", 'Only "code" is supported');
    }
    if (!client.grants.has("authorization_code")) {
      throw new OAuthFailure("unauthorized_client", "The client may not use this flow");
    }
    const challenge = params.get("code_challenge");
    if (challenge === null) {
      throw new OAuthFailure("invalid_request", 'PKCE is required: "code_challenge" is missing');
    }
    if (params.get("code_challenge_method") !== "S256") {
      throw new OAuthFailure("invalid_request", '"code_challenge_method" must be "S256"');
    }
    if (!isS256Challenge(challenge)) {
      throw new OAuthFailure("invalid_request", '"code_challenge" is malformed');
    }
    const scope = checkScope(params.get("scope"), runtime.config.scopes, client.scope);
    const nonce = params.get("nonce") ?? undefined;
    const aud = params.get("audience") ?? params.get("resource") ?? runtime.apiUrl;
    return { request: { client, redirectUri, scope, state, nonce, challenge, aud } };
  } catch (error) {
    if (!(error instanceof OAuthFailure)) throw error;
    return { redirect: errorRedirect(runtime, redirectUri, state, error) };
  }
}

/**
 * The redirect of a decided request: a fresh code, or `access_denied` when no user consented.
 *
 * @param runtime The provider.
 * @param request The checked request.
 * @param user The user who allowed it, or `undefined` when denied.
 * @returns The URL the browser is sent to, with `code` (or `error`), `state` and `iss`.
 */
export function decideAuthorization(
  runtime: Runtime,
  request: AuthorizationRequest,
  user: MockUser | undefined,
): URL {
  if (user === undefined) {
    const denied = new OAuthFailure("access_denied", "The user denied the request");
    return errorRedirect(runtime, request.redirectUri, request.state, denied);
  }
  const code = randomToken();
  runtime.state.codes.set(code, {
    clientId: request.client.clientId,
    redirectUri: request.redirectUri,
    challenge: request.challenge,
    nonce: request.nonce,
    scope: request.scope,
    aud: request.aud,
    user,
    expiresAt: runtime.state.nowMs() + CODE_TTL_MS,
    used: false,
    family: undefined,
  });
  const url = new URL(request.redirectUri);
  url.searchParams.append("code", code);
  if (request.state !== undefined) url.searchParams.append("state", request.state);
  url.searchParams.append("iss", runtime.issuer);
  return url;
}

function errorRedirect(
  runtime: Runtime,
  redirectUri: string,
  state: string | undefined,
  failure: OAuthFailure,
): URL {
  const url = new URL(redirectUri);
  url.searchParams.append("error", failure.error);
  url.searchParams.append("error_description", failure.message);
  if (state !== undefined) url.searchParams.append("state", state);
  url.searchParams.append("iss", runtime.issuer);
  return url;
}
