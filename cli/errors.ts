/**
 * Exit codes of the contract, and how an error is shown: one line for usage
 * and permission errors, message plus hint otherwise, a stack trace only with
 * `-v`, and never a secret (Latchkey's messages carry none).
 *
 * @module
 */

import { AuthError, MalformedTokenError, OAuthError } from "../mod.ts";
import type { Output } from "./output.ts";
import { permissionMessage } from "./permissions.ts";

/** The exit codes of the contract. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** Login required, denied or expired; an HTTP error status from `fetch`. */
  auth: 1,
  /** Usage or bad input, refused before anything was sent. */
  usage: 2,
  /** The provider or the network failed. */
  provider: 3,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** OAuth `error` values that mean "the person or the credential was refused". */
const REFUSALS = new Set([
  "access_denied",
  "invalid_grant",
  "expired_token",
  "invalid_client",
  "unauthorized_client",
  "login_required",
  "consent_required",
  "interaction_required",
  "invalid_token",
]);

const NETWORK_FAILURE = /fetch|network|connect|request|dns|socket|timed out|unreachable|refused/i;

/**
 * Whether an error is a write to a stdout its reader has closed (`latchkey
 * fetch … | head -1`): the reader had what it wanted, so the CLI ends quietly
 * with exit 0, as curl and gh do.
 *
 * @param error What was thrown.
 * @returns `true` for a broken pipe, however wrapped.
 *
 * @example
 * ```ts
 * import { isBrokenPipe } from "./errors.ts";
 * const error = new Error("write failed", { cause: new Deno.errors.BrokenPipe("os error 32") });
 * if (!isBrokenPipe(error) || isBrokenPipe(new Error("other"))) throw new Error("wrong");
 * ```
 */
export function isBrokenPipe(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof Deno.errors.BrokenPipe) return true;
  }
  return false;
}

/**
 * The exit code for an error.
 *
 * @param error What was thrown.
 * @returns 1, 2, 3 or 130.
 *
 * @example
 * ```ts
 * import { AuthError } from "../mod.ts";
 * import { exitCodeOf } from "./errors.ts";
 * if (exitCodeOf(new AuthError("LOGIN_REQUIRED", "No credential found")) !== 1) throw new Error();
 * if (exitCodeOf(new AuthError("ORIGIN_NOT_ALLOWED", "Refusing")) !== 2) throw new Error();
 * ```
 */
export function exitCodeOf(error: unknown): number {
  if (permissionMessage(error) !== undefined) return EXIT.usage;
  if (error instanceof OAuthError) {
    return REFUSALS.has(error.error) ? EXIT.auth : EXIT.provider;
  }
  if (error instanceof MalformedTokenError) {
    // bad input is refused (2); a provider that sends one failed (3); a stored one needs a login (1)
    return { input: EXIT.usage, provider: EXIT.provider, store: EXIT.auth }[error.origin];
  }
  if (error instanceof AuthError) {
    switch (error.code) {
      case "LOGIN_REQUIRED":
      case "TOKEN_EXPIRED":
        return EXIT.auth;
      case "ABORTED":
        return EXIT.interrupted;
      case "TIMEOUT": // the person did not finish the login in time
        return EXIT.auth;
      case "NETWORK_ERROR":
      case "BAD_RESPONSE":
      case "OAUTH_ERROR":
      case "STORE_UNAVAILABLE":
      case "KEYRING_UNAVAILABLE":
        return EXIT.provider;
      default:
        return EXIT.usage;
    }
  }
  if (error instanceof DOMException && error.name === "AbortError") return EXIT.interrupted;
  if (error instanceof TypeError || error instanceof RangeError) {
    // `fetch` rejects with a TypeError when the network fails; otherwise TypeError and
    // RangeError mean a wrong argument (e.g. an invalid profile name).
    return NETWORK_FAILURE.test(error.message) ? EXIT.provider : EXIT.usage;
  }
  if (
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.IsADirectory || error instanceof Deno.errors.AlreadyExists
  ) {
    return EXIT.usage;
  }
  return EXIT.auth;
}

/**
 * Writes an error on stderr.
 *
 * @param out The writer.
 * @param error What was thrown.
 */
export function reportError(out: Output, error: unknown): void {
  const permission = permissionMessage(error);
  if (permission !== undefined) {
    out.usage(permission);
    return;
  }
  if (error instanceof AuthError) {
    if (error.code === "USAGE") {
      out.usage(error.hint ? `${error.message} (${error.hint})` : error.message);
    } else if (error.code === "ABORTED") {
      out.usage("interrupted");
    } else {
      out.error(error.message, error.hint);
    }
  } else if (error instanceof Error) {
    const expected = exitCodeOf(error) !== EXIT.auth; // bad input or a network failure
    out.error(
      error.message.split("\n")[0]!,
      expected || out.verbose ? undefined : "run with -v for details",
    );
  } else {
    out.error(String(error));
  }
  if (out.verbose > 0 && error instanceof Error && error.stack) out.debug(error.stack);
}
