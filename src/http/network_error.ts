/**
 * Naming why a request never got an answer: a name that does not resolve, a
 * TLS handshake that failed, a refused connection. Reads the `cause` chain of
 * the `TypeError` that `fetch` rejects with (Deno 2: `TypeError: fetch failed`
 * caused by `Error: error sending request for url (…): client error
 * (Connect): dns error: …`; Node's undici: a `cause` with a `code`). Pure
 * functions, tested without a network.
 *
 * @module
 */

/** What kind of failure a {@linkcode NetworkFailure} is. */
export type NetworkFailureKind = "dns" | "tls" | "refused";

/** Why a request never reached the server, in words fit for an error message. */
export interface NetworkFailure {
  /** The kind of failure. */
  kind: NetworkFailureKind;
  /** One line, e.g. `cannot resolve "id.invalid"` or `TLS handshake failed: …`. */
  reason: string;
  /**
   * Whether trying again soon may help. A name that does not resolve and a
   * certificate or protocol error do not go away in seconds; a TLS handshake
   * the server cut short may (an overloaded proxy).
   */
  transient: boolean;
}

/** Friendlier words for rustls' certificate errors. */
const CERTIFICATE_ERRORS: [RegExp, (host: string) => string][] = [
  [/UnknownIssuer/, () => "the certificate is signed by an unknown authority"],
  [/NotValidForName/, (host) => `the certificate is not valid for "${host}"`],
  [/Expired/, () => "the certificate has expired"],
  [/NotValidYet/, () => "the certificate is not valid yet"],
  [/Revoked/, () => "the certificate is revoked"],
  [/CaUsedAsEndEntity/, () => "the server presents a CA certificate as its own"],
  [/BadSignature/, () => "the certificate's signature is invalid"],
];

/** Node (undici) error codes. */
const DNS_CODES = new Set(["ENOTFOUND", "EAI_NONAME", "EAI_AGAIN", "EAI_FAIL"]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

/** The messages and codes of an error and its causes, outermost first. */
function chain(error: unknown): { message: string; code: string | undefined; value: unknown }[] {
  const links = [];
  let current = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    const code = (current as { code?: unknown }).code;
    links.push({ message, code: typeof code === "string" ? code : undefined, value: current });
    current = (current as { cause?: unknown }).cause;
  }
  return links;
}

/** The text after Deno's `client error (Connect): `, one line, without the URL before it. */
function tail(message: string): string {
  const match = /client error \(\w+\): (.*)$/s.exec(message);
  const text = (match ? match[1]! : message).split("\n")[0]!.trim();
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/**
 * Why `error`, thrown by `fetch(url)`, means the server was never reached, or
 * `undefined` for any other failure (a reset, a timeout, a broken answer).
 *
 * @param error What `fetch` rejected with.
 * @param url The request's URL (its host name is named; nothing else of it is).
 * @returns The failure, or `undefined`.
 *
 * @example
 * ```ts
 * import { networkFailure } from "./network_error.ts";
 * const error = new TypeError("fetch failed", {
 *   cause: new Error(
 *     "error sending request for url (https://id.invalid/): client error (Connect): " +
 *       "dns error: failed to lookup address information: Name or service not known",
 *   ),
 * });
 * const failure = networkFailure(error, new URL("https://id.invalid/"));
 * if (failure?.reason !== 'cannot resolve "id.invalid"') throw new Error("named");
 * if (failure.transient) throw new Error("not retried");
 * ```
 */
export function networkFailure(error: unknown, url: URL): NetworkFailure | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  for (const { message, code, value } of chain(error)) {
    if (
      /\bdns error\b|failed to lookup address|Name or service not known|nodename nor servname|No such host is known/i
        .test(message) || (code !== undefined && DNS_CODES.has(code))
    ) {
      return { kind: "dns", reason: `cannot resolve "${host}"`, transient: false };
    }
    if (
      value instanceof Deno.errors.ConnectionRefused || code === "ECONNREFUSED" ||
      /Connection refused|os error 111\b/i.test(message)
    ) {
      return { kind: "refused", reason: "connection refused", transient: true };
    }
    if (/tls handshake eof/i.test(message)) {
      return {
        kind: "tls",
        reason: "TLS handshake failed: the server closed the connection",
        transient: true,
      };
    }
    if (/received corrupt message|InvalidContentType|wrong version number/i.test(message)) {
      return {
        kind: "tls",
        reason: "TLS handshake failed: the server did not answer in TLS (is it plain http:?)",
        transient: false,
      };
    }
    if (/invalid peer certificate|certificate/i.test(message) || (code && TLS_CODE.test(code))) {
      const known = CERTIFICATE_ERRORS.find(([pattern]) => pattern.test(message));
      const reason = known ? known[1](host) : tail(message);
      return { kind: "tls", reason: `TLS handshake failed: ${reason}`, transient: false };
    }
    if (/\btls\b|handshake|alert received/i.test(message)) {
      return { kind: "tls", reason: `TLS handshake failed: ${tail(message)}`, transient: false };
    }
  }
  return undefined;
}

/**
 * One line on any network failure `fetch` rejected with: the end of Deno's
 * `error sending request … client error (…): REASON` when there is one, else
 * the error's own message (without a leading `Fetch failed: `).
 *
 * @param error What `fetch` rejected with.
 * @returns The reason, e.g. `connection closed before message completed`.
 *
 * @example
 * ```ts
 * import { describeNetworkError } from "./network_error.ts";
 * const reason = describeNetworkError(new TypeError("Fetch failed: the connection broke"));
 * if (reason !== "the connection broke") throw new Error(reason);
 * ```
 */
export function describeNetworkError(error: unknown): string {
  const links = chain(error);
  const sent = links.find(({ message }) => /client error \(\w+\): /.test(message));
  if (sent) return tail(sent.message);
  const text = tail(links[0]?.message ?? "").replace(/^fetch failed:?\s*/i, "");
  return text === "" ? "no answer" : text;
}
