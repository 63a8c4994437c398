/**
 * A preset's `domain` / `host` / `serverAddress`: a bare host name (then
 * `https:`) or a full URL, `http:` only on loopback.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import { secureUrl } from "../url.ts";

/**
 * Parses a service address typed by a person.
 *
 * @param value `"accounts.example.org"`, `"example.org:8443"` or `"https://example.org/prefix"`.
 * @param what What it is, for messages (e.g. `freva host`).
 * @returns The base URL as text, without a trailing slash.
 * @throws {AuthError} `INSECURE_URL` for `http:` off loopback, `CONFIG_INVALID` for anything
 * that is not a plain address.
 */
export function serviceBase(value: string, what: string): string {
  const text = value.trim();
  const full = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  const url = secureUrl(full, what);
  if (url.search || url.hash || url.username || url.password) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Invalid ${what} "${url.origin}": no credentials, query or fragment`,
    );
  }
  return url.href.replace(/\/+$/, "");
}
