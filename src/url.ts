/**
 * URL rules: `http:` only on loopback, everything else `https:`; a token
 * only for one of the profile's API origins.
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

/**
 * Throws `ORIGIN_NOT_ALLOWED` unless the URL's origin is one of the API
 * origins (the CLI's `fetch` refuses anything else before sending).
 *
 * @param url The URL.
 * @param apiOrigins The allowed origins.
 *
 * @example
 * ```ts
 * import { AuthError } from "@latchkey/latchkey";
 * import { assertAllowedOrigin } from "./url.ts";
 * assertAllowedOrigin(new URL("https://api.example.org/v1"), ["https://api.example.org"]);
 * try {
 *   assertAllowedOrigin(new URL("https://evil.example/"), ["https://api.example.org"]);
 *   throw new Error("expected a refusal");
 * } catch (error) {
 *   if (!(error instanceof AuthError && error.code === "ORIGIN_NOT_ALLOWED")) throw error;
 * }
 * ```
 */
export function assertAllowedOrigin(url: URL, apiOrigins: readonly string[]): void {
  if (!apiOrigins.includes(url.origin)) {
    throw new AuthError(
      "ORIGIN_NOT_ALLOWED",
      `Refusing to send a token to "${url.origin}": not one of the profile's API origins`,
      { hint: "add it with `latchkey login --api ORIGIN`" },
    );
  }
}
