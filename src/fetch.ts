/**
 * The authenticated fetch wrapper: `fetch`'s signature and semantics, plus a
 * bearer token sent only to the profile's API origins, redirects followed by
 * hand (only to `http:`/`https:`) so credentials never cross origins nor come
 * back once a chain left the first one, one refresh-and-retry on 401, and
 * retries with backoff for idempotent requests. With a DPoP sender, a hop to an
 * API origin goes through it instead: `Authorization: DPoP` and a fresh proof
 * for that hop's method and URL, and no proof to any other origin.
 *
 * @module
 */

import { LoginRequiredError } from "./errors.ts";
import {
  backoffDelay,
  type BackoffOptions,
  IDEMPOTENT_METHODS,
  parseRetryAfter,
  RETRY_STATUSES,
  sleep,
} from "./http/retry.ts";
import { parseWwwAuthenticate } from "./http/www_authenticate.ts";

/** One request to an API origin as the wrapper prepared it, for a {@linkcode ProofSender}. */
export interface ProofRequest {
  /** The method, upper case. */
  method: string;
  /** The headers, lower-case names, without the token. */
  headers: Record<string, string>;
  /** The body, if any. */
  body?: BodyInit | null | undefined;
  /** The caller's signal. */
  signal?: AbortSignal | undefined;
  /** The rest of the caller's `RequestInit`. */
  rest?: RequestInit | undefined;
}

/**
 * Sends a request to an API origin with a sender-constrained token (DPoP): it
 * adds `Authorization: DPoP <token>` and a proof made for this request, and
 * follows no redirect.
 */
export interface ProofSender {
  /**
   * Sends one hop.
   *
   * @param url The hop's URL, on an API origin.
   * @param request The hop.
   * @param token The access token.
   * @returns The response.
   */
  send(url: URL, request: ProofRequest, token: string): Promise<Response>;
}

