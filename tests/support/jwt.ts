/**
 * Unsigned JWTs for tests: Latchkey and the preset clients decode access tokens but never verify
 * them, so a token needs only the three parts and the claims under test.
 *
 * @module
 */

/** Base64url without padding, as JWT parts are written. */
export function base64url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * An unsigned JWT (`alg: none`, an empty signature) with these claims.
 *
 * @param claims The payload.
 * @returns The compact token: `header.payload.`.
 */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => base64url(new TextEncoder().encode(JSON.stringify(value)));
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

/** The base64url SHA-256 of a text: a DPoP proof's `ath`, a key thumbprint's digest. */
export async function sha256Base64url(text: string): Promise<string> {
  return base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))),
  );
}
