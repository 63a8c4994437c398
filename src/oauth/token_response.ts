/**
 * Turning a token endpoint response into a {@linkcode Credential}.
 *
 * @module
 */

import type * as oc from "openid-client";
import type { Credential } from "../credential.ts";
import { credentialFromTokenJson } from "../credential_json.ts";
import { checkCredentialSyntax } from "../token_syntax.ts";
import type { Provider } from "./discovery.ts";

/**
 * Builds a credential from a validated token response. `expires_in` counts
 * from the local arrival time, so clock skew with the provider does not matter.
 *
 * @param response openid-client's validated response.
 * @param provider The provider it came from.
 * @param receivedAt When it arrived (seconds).
 * @returns The credential.
 * @throws {MalformedTokenError} `MALFORMED_TOKEN` when a token cannot be sent
 * (a line break, a space, a non-ASCII character); nothing is stored.
 */
export function toCredential(
  response: oc.TokenEndpointResponse,
  provider: Provider,
  receivedAt: number,
): Credential {
  const json: Record<string, unknown> = { ...response };
  // openid-client lower-cases the type; RFC 6750 and RFC 9449 spell "Bearer" and "DPoP".
  json.token_type = response.token_type === "dpop" ? "DPoP" : "Bearer";
  delete json.expires_at;
  delete json.issued_at;
  const credential = credentialFromTokenJson(
    { ...json, issuer: provider.options.issuer, client_id: provider.options.clientId },
    receivedAt,
  );
  return checkCredentialSyntax(credential, "the provider's token response", "provider");
}
