/**
 * The device authorization grant (RFC 8628): show a code, poll until the
 * person approves it (openid-client honours `interval` and `slow_down`).
 *
 * @module
 */

import * as oc from "openid-client";
import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { openBrowser } from "../open.ts";
import type { PromptHandler } from "../prompt.ts";
import type { Provider } from "./discovery.ts";
import { toAuthError } from "./errors.ts";
import { dpopOption, type GrantParameters } from "./grants.ts";
import { deadlineSignal } from "../util/deadline.ts";
import { toCredential } from "./token_response.ts";

/** Options of an interactive login. */
export interface InteractiveOptions extends GrantParameters {
  /** Shows the code or URL. */
  onPrompt: PromptHandler;
  /** Seconds to wait for the person; 0 = no limit. */
  timeout: number;
  /** Open the browser through the platform opener. */
  openBrowser: boolean;
  /** Stops the login. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs the device flow to its end.
 *
 * @param provider The provider.
 * @param options Prompt, timeout, signal.
 * @returns The credential.
 * @throws {LoginRequiredError} `access_denied`.
 * @throws {TokenExpiredError} `expired_token`.
 * @throws {AuthError} `TIMEOUT` when the person did not approve in time.
 */
export async function deviceLogin(
  provider: Provider,
  options: InteractiveOptions,
): Promise<Credential> {
  const params: Record<string, string> = {};
  if (options.scope) params.scope = options.scope;
  if (options.audience) params.audience = options.audience;
  const signal = deadlineSignal(options.timeout, options.signal);
  let response: oc.DeviceAuthorizationResponse;
  try {
    response = await oc.initiateDeviceAuthorization(provider.config, params);
  } catch (error) {
    throw toAuthError(error, "Cannot start the device login", [provider.options.clientSecret]);
  }
  await options.onPrompt({
    kind: "device",
    verificationUri: response.verification_uri,
    userCode: response.user_code,
    verificationUriComplete: response.verification_uri_complete,
    expiresIn: response.expires_in,
  });
  if (options.openBrowser) {
    openBrowser(response.verification_uri_complete ?? response.verification_uri);
  }
  try {
    const tokens = await oc.pollDeviceAuthorizationGrant(provider.config, response, undefined, {
      ...(signal ? { signal } : {}),
      ...dpopOption(options),
    });
    return toCredential(tokens, provider, Date.now() / 1000);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (signal?.aborted) {
      throw new AuthError(
        "TIMEOUT",
        `Login did not complete within ${options.timeout} s; approve the request in your browser and try again`,
      );
    }
    throw toAuthError(error, "Device login failed", [provider.options.clientSecret]);
  }
}
