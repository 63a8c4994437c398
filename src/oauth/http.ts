/**
 * The fetch used for calls to the provider: retries on network errors, 429
 * and 5xx with jittered backoff (1–10 s, as the seed clients do), honouring
 * `Retry-After`, within a deadline. A name that does not resolve, a TLS
 * certificate or protocol error and a refused connection to a host other than
 * loopback fail at once, naming the cause: waiting would not change them.
 *
 * @module
 */

import {
  describeNetworkError,
  type NetworkFailure,
  networkFailure,
} from "../http/network_error.ts";
import { backoffDelay, parseRetryAfter, sleep } from "../http/retry.ts";
import { logger } from "../log.ts";
import { isLoopback } from "../url.ts";
import { jsonObjectOf } from "../util/json_object.ts";

/**
 * How long a refused connection to a loopback provider is retried (one that is starting, such
 * as a local mock): 3 s. A refused connection to any other host is not retried.
 */
const LOOPBACK_REFUSED_MS = 3000;

/** Waits at least this long are shown to a person (the logger's `info`), shorter ones only in debug. */
const VISIBLE_WAIT_MS = 2000;

/**
 * The provider was never reached, or stopped answering: the message names
 * the origin and the cause, e.g. `Cannot reach the provider at
 * https://id.invalid: cannot resolve "id.invalid"`. A `TypeError`, as a
 * network failure from `fetch` is.
 */
export class ProviderUnreachableError extends TypeError {
  /** The kind of failure, when it is known (DNS, TLS, refused). */
  readonly kind: NetworkFailure["kind"] | undefined;
  /** Why, one line (the message's end). */
  readonly reason: string;

  /**
   * @param origin The provider's origin.
   * @param reason Why, one line.
   * @param kind The kind of failure, when known.
   */
  constructor(origin: string, reason: string, kind?: NetworkFailure["kind"]) {
    super(`Cannot reach the provider at ${origin}: ${reason}`);
    this.name = "ProviderUnreachableError";
    this.kind = kind;
    this.reason = reason;
  }
}

/** Options of {@linkcode retryingFetch}. */
export interface ProviderFetchOptions {
  /** The underlying fetch. */
  fetch?: typeof fetch | undefined;
  /**
   * Retries after a network error, 429 or 5xx.
   *
   * @default {5}
   */
  retries?: number | undefined;
  /**
   * Seconds within which retries may start.
   *
   * @default {30}
   */
  timeout?: number | undefined;
}

/**
 * Wraps fetch with the provider retry policy. Every provider request is a
 * form POST or a GET, whose body (a string) can be sent again.
 *
 * @param options The policy.
 * @returns A fetch-like function for openid-client's `customFetch`.
 */
export function retryingFetch(
  options: ProviderFetchOptions,
): (url: string, init: RequestInit) => Promise<Response> {
  const retries = options.retries ?? 5;
  const timeoutMs = (options.timeout ?? 30) * 1000;
  return async (url, init) => {
    const inner = options.fetch ?? globalThis.fetch;
    const target = new URL(url);
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (let attempt = 0;; attempt++) {
      let delay: number | undefined;
      let response: Response | undefined;
      let unreachable: ProviderUnreachableError | undefined;
      try {
        response = errorSentAsOk(await buffered(await inner(url, init)), init);
        if (response.status !== 429 && response.status < 500) return response;
        delay = parseRetryAfter(response.headers.get("retry-after"));
      } catch (error) {
        if (init.signal?.aborted || !(error instanceof TypeError)) throw error;
        const failure = networkFailure(error, target);
        unreachable = new ProviderUnreachableError(
          target.origin,
          failure?.reason ?? describeNetworkError(error),
          failure?.kind,
        );
        if (attempt >= retries || failure?.transient === false) throw unreachable;
        if (failure?.kind === "refused") {
          if (!isLoopback(target.hostname)) throw unreachable;
          delay = 500;
          if (Date.now() + delay - started > LOOPBACK_REFUSED_MS) throw unreachable;
        }
      }
      delay ??= Math.max(1000, backoffDelay(attempt, { baseMs: 1000, capMs: 10_000 }));
      if (attempt >= retries || Date.now() + delay > deadline) {
        if (response) return response;
        throw unreachable ?? new ProviderUnreachableError(target.origin, "no answer in time");
      }
      await response?.body?.cancel();
      const what = response
        ? `answered ${response.status}`
        : `is unreachable (${unreachable?.reason})`;
      const log = logger();
      if (delay >= VISIBLE_WAIT_MS && log.info) {
        log.info(
          `the provider at ${target.origin} ${what}; retrying in ${Math.round(delay / 1000)} s…`,
        );
      } else {
        log.debug(`provider ${what}; retrying in ${delay} ms`);
      }
      await sleep(delay, init.signal);
    }
  };
}

/**
 * A 200 answer to a POST whose JSON body holds an `error` and no `access_token` is an OAuth
 * error response with the wrong status (GitHub's token endpoint sends these). It is given status
 * 400, so that openid-client reads it as the error it is: `invalid_grant` forgets a dead
 * refresh token, and `authorization_pending` / `slow_down` keep a device login polling.
 */
function errorSentAsOk(response: Response, init: RequestInit): Response {
  if (response.status !== 200 || init.method?.toUpperCase() !== "POST") return response;
  if (!/^application\/json\b/i.test(response.headers.get("content-type") ?? "")) return response;
  const body = jsonObjectOf(new TextDecoder().decode(bodyOf.get(response)));
  if (!body || typeof body.error !== "string" || "access_token" in body) {
    return response;
  }
  const copy = new Response(bodyOf.get(response)!, {
    status: 400,
    statusText: "Bad Request",
    headers: response.headers,
  });
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}

/** The bytes of each buffered response, for {@linkcode errorSentAsOk}. */
const bodyOf = new WeakMap<Response, ArrayBuffer>();

/**
 * Reads the whole body, so that a connection broken mid-body is a network
 * error here (and retried) rather than a parse error later.
 */
async function buffered(response: Response): Promise<Response> {
  let body: ArrayBuffer;
  try {
    body = await response.arrayBuffer();
  } catch (error) {
    throw new TypeError(`Fetch failed: the connection broke while reading the answer`, {
      cause: error,
    });
  }
  const status = response.status;
  const copy = new Response(status === 204 || status === 304 ? null : body, {
    status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, "url", { value: response.url });
  bodyOf.set(copy, body);
  return copy;
}
