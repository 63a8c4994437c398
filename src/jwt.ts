/**
 * Decoding (never verifying) JSON Web Tokens, to learn a token's expiry and
 * subject. A client has no business trusting a token's claims: the resource
 * server verifies them. Latchkey only reads `exp`, `iat` and `sub` to know when
 * to refresh and whom to show in `status`.
 *
 * @module
 */

/** The claims Latchkey looks at; any other claim is kept as it is. */
export interface JwtPayload {
  /** Issuer. */
  iss?: string;
  /** Subject: the user or client the token stands for. */
  sub?: string;
  /** Audience. */
  aud?: string | string[];
  /** Expiry, seconds since the epoch. */
  exp?: number;
  /** Issue time, seconds since the epoch. */
  iat?: number;
  /** Any other claim. */
  [claim: string]: unknown;
}

/** A decoded JWT: its header and payload, unverified. */
export interface DecodedJwt {
  /** The JOSE header. */
  header: Record<string, unknown>;
  /** The claims. */
  payload: JwtPayload;
}

function decodePart(part: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(part, { alphabet: "base64url" });
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/**
 * Decodes a compact JWS without verifying it. Returns `undefined` for anything
 * that is not a well-formed JWT (an opaque token is normal, not an error), so
 * it never throws on untrusted input.
 *
 * @param token The token text.
 * @returns The header and payload, or `undefined` for an opaque token.
 *
 * @example
 * ```ts
 * import { decodeJwt } from "./jwt.ts";
 * const enc = (o: object) => new TextEncoder().encode(JSON.stringify(o)).toBase64({ alphabet: "base64url", omitPadding: true });
 * const jwt = `${enc({ alg: "none" })}.${enc({ sub: "alice", exp: 2000000000 })}.`;
 * if (!(decodeJwt(jwt)?.payload.sub === "alice")) {
 *   throw new Error("Expected decodeJwt(jwt)?.payload.sub === \"alice\"");
 * }
 * if (!(decodeJwt("opaque-token") === undefined)) {
 *   throw new Error("Expected decodeJwt(\"opaque-token\") === undefined");
 * }
 * ```
 */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[0] || !parts[1]) return undefined;
  const header = decodePart(parts[0]);
  const payload = decodePart(parts[1]);
  if (!header || !payload) return undefined;
  for (const claim of ["exp", "iat", "nbf"] as const) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value))) {
      delete payload[claim];
    }
  }
  for (const claim of ["sub", "iss"] as const) {
    if (payload[claim] !== undefined && typeof payload[claim] !== "string") delete payload[claim];
  }
  return { header, payload: payload as JwtPayload };
}
