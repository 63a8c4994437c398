/**
 * Client authentication at the token, device authorization and revocation endpoints:
 * `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2) for clients
 * with registered keys, or `none` for public clients (RFC 6749 §2.3).
 *
 * @module
 */

import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";
import type { ResolvedClient } from "./config.ts";
import { safeEqual } from "./checks.ts";
import { OAuthFailure } from "./http.ts";
import type { Runtime } from "./issue.ts";

/** The `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** The client assertion signing algorithms the provider accepts. */
export const ASSERTION_ALGORITHMS: readonly string[] = [
  "ES256",
  "ES384",
  "PS256",
  "RS256",
  "EdDSA",
];

/** How long a client assertion's `jti` is remembered, and the longest lifetime accepted (s). */
const ASSERTION_WINDOW = 120;

const BASIC_CHALLENGE = { "www-authenticate": 'Basic realm="latchkey-mock"' };

/**
 * Authenticates the client of a request.
 *
 * @param runtime The provider.
 * @param headers The request headers.
 * @param form The request parameters.
 * @param endpoint The URL of the endpoint called (a client assertion may name it as `aud`).
 * @returns The authenticated client.
 * @throws {OAuthFailure} `invalid_client` (401) when authentication fails, `invalid_request`
 * when the client uses two methods at once.
 */
export async function authenticateClient(
  runtime: Runtime,
  headers: Headers,
  form: URLSearchParams,
  endpoint: string,
): Promise<ResolvedClient> {
  const { config } = runtime;
  const authorization = headers.get("authorization");
  if (form.has("client_assertion") || form.has("client_assertion_type")) {
    if (authorization !== null || form.has("client_secret")) {
      throw new OAuthFailure("invalid_request", "Use one client authentication method only");
    }
    return await assertedClient(runtime, form, endpoint);
  }
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
      // A client with keys but no secret gets the same answer: no secret matches.
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
  if (client.clientSecret === undefined && client.jwks !== undefined) {
    throw new OAuthFailure(
      "invalid_client",
      `Client "${id}" must authenticate with a client assertion (private_key_jwt)`,
      401,
    );
  }
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
 * The client of a `private_key_jwt` assertion, checked: a known client with keys, `iss` and
 * `sub` its id, `aud` the issuer or the endpoint, a signature by one of its keys, `exp` within
 * two minutes, and a `jti` not used before.
 */
async function assertedClient(
  runtime: Runtime,
  form: URLSearchParams,
  endpoint: string,
): Promise<ResolvedClient> {
  const refuse = (description: string) => new OAuthFailure("invalid_client", description, 401);
  if (form.get("client_assertion_type") !== JWT_BEARER_ASSERTION) {
    throw refuse(`"client_assertion_type" must be "${JWT_BEARER_ASSERTION}"`);
  }
  const assertion = form.get("client_assertion") ?? "";
  let issuer: unknown;
  try {
    // Unverified, only to find whose keys verify it below.
    issuer = decodeJwt(assertion).iss;
  } catch {
    throw refuse("The client assertion is not a JWT");
  }
  const id = typeof issuer === "string" ? issuer : "";
  const client = runtime.config.clients.get(id);
  if (client === undefined) throw refuse(`Client "${id}" is unknown`);
  if (client.jwks === undefined) throw refuse(`Client "${id}" has no registered keys`);
  const formId = form.get("client_id");
  if (formId !== null && formId !== id) {
    throw new OAuthFailure("invalid_request", '"client_id" differs from the assertion\'s "iss"');
  }
  const { state, issuer: self } = runtime;
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(
      assertion,
      createLocalJWKSet({ keys: [...client.jwks] }),
      {
        issuer: id,
        subject: id,
        audience: [self, endpoint, `${self}/token`],
        algorithms: [...ASSERTION_ALGORITHMS],
        requiredClaims: ["exp", "jti"],
        currentDate: new Date(state.nowMs()),
      },
    ));
  } catch (error) {
    throw refuse(`The client assertion is invalid: ${(error as Error).message}`);
  }
  if ((claims.exp as number) - state.now() > ASSERTION_WINDOW) {
    throw refuse(`The client assertion lives longer than ${ASSERTION_WINDOW} seconds`);
  }
  if (!state.rememberProof(`assertion:${id}:${claims.jti}`, ASSERTION_WINDOW)) {
    throw refuse('The client assertion\'s "jti" was used before');
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
