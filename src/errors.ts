/**
 * The one error hierarchy of Latchkey. Every failure a caller is expected to
 * catch is an {@linkcode AuthError} with a stable string `code`.
 *
 * @module
 */

import { redactKnownSecrets } from "./secret.ts";

/**
 * Every code an {@linkcode AuthError} may carry, in one list. Scripts may
 * match on them; they never change meaning between versions (the README's
 * "Error codes" table says what each means and the CLI exit it gives).
 *
 * @example
 * ```ts
 * import { AUTH_ERROR_CODES, AuthError } from "@latchkey/latchkey";
 * const error = new AuthError("TIMEOUT", "Cannot log in: no answer within 30 s");
 * if (!AUTH_ERROR_CODES.includes(error.code)) throw new Error(`unknown code ${error.code}`);
 * ```
 */
export const AUTH_ERROR_CODES = [
  "CONFLICTING_CREDENTIALS",
  "BAD_TOKEN_FILE",
  "INSECURE_PERMISSIONS",
  "INSECURE_URL",
  "ORIGIN_NOT_ALLOWED",
  "LOGIN_REQUIRED",
  "TOKEN_EXPIRED",
  "OAUTH_ERROR",
  "NETWORK_ERROR",
  "TIMEOUT",
  "ABORTED",
  "CONFIG_INVALID",
  "STORE_UNAVAILABLE",
  "KEYRING_UNAVAILABLE",
  "PERMISSION_DENIED",
  "BAD_RESPONSE",
  "MALFORMED_TOKEN",
  "BAD_CLIENT_KEY",
  "USAGE",
] as const;

/** The stable codes carried by {@linkcode AuthError}: one of {@linkcode AUTH_ERROR_CODES}. */
export type AuthErrorCode = typeof AUTH_ERROR_CODES[number];

/** Options accepted by every Latchkey error constructor. */
export interface AuthErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** A short hint telling the user how to fix the problem (never a secret). */
  hint?: string;
}

/**
 * The base class of every error Latchkey throws on purpose.
 *
 * @example Match on the stable code
 * ```ts
 * import { AuthError } from "@latchkey/latchkey";
 * const err = new AuthError("BAD_TOKEN_FILE", 'Cannot read token file: "t.json" is not JSON');
 * if (!(err instanceof Error && err.code === "BAD_TOKEN_FILE")) {
 *   throw new Error("Expected err instanceof Error && err.code === \"BAD_TOKEN_FILE\"");
 * }
 * ```
 */
export class AuthError extends Error {
  /** A stable, documented code (see {@linkcode AuthErrorCode}). */
  readonly code: AuthErrorCode;
  /** How to fix the problem, when Latchkey knows. */
  readonly hint: string | undefined;

