/**
 * The first sealed format of the fleet stores (`v1`, whose additional data
 * bound the profile only), written as it was, for the migration tests.
 *
 * @module
 */

import type { StoreKey } from "../../src/store/encryption.ts";

/**
 * Seals a stored value in the `v1` format.
 *
 * @param text The credential's stored JSON text.
 * @param key The store key.
 * @param profile The profile it was bound to.
 * @returns `latchkey:aes-256-gcm:v1:<key id>:<iv>:<ciphertext>`.
 */
export async function sealV1(text: string, key: StoreKey, profile: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const additionalData = new TextEncoder().encode(`latchkey credential\n${profile}`);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData },
    key.key,
    new TextEncoder().encode(text),
  );
  const b64 = (bytes: Uint8Array) => bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  return `latchkey:aes-256-gcm:v1:${key.id}:${b64(iv)}:${b64(new Uint8Array(sealed))}`;
}
