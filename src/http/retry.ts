/**
 * Retry policy helpers: `Retry-After` parsing and exponential backoff with
 * full jitter. Pure functions, tested without a network.
 *
 * @module
 */

/** How retries are spaced. */
export interface BackoffOptions {
  /**
   * The first delay's upper bound, in milliseconds.
   *
   * @default {500}
   */
  baseMs?: number;
  /**
   * The largest delay, in milliseconds.
   *
   * @default {10000}
   */
  capMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): a uniformly random time in
 * `[0, min(cap, base · 2^attempt)]` ("full jitter"), so that many clients that
 * failed together do not retry together.
 *
 * @param attempt How many retries came before this one.
 * @param options Base and cap.
 * @param random A source of numbers in [0, 1).
 * @returns The delay in milliseconds.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./retry.ts";
 * const d = backoffDelay(3, { baseMs: 100, capMs: 10_000 });
 * if (!(d >= 0 && d <= 800)) throw new Error("Expected d >= 0 && d <= 800");
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? 500;
  const cap = options.capMs ?? 10_000;
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110
 * §10.2.3). Anything else, negative or absurd, is `undefined`.
 *
 * @param value The header value.
 * @param now The current time in milliseconds.
 * @returns The delay in milliseconds, or `undefined`.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./retry.ts";
 * if (!(parseRetryAfter("2") === 2000)) {
 *   throw new Error("Expected parseRetryAfter(\"2\") === 2000");
 * }
 * if (!(parseRetryAfter("soon") === undefined)) {
 *   throw new Error("Expected parseRetryAfter(\"soon\") === undefined");
 * }
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Statuses worth retrying for an idempotent request. */
export const RETRY_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Methods that may be sent twice (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "TRACE",
  "PUT",
  "DELETE",
]);

/**
 * Waits for `ms` milliseconds, or rejects with the signal's reason.
 *
 * @param ms The delay.
 * @param signal Cuts the wait short.
 */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
