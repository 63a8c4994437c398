/**
 * Client authentication at the token, device authorization and revocation endpoints:
 * `client_secret_basic`, `client_secret_post`, or `none` for public clients (RFC 6749 §2.3).
 *
 * @module
 */

import type { Config, ResolvedClient } from "./config.ts";
import { safeEqual } from "./checks.ts";
import { OAuthFailure } from "./http.ts";

const BASIC_CHALLENGE = { "www-authenticate": 'Basic realm="latchkey-mock"' };

/**
 * Authenticates the client of a request.
 *
 * @param config The provider configuration.
 * @param headers The request headers.
 * @param form The request parameters.
 * @returns The authenticated client.
 * @throws {OAuthFailure} `invalid_client` (401) when authentication fails, `invalid_request`
 * when the client uses two methods at once.
 */
export function authenticateClient(
  config: Config,
  headers: Headers,
  form: URLSearchParams,
): ResolvedClient {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const basic = parseBasic(authorization);
    if (basic === undefined) {
      throw new OAuthFailure("invalid_client", "The Authorization header is not Basic", 401, {
        ...BASIC_CHALLENGE,
      });
    }
    if (form.has("client_secret")) {
      throw new OAuthFailure("invalid_request", "Use one client authentication method only");
    }
    const formId = form.get("client_id");
    if (formId !== null && formId !== basic.id) {
      throw new OAuthFailure("invalid_request", '"client_id" differs from the Basic user name');
    }
    const client = config.clients.get(basic.id);
    if (client?.clientSecret === undefined || !safeEqual(client.clientSecret, basic.secret)) {
      throw new OAuthFailure("invalid_client", "Client authentication failed", 401, {
        ...BASIC_CHALLENGE,
      });
    }
    return client;
  }
  const id = form.get("client_id");
  if (id === null || id === "") {
    throw new OAuthFailure("invalid_client", "Client authentication is missing", 401);
  }
  const client = config.clients.get(id);
  if (client === undefined) {
    throw new OAuthFailure("invalid_client", `Client "${id}" is unknown`, 401);
  }
  const secret = form.get("client_secret");
  if (client.clientSecret === undefined) {
    if (secret !== null) {
      throw new OAuthFailure("invalid_client", `Client "${id}" is public and has no secret`, 401);
    }
    return client;
  }
  if (secret === null) {
    throw new OAuthFailure("invalid_client", `Client "${id}" must authenticate`, 401);
  }
  if (!safeEqual(client.clientSecret, secret)) {
    throw new OAuthFailure("invalid_client", "Client authentication failed", 401);
  }
  return client;
}

/**
 * Parses a Basic `Authorization` header whose user and password are form-urlencoded, as
 * RFC 6749 §2.3.1 requires of client credentials.
 *
 * @param header The header value.
 * @returns The client id and secret, or `undefined` when malformed.
 */
export function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (match === null) return undefined;
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(match[1]!), (char) => char.charCodeAt(0)),
    );
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const decode = (part: string): string | undefined => {
    try {
      return decodeURIComponent(part.replaceAll("+", " "));
    } catch {
      return undefined;
    }
  };
  const id = decode(decoded.slice(0, colon));
  const secret = decode(decoded.slice(colon + 1));
  return id === undefined || secret === undefined ? undefined : { id, secret };
}
