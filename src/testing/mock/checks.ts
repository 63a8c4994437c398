/**
 * Pure checks the provider applies to requests: scopes, redirect URIs, PKCE and secrets.
 *
 * @module
 */

import type { ResolvedClient } from "./config.ts";
import { OAuthFailure } from "./http.ts";

/**
 * Splits a `scope` parameter into its values, dropping repeats.
 *
 * @param scope A space-separated scope string.
 * @returns The scope values, in order.
 */
export function parseScope(scope: string): string[] {
  return [...new Set(scope.split(" ").filter((value) => value !== ""))];
}

/**
 * Checks a requested scope against what is allowed.
 *
 * @param requested The `scope` parameter, or `null` when absent.
 * @param allowed The values that may be granted.
 * @param fallback The scope granted when none is requested.
 * @returns The granted scope, space separated.
 * @throws {OAuthFailure} `invalid_scope` when a value is not allowed.
 */
export function checkScope(
  requested: string | null,
  allowed: ReadonlySet<string>,
  fallback: string,
): string {
  const values = parseScope(requested ?? fallback);
  const unknown = values.find((value) => !allowed.has(value));
  if (unknown !== undefined) {
    throw new OAuthFailure("invalid_scope", `Scope "${unknown}" is not allowed`);
  }
  return values.join(" ");
}

/** Whether the space-separated `scope` holds `value`. */
export function hasScope(scope: string, value: string): boolean {
  return parseScope(scope).includes(value);
}

const LOOPBACK_IPS = new Set(["127.0.0.1", "[::1]"]);

/** Whether `uri` is an `http:` URI on a loopback IP literal, as RFC 8252 §7.3 describes. */
export function isLoopbackRedirect(uri: string): boolean {
  const url = URL.parse(uri);
  return url !== null && url.protocol === "http:" && LOOPBACK_IPS.has(url.hostname) &&
    url.hash === "" && url.username === "" && url.password === "";
}

/**
 * Whether `client` may use `redirectUri`: an exact match of a registered URI, or a loopback
 * URI that differs from a registered loopback URI only in its port (RFC 8252 §7.3, for any
 * client), or for a public client without a list any loopback URI.
 *
 * @param client The client making the request.
 * @param redirectUri The `redirect_uri` parameter.
 * @returns `true` when the URI is allowed.
 */
export function redirectAllowed(client: ResolvedClient, redirectUri: string): boolean {
  if (client.redirectUris?.includes(redirectUri)) return true;
  if (!isLoopbackRedirect(redirectUri)) return false;
  if (client.redirectUris === undefined) return !client.confidential;
  const withoutPort = (uri: string): string => {
    const url = new URL(uri);
    url.port = "";
    return url.href;
  };
  return client.redirectUris.some((registered) =>
    isLoopbackRedirect(registered) && withoutPort(registered) === withoutPort(redirectUri)
  );
}

/** Whether `challenge` has the form of an S256 `code_challenge` (43 base64url characters). */
export function isS256Challenge(challenge: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(challenge);
}

/**
 * Computes the S256 `code_challenge` of a `code_verifier` (RFC 7636 §4.2).
 *
 * @param verifier The `code_verifier`.
 * @returns The base64url SHA-256 digest, or `undefined` when the verifier is malformed.
 */
export async function s256(verifier: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return undefined;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Encodes bytes as unpadded base64url. */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** A fresh random string of `size` bytes, base64url encoded. */
export function randomToken(size = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

/** Compares two secrets in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let diff = left.length ^ right.length;
  for (let i = 0; i < left.length; i++) diff |= left[i]! ^ (right[i % right.length] ?? 0);
  return diff === 0;
}
