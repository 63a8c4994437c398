/**
 * Time for tests: the clock in the seconds tokens are dated in, and waiting.
 *
 * @module
 */

/** The clock in whole seconds since the epoch: the unit of `iat`, `exp` and `expires_at`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
