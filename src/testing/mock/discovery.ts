/**
 * The authorization server metadata (RFC 8414, OpenID Connect Discovery 1.0).
 *
 * @module
 */

import { ASSERTION_ALGORITHMS } from "./client_auth.ts";
import { GRANT_TYPES } from "./config.ts";
import { DPOP_ALGORITHMS } from "./dpop.ts";
import type { Runtime } from "./issue.ts";

/** The well-known path of the OpenID Connect discovery document. */
export const OIDC_PATH = "/.well-known/openid-configuration";
/** The well-known path of the RFC 8414 metadata document. */
export const OAUTH2_PATH = "/.well-known/oauth-authorization-server";

/**
 * Builds the metadata document; both well-known paths serve the same one.
 *
 * @param runtime The provider.
 * @returns The metadata.
 */
export function metadata(runtime: Runtime): Record<string, unknown> {
  const { issuer, config } = runtime;
  const authMethods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"];
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    device_authorization_endpoint: `${issuer}/device_authorization`,
    ...(config.revocation
      ? {
        revocation_endpoint: `${issuer}/revoke`,
        revocation_endpoint_auth_methods_supported: authMethods,
      }
      : {}),
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: [...GRANT_TYPES],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    scopes_supported: [...config.scopes],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["ES256"],
    claims_supported: [
      "iss",
      "sub",
      "aud",
      "iat",
      "exp",
      "auth_time",
      "nonce",
      "name",
      "preferred_username",
      "email",
      "email_verified",
    ],
    authorization_response_iss_parameter_supported: true,
  };
}

/**
 * Whether a well-known path is served under the `discovery` option.
 *
 * @param runtime The provider.
 * @param path {@linkcode OIDC_PATH} or {@linkcode OAUTH2_PATH}.
 * @returns `true` when the document is served.
 */
export function served(runtime: Runtime, path: string): boolean {
  const { discovery } = runtime.config;
  return discovery === "both" ||
    (path === OIDC_PATH ? discovery === "oidc" : discovery === "oauth2");
}
