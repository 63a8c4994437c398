/**
 * DPoP proofs (RFC 9449 §4.3), checked as strictly as a real provider does: one `DPoP` header,
 * `typ` `dpop+jwt`, an asymmetric `alg`, a public `jwk` in the header, `htm` and `htu` of this
 * request, `iat` within a minute of the provider clock, a `jti` never seen before, `ath` when a
 * token is presented, and the provider's nonce when one is demanded. The key's thumbprint
 * (`jkt`, RFC 7638) is what tokens are bound to.
 *
 * @module
 */

import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from "jose";
import type { JWK } from "jose";
import { OAuthFailure } from "./http.ts";
import type { Runtime } from "./issue.ts";

/** The proof signing algorithms the provider accepts (advertised in its metadata). */
export const DPOP_ALGORITHMS: readonly string[] = ["ES256", "ES384", "PS256", "RS256", "EdDSA"];

/** How far a proof's `iat` may be from the provider clock, in seconds. */
const IAT_WINDOW = 60;

/** Where a proof is checked: the token endpoint answers JSON, a resource a challenge. */
export type ProofSite = "provider" | "api";

/** A proof that passed every check. */
export interface CheckedProof {
  /** The JWK SHA-256 thumbprint of the proof's key. */
  jkt: string;
}

/** What a proof must match. */
export interface ProofExpectation {
  /** The request method. */
  method: string;
  /** The request URL (its query and fragment are ignored). */
  url: string;
  /** The access token presented with the proof (resource requests). */
  accessToken?: string;
  /** Where the proof is checked. */
  site: ProofSite;
}

/**
 * The failure of a proof: at the token endpoint a JSON error (400), at a resource a 401 with a
 * `WWW-Authenticate: DPoP` challenge. A missing or stale nonce carries a fresh `DPoP-Nonce`.
 *
 * @param runtime The provider.
 * @param site Where the proof was checked.
 * @param error `invalid_dpop_proof`, `use_dpop_nonce` or `invalid_token`.
 * @param description The `error_description`.
 * @returns The failure to throw.
 */
export function proofFailure(
  runtime: Runtime,
  site: ProofSite,
  error: "invalid_dpop_proof" | "use_dpop_nonce" | "invalid_token",
  description: string,
): OAuthFailure {
  const { counts, dpopNonce } = runtime.state;
  if (error === "use_dpop_nonce") counts.dpopNonceChallenges++;
  else counts.dpopRefused++;
  const headers: Record<string, string> = error === "use_dpop_nonce"
    ? { "dpop-nonce": dpopNonce }
    : {};
  if (site === "provider") return new OAuthFailure(error, description, 400, headers);
  headers["www-authenticate"] = `DPoP error="${error}", error_description="${description}", ` +
    `algs="${DPOP_ALGORITHMS.join(" ")}"`;
  return new OAuthFailure(error, description, 401, headers);
}

/** `origin + pathname` of a URL, the part of it `htu` names. */
function withoutQuery(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/** The base64url SHA-256 of a token, as `ath` holds it. */
export async function tokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return new Uint8Array(digest).toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * Checks the `DPoP` header of a request.
 *
 * @param runtime The provider.
 * @param headers The request headers.
 * @param expected What the proof must match.
 * @returns The proof's key thumbprint, or `undefined` when the request carries no proof.
 * @throws {OAuthFailure} `invalid_dpop_proof` for a proof that fails a check,
 * `use_dpop_nonce` when the provider demands a nonce here and the proof lacks the current one.
 */
export async function checkProof(
  runtime: Runtime,
  headers: Headers,
  expected: ProofExpectation,
): Promise<CheckedProof | undefined> {
  const raw = headers.get("dpop");
  if (raw === null) return undefined;
  const { site } = expected;
  const refuse = (description: string) =>
    proofFailure(runtime, site, "invalid_dpop_proof", description);
  if (raw.includes(",")) throw refuse("Send one DPoP proof");
  let jwk: JWK;
  let claims: Record<string, unknown>;
  try {
    const header = decodeProtectedHeader(raw);
    if (header.typ !== "dpop+jwt") throw refuse('The proof\'s "typ" is not "dpop+jwt"');
    const verified = await jwtVerify(raw, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: [...DPOP_ALGORITHMS],
      requiredClaims: ["jti", "htm", "htu", "iat"],
      // `iat` is checked below against the provider clock; no `exp` is required.
      currentDate: new Date(runtime.state.nowMs()),
    });
    jwk = verified.protectedHeader.jwk as JWK;
    claims = verified.payload;
  } catch (error) {
    if (error instanceof OAuthFailure) throw error;
    throw refuse(`The proof is invalid: ${(error as Error).message}`);
  }
  if (claims.htm !== expected.method) throw refuse('The proof\'s "htm" is not this method');
  const htu = typeof claims.htu === "string" ? withoutQuery(claims.htu) : undefined;
  if (htu === undefined || htu !== withoutQuery(expected.url)) {
    throw refuse('The proof\'s "htu" is not this URL');
  }
  const iat = claims.iat;
  if (typeof iat !== "number" || Math.abs(iat - runtime.state.now()) > IAT_WINDOW) {
    throw refuse('The proof\'s "iat" is too far from the provider clock');
  }
  if (typeof claims.jti !== "string" || claims.jti === "") {
    throw refuse('The proof\'s "jti" is missing');
  }
  if (expected.accessToken !== undefined) {
    if (claims.ath !== await tokenHash(expected.accessToken)) {
      throw refuse('The proof\'s "ath" does not match the access token');
    }
  }
  const { state, config } = runtime;
  if (config.dpopNonce[site] && claims.nonce !== state.dpopNonce) {
    throw proofFailure(
      runtime,
      site,
      "use_dpop_nonce",
      claims.nonce === undefined ? "A DPoP nonce is required" : "The DPoP nonce is stale",
    );
  }
  const jkt = await calculateJwkThumbprint(jwk);
  if (!state.rememberProof(`${jkt}:${claims.jti}`, IAT_WINDOW * 2)) {
    throw refuse('The proof\'s "jti" was used before');
  }
  return { jkt };
}
