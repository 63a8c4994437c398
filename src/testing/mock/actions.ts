/**
 * What a test can do to the provider directly, without a browser: decide device codes and
 * authorization requests, and mint a session.
 *
 * @module
 */

import { checkAuthorization, decideAuthorization } from "./authorize.ts";
import { checkScope } from "./checks.ts";
import { decideDevice } from "./device.ts";
import { mint, type Runtime } from "./issue.ts";
import type { MockUser } from "./options.ts";

/** Options of `MockProvider.approveAuthorization`. */
export interface ApproveAuthorizationOptions {
  /** The user who signs in; the first user by default. */
  username?: string;
  /** Deny instead: the redirect carries `error=access_denied`. */
  deny?: boolean;
}

/** Options of `MockProvider.issueTokens`. */
export interface IssueTokensOptions {
  /** The user the session is for; the first user by default. */
  username?: string;
  /** The client the tokens are issued to; the first client by default. */
  clientId?: string;
  /** The granted scope; the client's scope by default. */
  scope?: string;
  /** The access token lifetime in seconds; the provider's `accessTokenTtl` by default. */
  ttl?: number;
  /**
   * The JWK SHA-256 thumbprint (RFC 7638) of a DPoP key to bind the tokens to, as a login with
   * a DPoP proof of that key would (`token_type: "DPoP"`, `cnf.jkt`, a bound refresh token).
   */
  jkt?: string;
}

/** Tokens minted by `MockProvider.issueTokens`. */
export interface IssuedTokens {
  /** The access token, a JWT. */
  access_token: string;
  /** The refresh token. */
  refresh_token: string;
  /** The access token lifetime in seconds. */
  expires_in: number;
  /** `"DPoP"` when bound to a key (`jkt`), else `"Bearer"`. */
  token_type: "Bearer" | "DPoP";
  /** The granted scope. */
  scope: string;
  /** The ID token, when the scope includes `openid`. */
  id_token?: string;
}

/**
 * Finds a user by name, or the first user.
 *
 * @throws {TypeError} When there is no such user.
 */
export function findUser(runtime: Runtime, username: string | undefined): MockUser {
  const user = username === undefined
    ? runtime.config.users.values().next().value
    : runtime.config.users.get(username);
  if (user === undefined) throw new TypeError(`Cannot find user: "${username ?? ""}" is unknown`);
  return user;
}

/**
 * Approves a device code as `username` (the first user by default).
 *
 * @throws {TypeError} When the code or user is unknown, or the code is expired or decided.
 */
export function approveDevice(runtime: Runtime, userCode: string, username?: string): void {
  decideDevice(runtime, userCode, findUser(runtime, username));
}

/**
 * Decides an authorization request the way the sign-in page would.
 *
 * @param runtime The provider.
 * @param authorizationUrl The URL the client would open in a browser.
 * @param options Who signs in, or whether to deny.
 * @returns The redirect URL, with `code` (or `error`), `state` and `iss`.
 * @throws {TypeError} When the URL is not this provider's authorization endpoint, or its client
 * or redirect URI is invalid (the page would show an error instead of redirecting).
 */
export function approveAuthorization(
  runtime: Runtime,
  authorizationUrl: string | URL,
  options: ApproveAuthorizationOptions = {},
): URL {
  const url = new URL(authorizationUrl);
  if (`${url.origin}${url.pathname}` !== `${runtime.issuer}/authorize`) {
    throw new TypeError(`Cannot approve authorization: "${url.href}" is not this provider's`);
  }
  const checked = checkAuthorization(runtime, url.searchParams);
  if ("page" in checked) {
    throw new TypeError(`Cannot approve authorization: ${checked.page.message}`);
  }
  if ("redirect" in checked) return checked.redirect;
  const user = options.deny ? undefined : findUser(runtime, options.username);
  return decideAuthorization(runtime, checked.request, user);
}

/**
 * Mints a session as if the user had just signed in.
 *
 * @param runtime The provider.
 * @param options The user, client, scope and lifetime.
 * @returns The tokens.
 * @throws {TypeError} When the user or client is unknown.
 * @throws {RangeError} When `ttl` is not a positive number.
 */
export async function issueTokens(
  runtime: Runtime,
  options: IssueTokensOptions = {},
): Promise<IssuedTokens> {
  const user = findUser(runtime, options.username);
  const { clients, scopes } = runtime.config;
  const client = options.clientId === undefined
    ? clients.values().next().value
    : clients.get(options.clientId);
  if (client === undefined) {
    throw new TypeError(`Cannot issue tokens: client "${options.clientId ?? ""}" is unknown`);
  }
  if (options.ttl !== undefined && !(Number.isFinite(options.ttl) && options.ttl > 0)) {
    throw new RangeError('Cannot issue tokens: "ttl" must be a positive number');
  }
  let scope: string;
  try {
    scope = checkScope(options.scope ?? null, scopes, client.scope);
  } catch (error) {
    throw new TypeError(`Cannot issue tokens: ${(error as Error).message}`);
  }
  const { body } = await mint(runtime, {
    client,
    user,
    scope,
    aud: runtime.apiUrl,
    refresh: true,
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    ...(options.jkt === undefined ? {} : { jkt: options.jkt }),
  });
  return { ...body, refresh_token: body.refresh_token! };
}