  /**
   * Creates an error with a stable code.
   *
   * @param code The stable error code.
   * @param message A sentence-case message without secrets.
   * @param options The cause and a hint.
   */
  constructor(code: AuthErrorCode, message: string, options: AuthErrorOptions = {}) {
    super(
      redactKnownSecrets(message),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "AuthError";
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redactKnownSecrets(options.hint);
  }
}

/**
 * No usable credential: the user has to log in (or was denied).
 *
 * @example
 * ```ts
 * import { AuthError, LoginRequiredError } from "@latchkey/latchkey";
 * const err = new LoginRequiredError("No credential for profile \"default\"");
 * if (!(err instanceof AuthError && err.code === "LOGIN_REQUIRED")) {
 *   throw new Error("Expected err instanceof AuthError && err.code === \"LOGIN_REQUIRED\"");
 * }
 * ```
 */
export class LoginRequiredError extends AuthError {
  /**
   * Creates a login-required error.
   *
   * @param message What is missing, without secrets.
   * @param options The cause and a hint.
   */
  constructor(message: string, options: AuthErrorOptions = {}) {
    super("LOGIN_REQUIRED", message, {
      hint: "run `latchkey login`",
      ...options,
    });
    this.name = "LoginRequiredError";
  }
}

/**
 * The credential expired and cannot be refreshed.
 *
 * @example
 * ```ts
 * import { TokenExpiredError } from "@latchkey/latchkey";
 * const err = new TokenExpiredError("Access token expired at 2026-01-01T00:00:00.000Z");
 * if (!(err.code === "TOKEN_EXPIRED")) throw new Error("Expected err.code === \"TOKEN_EXPIRED\"");
 * ```
 */
export class TokenExpiredError extends AuthError {
  /**
   * Creates a token-expired error.
   *
   * @param message What expired, without secrets.
   * @param options The cause and a hint.
   */
  constructor(message: string, options: AuthErrorOptions = {}) {
    super("TOKEN_EXPIRED", message, { hint: "run `latchkey login --force`", ...options });
    this.name = "TokenExpiredError";
  }
}

/** Fields of an OAuth error response (RFC 6749 §5.2). */
export interface OAuthErrorOptions extends AuthErrorOptions {
  /** The provider's `error` value, e.g. `invalid_grant`. */
  error: string;
  /** The provider's `error_description`, if any. */
  errorDescription?: string | undefined;
  /** The HTTP status of the provider's response, if any. */
  status?: number | undefined;
}

/**
 * The provider refused a request, or answered with something that is not a
 * valid OAuth response. Carries the provider's `error` and
 * `error_description`.
 *
 * @example
 * ```ts
 * import { OAuthError } from "@latchkey/latchkey";
 * const err = new OAuthError("Cannot refresh token", { error: "invalid_grant", status: 400 });
 * if (!(err.error === "invalid_grant" && err.code === "OAUTH_ERROR")) {
 *   throw new Error("Expected err.error === \"invalid_grant\" && err.code === \"OAUTH_ERROR\"");
 * }
 * ```
 */
export class OAuthError extends AuthError {
  /** The provider's `error` code (RFC 6749 §5.2), e.g. `invalid_grant`. */
  readonly error: string;
  /** The provider's human-readable `error_description`. */
  readonly errorDescription: string | undefined;
  /** The HTTP status of the provider's answer, when there was one. */
  readonly status: number | undefined;

  /**
   * Creates an OAuth error.
   *
   * @param message The failed action, e.g. `Cannot refresh token`.
   * @param options The provider's fields.
   */
  constructor(message: string, options: OAuthErrorOptions) {
    const detail = options.errorDescription
      ? `${options.error} (${options.errorDescription})`
      : options.error;
    super("OAUTH_ERROR", `${message}: ${detail}`, options);
    this.name = "OAuthError";
    // a provider may echo a token back: the fields are shown by inspect and JSON too
    this.error = redactKnownSecrets(options.error);
    this.errorDescription = options.errorDescription === undefined
      ? undefined
      : redactKnownSecrets(options.errorDescription);
    this.status = options.status;
  }
}

/** Where a refused token came from: the user's input, a provider's answer, or a store. */
export type TokenOrigin = "input" | "provider" | "store";

/**
 * A token that cannot be sent as a header value (a line break, a space, a
 * control or non-ASCII character): refused where it was read, with a message
 * that names the source and never the value. Code `MALFORMED_TOKEN`.
 *
 * @example
 * ```ts
 * import { AuthError, MalformedTokenError } from "@latchkey/latchkey";
 * const err = new MalformedTokenError('Refusing the access token from "LATCHKEY_TOKEN"', "input");
 * if (!(err instanceof AuthError) || err.code !== "MALFORMED_TOKEN") throw new Error("code");
 * ```
 */
export class MalformedTokenError extends AuthError {
  /** Where the token came from: `input` (options, environment, files), `provider` or `store`. */
  readonly origin: TokenOrigin;

  /**
   * Creates a malformed-token error.
   *
   * @param message What was refused and from where, without the value.
   * @param origin Where the token came from.
   * @param options The cause and a hint.
   */
  constructor(message: string, origin: TokenOrigin, options: AuthErrorOptions = {}) {
    super("MALFORMED_TOKEN", message, options);
    this.name = "MalformedTokenError";
    this.origin = origin;
  }
}
