/**
 * Parsing a `WWW-Authenticate` header (RFC 9110 §11.6.1) far enough to read a
 * Bearer challenge's `error` (RFC 6750 §3.1).
 *
 * @module
 */

/** One challenge: a scheme and its parameters (names lower-cased). */
export interface Challenge {
  /** The scheme, lower-cased, e.g. `bearer`. */
  scheme: string;
  /** The auth-params, e.g. `error`, `error_description`, `realm`, `scope`. */
  params: Record<string, string>;
}

/**
 * Parses the challenges of a `WWW-Authenticate` header. Malformed parts are
 * skipped; it never throws.
 *
 * @param header The header value.
 * @returns The challenges found.
 *
 * @example
 * ```ts
 * import { parseWwwAuthenticate } from "./www_authenticate.ts";
 * const [c] = parseWwwAuthenticate('Bearer realm="api", error="invalid_token"');
 * if (!(c?.scheme === "bearer" && c.params.error === "invalid_token")) {
 *   throw new Error("Expected c?.scheme === \"bearer\" && c.params.error === \"invalid_token\"");
 * }
 * ```
 */
export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const tokenRe = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  const readToken = (): string | undefined => {
    tokenRe.lastIndex = i;
    const m = tokenRe.exec(header);
    if (!m) return undefined;
    i = tokenRe.lastIndex;
    return m[0];
  };
  const readValue = (): string => {
    if (header[i] !== '"') return readToken() ?? "";
    let value = "";
    for (i++; i < header.length && header[i] !== '"'; i++) {
      if (header[i] === "\\" && i + 1 < header.length) i++;
      value += header[i];
    }
    i++;
    return value;
  };
  let current: Challenge | undefined;
  while (i < header.length) {
    skip(/[\s,]/);
    const start = i;
    const name = readToken();
    if (name === undefined) {
      const next = header.indexOf(",", i + 1);
      if (next < 0) break;
      i = next;
      continue;
    }
    skip(/[ \t]/);
    if (header[i] === "=" && current && header[i + 1] !== "=") {
      i++;
      skip(/[ \t]/);
      current.params[name.toLowerCase()] = readValue();
      continue;
    }
    if (header[i] === "=") {
      // "name=" without a challenge before it, or token68 padding: not a scheme.
      i = Math.max(i, start + 1);
      continue;
    }
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
    const afterScheme = i;
    const t68 = /[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/y;
    t68.lastIndex = afterScheme;
    const m = t68.exec(header);
    if (m && afterScheme > start + name.length) {
      current.params.token68 = m[0];
      i = t68.lastIndex;
    }
  }
  return out;
}
