/**
 * Warnings and verbose logs, on stderr. Nothing passed here may hold a
 * secret; callers pass messages built from non-secret parts only.
 *
 * @module
 */

/** Receives one-line warnings and debug messages. */
export interface Logger {
  /** A one-line warning a person should see. */
  warn(message: string): void;
  /** A debug line, shown only when verbose. */
  debug(message: string): void;
  /**
   * Progress a person waiting may want to see, such as `retrying in 4 s…` before a retry of a
   * provider call. The CLI shows it on a terminal only (and not with `-q`); without it, such
   * lines go to {@linkcode Logger.debug}.
   */
  info?(message: string): void;
}

let current: Logger = {
  warn: (message) => console.warn(`latchkey: warning: ${message}`),
  debug: () => {},
};

/**
 * Replaces the process-wide logger (the CLI uses it for `-q` and `-v`).
 *
 * @param logger The new logger.
 * @returns The previous logger.
 *
 * @example Silence warnings
 * ```ts
 * import { setLogger } from "@latchkey/latchkey";
 * const previous = setLogger({ warn() {}, debug() {} });
 * setLogger(previous);
 * ```
 */
export function setLogger(logger: Logger): Logger {
  const previous = current;
  current = logger;
  return previous;
}

/**
 * The process-wide logger.
 *
 * @returns The logger in use.
 */
export function logger(): Logger {
  return current;
}
