/**
 * The fetch used for calls to the provider: retries on network errors, 429
 * and 5xx with jittered backoff (1–10 s, as the seed clients do), honouring
 * `Retry-After`, within a deadline.
 *
 * @module
 */

import { backoffDelay, parseRetryAfter, sleep } from "../http/retry.ts";
import { logger } from "../log.ts";

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
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0;; attempt++) {
      let delay: number | undefined;
      let response: Response | undefined;
      try {
        response = errorSentAsOk(await buffered(await inner(url, init)), init);
        if (response.status !== 429 && response.status < 500) return response;
        delay = parseRetryAfter(response.headers.get("retry-after"));
      } catch (error) {
        if (init.signal?.aborted || !(error instanceof TypeError)) throw error;
        if (attempt >= retries) throw error;
      }
      delay ??= Math.max(1000, backoffDelay(attempt, { baseMs: 1000, capMs: 10_000 }));
      if (attempt >= retries || Date.now() + delay > deadline) {
        if (response) return response;
        throw new TypeError(`Fetch failed: no answer from ${new URL(url).origin} in time`);
      }
      await response?.body?.cancel();
      logger().debug(
        `provider ${
          response ? `answered ${response.status}` : "unreachable"
        }; retrying in ${delay} ms`,
      );
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
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bodyOf.get(response)));
  } catch {
    return response;
  }
  if (
    body === null || typeof body !== "object" || Array.isArray(body) ||
    typeof (body as Record<string, unknown>).error !== "string" || "access_token" in body
  ) {
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
