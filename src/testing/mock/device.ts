/**
 * The device authorization grant (RFC 8628): issuing device and user codes, recording a
 * person's decision, and answering polls.
 *
 * @module
 */

import { DEVICE_GRANT, type ResolvedClient } from "./config.ts";
import { mint, type Runtime, type TokenRequest, type TokenResponse } from "./issue.ts";
import type { MockUser } from "./options.ts";
import { checkScope, randomToken } from "./checks.ts";
import { OAuthFailure, required } from "./http.ts";
import type { DeviceRecord } from "./state.ts";

/** The user code alphabet RFC 8628 §6.1 suggests: consonants only, no look-alikes. */
const ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

/** Polls this much early are still accepted, to allow for timer jitter. */
const GRACE_MS = 20;

/** A device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/**
 * Starts a device authorization for an authenticated client.
 *
 * @param runtime The provider.
 * @param client The client.
 * @param form The request parameters.
 * @returns The response body.
 * @throws {OAuthFailure} `unauthorized_client` or `invalid_scope`.
 */
export function startDeviceAuthorization(
  runtime: Runtime,
  client: ResolvedClient,
  form: URLSearchParams,
): DeviceAuthorizationResponse {
  const { config, state } = runtime;
  if (!client.grants.has(DEVICE_GRANT)) {
    throw new OAuthFailure("unauthorized_client", "The client may not use the device flow");
  }
  const scope = checkScope(form.get("scope"), config.scopes, client.scope);
  let userCode: string;
  do userCode = newUserCode(); while (state.findUserCode(userCode) !== undefined);
  const record: DeviceRecord = {
    deviceCode: randomToken(),
    userCode,
    clientId: client.clientId,
    scope,
    aud: form.get("audience") ?? form.get("resource") ?? runtime.apiUrl,
    expiresAt: state.nowMs() + config.deviceCodeTtl * 1000,
    intervalMs: config.deviceInterval * 1000,
    lastPoll: undefined,
    status: "pending",
    user: undefined,
  };
  state.devices.set(record.deviceCode, record);
  const complete = new URL(`${runtime.issuer}/device`);
  complete.searchParams.set("user_code", userCode);
  return {
    device_code: record.deviceCode,
    user_code: userCode,
    verification_uri: `${runtime.issuer}/device`,
    verification_uri_complete: complete.href,
    expires_in: config.deviceCodeTtl,
    interval: config.deviceInterval,
  };
}

/**
 * Records a person's decision on a device authorization.
 *
 * @param runtime The provider.
 * @param userCode The user code, however it was typed (case and dashes do not matter).
 * @param user The approving user, or `undefined` to deny.
 * @throws {TypeError} When the code is unknown, expired or already decided.
 */
export function decideDevice(runtime: Runtime, userCode: string, user: MockUser | undefined): void {
  const record = runtime.state.findUserCode(userCode);
  if (record === undefined || runtime.state.nowMs() >= record.expiresAt) {
    throw new TypeError(
      `Cannot decide device authorization: code "${userCode}" is unknown or expired`,
    );
  }
  if (record.status !== "pending") {
    throw new TypeError(
      `Cannot decide device authorization: code "${userCode}" is already decided`,
    );
  }
  record.status = user === undefined ? "denied" : "approved";
  record.user = user;
}

/**
 * Answers a device code poll (RFC 8628 §3.4–3.5).
 *
 * @param runtime The provider.
 * @param request The authenticated client, its parameters and its DPoP key.
 * @returns The tokens, once the person approved.
 * @throws {OAuthFailure} `authorization_pending`, `slow_down`, `access_denied`,
 * `expired_token` or `invalid_grant`.
 */
export async function deviceCodeGrant(
  runtime: Runtime,
  { client, form, jkt }: TokenRequest,
): Promise<TokenResponse> {
  const record = runtime.state.devices.get(required(form, "device_code"));
  if (record === undefined || record.clientId !== client.clientId) {
    throw new OAuthFailure("invalid_grant", "The device code is unknown");
  }
  if (record.status === "done") {
    throw new OAuthFailure("invalid_grant", "The device code was already used");
  }
  if (runtime.state.nowMs() >= record.expiresAt) {
    throw new OAuthFailure("expired_token", "The device code expired");
  }
  const now = performance.now();
  const last = record.lastPoll;
  record.lastPoll = now;
  if (last !== undefined && now - last < record.intervalMs - GRACE_MS) {
    record.intervalMs += 5000;
    throw new OAuthFailure("slow_down", `Poll at most every ${record.intervalMs / 1000} seconds`);
  }
  if (record.status === "pending") {
    throw new OAuthFailure("authorization_pending", "The user has not yet decided");
  }
  if (record.status === "denied" || record.user === undefined) {
    throw new OAuthFailure("access_denied", "The user denied the request");
  }
  record.status = "done";
  const { body } = await mint(runtime, {
    client,
    user: record.user,
    scope: record.scope,
    aud: record.aud,
    refresh: client.grants.has("refresh_token"),
    ...(jkt === undefined ? {} : { jkt }),
  });
  return body;
}

function newUserCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const chars = [...bytes].map((byte) => ALPHABET[byte % ALPHABET.length]!).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4)}`;
}