/** How the wrapper gets and renews tokens, and its retry policy. */
export interface AuthFetchOptions {
  /** The only origins (scheme, host, port) that receive the token. */
  apiOrigins: readonly string[];
  /** A valid access token for a request to an API origin. */
  getToken: (signal?: AbortSignal) => Promise<string>;
  /** The token when it is known valid without any I/O (the hot path); else `undefined`. */
  cachedToken?: () => string | undefined;
  /**
   * Called after the server rejected `rejected` with 401: a new token, or
   * `undefined` when the credential cannot be renewed.
   */
  renew: (rejected: string, signal?: AbortSignal) => Promise<string | undefined>;
  /**
   * The underlying fetch.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
  /**
   * Retries of an idempotent request after a network error, 429, 502, 503 or 504.
   *
   * @default {3}
   */
  retries?: number;
  /**
   * The total time, in seconds, within which retries may start.
   *
   * @default {30}
   */
  timeout?: number;
  /** A `User-Agent` for every request. */
  userAgent?: string | undefined;
  /** How retries are spaced. */
  backoff?: BackoffOptions;
  /**
   * The sender for a DPoP-bound token (it sends each hop to an API origin with
   * a proof), or `undefined` for a bearer token, which goes as
   * `Authorization: Bearer`. Asked for each token, without I/O.
   */
  proofsFor?: ((token: string) => ProofSender | undefined) | undefined;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type"];
const MAX_REDIRECTS = 20;
/** The only schemes a redirect is followed to (the Fetch standard's HTTP fetch). */
const FOLLOWED_SCHEMES = new Set(["http:", "https:"]);
/** Schemes a refused redirect's message may name; any other could be text the server chose. */
const NAMED_SCHEMES = new Set([
  "file:",
  "data:",
  "blob:",
  "about:",
  "ftp:",
  "javascript:",
  "mailto:",
  "ws:",
  "wss:",
]);
/**
 * An error code as RFC 6750 §3.1 and the OAuth error registry write them
 * (`invalid_token`, `insufficient_scope`, `use_dpop_nonce`): the only `error`
 * a message quotes. No digits, no `=`, no spaces: nothing shaped like a secret.
 */
const ERROR_CODE = /^(?=.{1,40}$)[a-z]+(?:_[a-z]+)*$/;

/** Merges header sources into one record with lower-case names (later sources win). */
function headerRecord(...sources: (HeadersInit | undefined)[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // a header named "__proto__" is data
  for (const source of sources) {
    if (source === undefined) continue;
    if (source instanceof Headers || Array.isArray(source)) {
      new Headers(source).forEach((value, name) => out[name] = value);
    } else {
      for (const [name, value] of Object.entries(source)) out[name.toLowerCase()] = String(value);
    }
  }
  return out;
}

function isReplayable(body: BodyInit | null | undefined): boolean {
  return body === null || body === undefined || !(body instanceof ReadableStream);
}

/**
 * Makes a function with exactly `fetch`'s signature that authenticates
 * requests to the API origins. `Auth#fetch` is made by it.
 *
 * @param options Token source, origins and retry policy.
 * @returns The authenticated fetch.
 *
 * @example
 * ```ts
 * import { createAuthFetch } from "./fetch.ts";
 * const seen: (string | null)[] = [];
 * const authFetch = createAuthFetch({
 *   apiOrigins: ["https://api.example.org"],
 *   getToken: () => Promise.resolve("t0k3n"),
 *   renew: () => Promise.resolve(undefined),
 *   fetch: (input, init) => {
 *     seen.push(new Headers(init?.headers).get("authorization"));
 *     return Promise.resolve(new Response("ok"));
 *   },
 * });
 * await authFetch("https://api.example.org/me");
 * await authFetch("https://elsewhere.example.com/");
 * if (seen[0] !== "Bearer t0k3n" || seen[1] !== null) throw new Error("token sent wrongly");
 * ```
 */
export function createAuthFetch(
  options: AuthFetchOptions,
): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const allowed = new Set(options.apiOrigins);
  const prefixes = options.apiOrigins.map((origin) => `${origin}/`);
  const retries = options.retries ?? 3;
  const timeoutMs = (options.timeout ?? 30) * 1000;

  /** Whether a response needs no redirect, retry or refresh handling. */
  const final = (r: Response) =>
    r.status !== 401 && !RETRY_STATUSES.has(r.status) &&
    !(REDIRECTS.has(r.status) && r.headers.has("location"));

  return function authFetch(input, init) {
    // Hot path: a bare URL to an API origin with a token known valid. The
    // response goes through the general path only when it is a 401, a
    // redirect or retryable.
    if (init === undefined && (typeof input === "string" || input instanceof URL)) {
      // "<origin>/…" can only be a URL of that origin (the authority ends at the
      // first "/"), so a prefix match spares parsing the URL twice.
      const href = typeof input === "string" ? input : input.href;
      const known = prefixes.some((prefix) => href.startsWith(prefix)) ||
        allowed.has(new URL(href).origin);
      const token = known ? options.cachedToken?.() : undefined;
      if (token !== undefined && options.proofsFor?.(token) === undefined) {
        const headers: Record<string, string> = { authorization: `Bearer ${token}` };
        if (options.userAgent) headers["user-agent"] = options.userAgent;
        const inner = options.fetch ?? globalThis.fetch;
        return inner(href, { headers, redirect: "manual" }).then((first) =>
          final(first) ? first : general(input, init, { first, token })
        );
      }
    }
    return general(input, init);
  };

  async function general(
    input: RequestInfo | URL,
    init: RequestInit | undefined,
    sent?: { first: Response; token: string },
  ): Promise<Response> {
    const inner = options.fetch ?? globalThis.fetch;
    const fromRequest = input instanceof Request ? input : undefined;
    let url = new URL(
      fromRequest ? fromRequest.url : input instanceof URL ? input.href : String(input),
    );
    let method = (init?.method ?? fromRequest?.method ?? "GET").toUpperCase();
    // A plain record with lower-case names: `fetch` copies it into its own
    // Headers, so building a Headers object here would be a second copy.
    const headers = headerRecord(fromRequest?.headers, init?.headers);
    if (options.userAgent && !("user-agent" in headers)) {
      headers["user-agent"] = options.userAgent;
    }
    let body: BodyInit | null | undefined = init?.body;
    if (body === undefined && fromRequest?.body) body = await fromRequest.arrayBuffer();
    const signal = init?.signal ?? fromRequest?.signal ?? undefined;
    const redirectMode = init?.redirect ?? fromRequest?.redirect ?? "follow";
    const userAuthorization = "authorization" in headers;
    const origin = url.origin;
    /** Set by the first hop off the first origin: no later hop carries a credential. */
    let departed = false;
    const deadline = Date.now() + timeoutMs;
    let rest: RequestInit | undefined;
    if (init) {
      rest = { ...init };
      delete rest.headers;
      delete rest.body;
      delete rest.method;
      delete rest.redirect;
      delete rest.signal;
    }

    let token: string | undefined = sent?.token;
    let proofs: ProofSender | undefined;
    let first = sent?.first;
    let renewed = false;
    let attempt = 0;
    for (let hop = 0;; hop++) {
      // Credentials never cross origins, and once a hop left the first origin
      // none come back for the rest of the chain, whatever origin it reaches
      // (the Fetch standard's rule): else the other origin could steer the
      // token to a path of its choice on the API origin.
      if (!departed && url.origin !== origin) departed = true;
      const inject = !departed && allowed.has(origin) && !userAuthorization;
      const hopHeaders = headers;
      if (departed) {
        delete hopHeaders.authorization;
        delete hopHeaders.cookie;
        delete hopHeaders.dpop;
      } else if (!inject && !userAuthorization) delete hopHeaders.authorization;
      if (inject) {
        token ??= options.cachedToken?.() ?? await options.getToken(signal);
        proofs = options.proofsFor?.(token);
        if (proofs) delete hopHeaders.authorization;
        else hopHeaders.authorization = `Bearer ${token}`;
      }
      let response: Response;
      try {
        const requestInit: RequestInit = rest ? { ...rest } : {};
        requestInit.method = method;
        requestInit.headers = hopHeaders;
        requestInit.redirect = "manual";
        if (body !== undefined && body !== null) requestInit.body = body;
        if (signal) requestInit.signal = signal;
        response = first ??
          (inject && proofs
            ? await proofs.send(
              url,
              { method, headers: hopHeaders, body, signal, rest },
              token!,
            )
            : await inner(url.href, requestInit));
        first = undefined;
      } catch (error) {
        if (signal?.aborted || !(error instanceof TypeError)) throw error;
        if (!canRetry(method, body) || !(await waitToRetry(undefined))) throw error;
        continue;
      }

      if (RETRY_STATUSES.has(response.status) && canRetry(method, body)) {
        const after = parseRetryAfter(response.headers.get("retry-after"));
        if (await waitToRetry(after, response)) continue;
        return response;
      }

      if (response.status === 401 && inject && token !== undefined) {
        const reason = refusalReason(response.headers.get("www-authenticate"), token);
        if (renewed) {
          await response.body?.cancel();
          throw new LoginRequiredError(
            `Request to ${origin} was refused with 401 after a token refresh${reason}`,
          );
        }
        renewed = true;
        const next = await options.renew(token, signal);
        if (next === undefined) {
          await response.body?.cancel();
          throw new LoginRequiredError(
            `Request to ${origin} was refused with 401 and the token cannot be renewed${reason}`,
          );
        }
        token = next;
        if (!isReplayable(body)) return response;
        await response.body?.cancel();
        hop--;
        continue;
      }

      if (!REDIRECTS.has(response.status) || !response.headers.has("location")) return response;
      if (redirectMode === "manual") return response;
      if (redirectMode === "error") {
        await response.body?.cancel();
        throw new TypeError(`Fetch failed: redirect from ${url.origin} with redirect mode "error"`);
      }
      if (hop >= MAX_REDIRECTS) {
        await response.body?.cancel();
        throw new TypeError(`Fetch failed: more than ${MAX_REDIRECTS} redirects`);
      }
      const location = URL.parse(response.headers.get("location")!, url);
      await response.body?.cancel();
      // Anything but http(s) is a network error, as `fetch` has it: never
      // `file:` (the runtime's fetch would read the file) or `data:`. The
      // message names no part of the Location but a well-known scheme.
      if (location === null) {
        throw new TypeError(`Fetch failed: a redirect from ${url.origin} has an invalid Location`);
      }
      if (!FOLLOWED_SCHEMES.has(location.protocol)) {
        const scheme = NAMED_SCHEMES.has(location.protocol)
          ? `"${location.protocol}" URL`
          : "URL that is not http: or https:";
        throw new TypeError(`Fetch failed: a redirect to a ${scheme} is not followed`);
      }
      if (
        response.status === 303 && method !== "GET" && method !== "HEAD" ||
        (response.status === 301 || response.status === 302) && method === "POST"
      ) {
        method = "GET";
        body = null;
        for (const name of BODY_HEADERS) delete headers[name];
      } else if (!isReplayable(body)) {
        throw new TypeError("Fetch failed: cannot follow a 307/308 redirect with a streamed body");
      }
      url = location;
      attempt = 0;
    }

    function canRetry(m: string, b: BodyInit | null | undefined): boolean {
      return IDEMPOTENT_METHODS.has(m) && isReplayable(b) && attempt < retries;
    }

    async function waitToRetry(after: number | undefined, response?: Response): Promise<boolean> {
      const delay = after ?? backoffDelay(attempt, options.backoff);
      if (Date.now() + delay > deadline) return false;
      await response?.body?.cancel();
      attempt++;
      await sleep(delay, signal);
      return true;
    }
  }
}

/**
 * What a 401's Bearer (or DPoP) challenge says, for a message: its `error` only when it
 * is a short error code (RFC 6750 §3.1) that neither contains the token
 * sent nor is a part of it: a server may echo the request's headers there.
 */
function refusalReason(header: string | null, token: string): string {
  if (header === null) return "";
  const error = parseWwwAuthenticate(header).find((c) =>
    c.scheme === "bearer" || c.scheme === "dpop"
  )
    ?.params.error;
  if (
    error === undefined || !ERROR_CODE.test(error) || error.includes(token) ||
    token.includes(error)
  ) return "";
  return `: the server said "${error}"`;
}
