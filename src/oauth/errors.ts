/**
 * Turning openid-client's errors into Latchkey's typed errors, with every
 * known secret removed from messages.
 *
 * @module
 */

import * as oc from "openid-client";
import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "../errors.ts";
import { redact, type Secret } from "../secret.ts";
import { ProviderUnreachableError } from "./http.ts";

/** What to check, by the kind of network failure. */
const UNREACHABLE_HINTS = {
  dns: "check the issuer URL's host name and this machine's network",
  tls: "check that the issuer URL names an https: server whose certificate this machine trusts",
  refused: "check that the provider is running and the issuer URL's port",
} as const;

/**
 * Maps any error thrown by an OAuth call to Latchkey's hierarchy.
 *
 * @param error What was thrown.
 * @param action The failed action, e.g. `Cannot refresh token`.
 * @param secrets Values that must not appear in the message.
 * @param signal The caller's signal: its abort is rethrown as is.
 * @returns The error to throw.
 */
export function toAuthError(
  error: unknown,
  action: string,
  secrets: (Secret | string | undefined)[] = [],
  signal?: AbortSignal,
): unknown {
  if (error instanceof AuthError) return error;
  if (signal?.aborted) return signal.reason;
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new AuthError("PERMISSION_DENIED", `${action}: network access is not allowed`, {
      cause: error,
      hint: "allow it with --allow-net",
    });
  }
  // The provider's fields are whatever JSON it sent: only strings are kept.
  const clean = (text: unknown) => typeof text === "string" ? redact(text, secrets) : undefined;
  if (error instanceof oc.ResponseBodyError) {
    const options = {
      error: clean(error.error) ?? "invalid_response",
      errorDescription: clean(error.error_description),
      status: error.status,
    };
    if (error.error === "access_denied") {
      return new LoginRequiredError(`${action}: access denied`, {
        cause: new OAuthError(action, options),
        hint: "the sign-in was refused at the provider: run the login again and approve it",
      });
    }
    if (error.error === "expired_token") {
      return new TokenExpiredError(`${action}: the device code expired`, {
        cause: new OAuthError(action, options),
        hint: "run the login again and approve it sooner",
      });
    }
    return new OAuthError(action, options);
  }
  if (error instanceof oc.AuthorizationResponseError) {
    const options = {
      error: clean(error.error) ?? "invalid_request",
      errorDescription: clean(error.error_description),
    };
    if (error.error === "access_denied") {
      return new LoginRequiredError(`${action}: access denied`, {
        cause: new OAuthError(action, options),
        hint: "the sign-in was refused at the provider: run the login again and approve it",
      });
    }
    return new OAuthError(action, options);
  }
  if (error instanceof oc.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    return new OAuthError(action, {
      error: clean(challenge?.parameters.error) ?? "invalid_client",
      errorDescription: clean(challenge?.parameters.error_description),
      status: error.status,
    });
  }
  if (
    error instanceof DOMException && error.name === "TimeoutError" ||
    error instanceof oc.ClientError && error.code === "OAUTH_TIMEOUT"
  ) {
    // The provider did not answer: a network failure. (`TIMEOUT` is kept for
    // a login the person did not finish in time.)
    return new AuthError("NETWORK_ERROR", `${action}: the provider did not answer in time`, {
      cause: error,
    });
  }
  if (error instanceof ProviderUnreachableError) {
    // The message names the provider's origin and why; the action adds nothing a person needs.
    return new AuthError("NETWORK_ERROR", clean(error.message)!, {
      hint: error.kind ? UNREACHABLE_HINTS[error.kind] : "check the network and the issuer URL",
    });
  }
  if (error instanceof TypeError && !(error instanceof oc.ClientError)) {
    return new AuthError("NETWORK_ERROR", `${action}: ${clean(error.message)}`, {
      hint: "check the network and the issuer URL",
    });
  }
  const message = error instanceof Error ? clean(error.message) : String(error);
  const status = (error as { cause?: { status?: unknown } })?.cause?.status;
  const clock = error instanceof oc.ClientError &&
    error.code === "OAUTH_JWT_TIMESTAMP_CHECK_FAILED";
  return new AuthError(
    "BAD_RESPONSE",
    `${action}: ${message}${typeof status === "number" ? ` (HTTP ${status})` : ""}`,
    clock
      ? {
        hint: "check this machine's clock: the provider's token times are more than 10 minutes off",
      }
      : {},
  );
}
