/**
 * A deadline as an `AbortSignal`: a caller's signal combined with a timeout,
 * as the interactive logins (device, browser, the presets') wait for a person.
 *
 * @module
 */

/**
 * Combines a caller's signal with a timeout: the result aborts when either
 * does. A timeout of 0 (or less) sets no deadline.
 *
 * @param timeout Seconds until the deadline; 0 for none.
 * @param signal The caller's signal, if any.
 * @returns The combined signal, or `undefined` when there is neither a signal nor a deadline.
 *
 * @example
 * ```ts
 * import { deadlineSignal } from "./deadline.ts";
 * if (deadlineSignal(0) !== undefined) throw new Error("no signal and no deadline");
 * const stop = new AbortController();
 * const signal = deadlineSignal(0, stop.signal)!;
 * stop.abort();
 * if (!signal.aborted) throw new Error("the caller's abort reaches it");
 * const soon = deadlineSignal(0.01)!;
 * await new Promise((resolve) => soon.addEventListener("abort", resolve));
 * if (!(soon.reason instanceof DOMException) || soon.reason.name !== "TimeoutError") {
 *   throw new Error("the deadline aborts with a TimeoutError");
 * }
 * ```
 */
export function deadlineSignal(timeout: number, signal?: AbortSignal): AbortSignal | undefined {
  const signals = [signal, timeout > 0 ? AbortSignal.timeout(timeout * 1000) : undefined]
    .filter((s): s is AbortSignal => s !== undefined);
  return signals.length ? AbortSignal.any(signals) : undefined;
}
