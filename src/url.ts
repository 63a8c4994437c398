/**
 * URL rules: `http:` only on loopback, everything else `https:`.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/**
 * Whether a host name is a loopback address (127.0.0.0/8, `[::1]`, `localhost`).
 *
 * @param hostname A URL's `hostname`.
 * @returns `true` for loopback.
 */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Parses a URL and requires `https:`, or `http:` on loopback.
 *
 * @param value The URL text.
 * @param what What it is, for the message (e.g. `issuer`).
 * @returns The parsed URL.
 * @throws {AuthError} `INSECURE_URL` or `CONFIG_INVALID`.
 */
export function secureUrl(value: string | URL, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AuthError("CONFIG_INVALID", `Invalid ${what}: "${value}" is not a URL`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return url;
  throw new AuthError(
    "INSECURE_URL",
    `Refusing ${what} "${url.origin}": only https: is allowed (http: only on loopback)`,
  );
}

/**
 * Normalises an issuer URL: secure, no trailing slash, no query or fragment.
 *
 * @param value The issuer.
 * @returns The normalised issuer text.
 */
export function normalizeIssuer(value: string): string {
  const url = secureUrl(value, "issuer");
  if (url.search || url.hash) {
    throw new AuthError("CONFIG_INVALID", `Invalid issuer "${url.origin}": no query or fragment`);
  }
  return url.href.replace(/\/+$/, "");
}

/**
 * Normalises an API origin (`https://api.example.org/anything` → its origin).
 *
 * @param value An origin or URL.
 * @returns The origin.
 */
export function normalizeOrigin(value: string): string {
  return secureUrl(value, "API origin").origin;
}
