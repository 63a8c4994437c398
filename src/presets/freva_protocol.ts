/**
 * freva's auth wire protocol: form POSTs to `{host}/api/freva-nextgen/auth/v2`
 * — `token` with `refresh-token` for a refresh, `device` for a device code
 * and `token` with `device-code` to poll for it — and the token JSON the
 * answers carry, with `expires`/`refresh_expires` filled in.
 *
 * @module
 */

import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "../errors.ts";
import { sleep } from "../http/retry.ts";
import { openBrowser } from "../open.ts";
import { defaultPrompt, type PromptHandler } from "../prompt.ts";
import { redact } from "../secret.ts";
import { deadlineSignal } from "../util/deadline.ts";
import { numberField, stringField } from "../util/json_fields.ts";
import { jsonObjectOf } from "../util/json_object.ts";
import type { Token } from "./freva_token_file.ts";

/** The path of freva's auth API, relative to the host. */
export const AUTH_PATH = "/api/freva-nextgen/auth/v2";

/** How a device login waits for the person (the fields of `freva.AuthenticateOptions`). */
export interface DeviceLoginOptions {
  /** Seconds to wait; `0` or `null` waits without limit; default 30. */
  timeout?: number | null | undefined;
  /** Shows the login URL and code; default {@linkcode defaultPrompt}. */
  onPrompt?: PromptHandler | undefined;
  /** Open the login page in a browser; default `true`. */
  openBrowser?: boolean | undefined;
  /** Stops the login. */
  signal?: AbortSignal | undefined;
}

/**
 * Fills `expires`/`refresh_expires` from `expires_in`/`refresh_expires_in`
 * (or `expires_at`) when only those came.
 *
 * @param json The answer's JSON.
 * @param now When the answer arrived (seconds since the epoch).
 * @returns The token JSON.
 */
export function normalise(json: Record<string, unknown>, now: number): Token {
  const out: Record<string, unknown> = { ...json };
  if (numberField(out.expires) === undefined) {
    const rel = numberField(json.expires_in);
    const abs = numberField(json.expires_at);
    if (abs !== undefined || rel !== undefined) out.expires = Math.floor(abs ?? now + rel!);
  }
  const refreshIn = numberField(json.refresh_expires_in);
  if (numberField(out.refresh_expires) === undefined && refreshIn !== undefined) {
    out.refresh_expires = Math.floor(now + refreshIn);
  }
  return out as Token;
}

async function postForm(
  url: string,
  form: Record<string, string>,
  fetcher: typeof fetch,
  signal?: AbortSignal,
): Promise<{ status: number; json: Record<string, unknown> | undefined; text: string }> {
  let response: Response;
  try {
    response = await fetcher(url, {
      method: "POST",
      headers: { accept: "application/json" },
      body: new URLSearchParams(form),
      redirect: "manual",
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new AuthError("NETWORK_ERROR", `Cannot reach ${new URL(url).origin}`, { cause: error });
  }
  const text = await response.text();
  return { status: response.status, json: jsonObjectOf(text), text };
}

function errorOf(json: Record<string, unknown> | undefined, status: number): string {
  return stringField(json?.error) ?? stringField(json?.detail) ?? `http_${status}`;
}

/**
 * Refreshes a token: a form POST with the field `refresh-token` to
 * `{host}/api/freva-nextgen/auth/v2/token`.
 *
 * @param host The server base URL.
 * @param refreshToken The refresh token.
 * @param fetcher The fetch to use.
 * @returns The new token JSON (without a refresh token when none came back).
 * @throws {OAuthError} When the server refused.
 */
export async function refresh(
  host: string,
  refreshToken: string,
  fetcher: typeof fetch,
): Promise<Token> {
  const now = Date.now() / 1000;
  const { status, json, text } = await postForm(
    `${host}${AUTH_PATH}/token`,
    { "refresh-token": refreshToken },
    fetcher,
  );
  if (status !== 200 || !stringField(json?.access_token)) {
    throw new OAuthError("Cannot refresh the freva token", {
      error: errorOf(json, status),
      errorDescription:
        redact(stringField(json?.error_description) ?? text.slice(0, 200), [refreshToken]) ||
        undefined,
      status,
    });
  }
  return normalise(json!, now);
}

/**
 * The device login against freva's auth API: `POST {host}/…/auth/v2/device`
 * for a code, then polling `POST {host}/…/auth/v2/token` with the form field
 * `device-code`. `slow_down` adds 5 s to the interval.
 *
 * @param host The server base URL.
 * @param options Timeout, prompt, browser, signal.
 * @param fetcher The fetch to use.
 * @returns The token JSON.
 * @throws {LoginRequiredError} When the login was denied.
 * @throws {TokenExpiredError} When the code expired before it was approved.
 * @throws {AuthError} `TIMEOUT` when the person did not finish in time.
 * @throws {OAuthError} For any other refusal.
 */
export async function deviceLogin(
  host: string,
  options: DeviceLoginOptions,
  fetcher: typeof fetch,
): Promise<Token> {
  const timeout = options.timeout === undefined ? 30 : options.timeout ?? 0;
  const signal = deadlineSignal(timeout, options.signal);
  const timedOut = () =>
    new AuthError(
      "TIMEOUT",
      "Login did not complete within the allotted time: approve the request in your browser and try again",
    );
  try {
    const started = await postForm(`${host}${AUTH_PATH}/device`, {}, fetcher, signal);
    const deviceCode = stringField(started.json?.device_code);
    const userCode = stringField(started.json?.user_code);
    const verificationUri = stringField(started.json?.verification_uri);
    if (started.status !== 200 || !deviceCode || !userCode || !verificationUri) {
      throw new OAuthError("Cannot start the freva login", {
        error: errorOf(started.json, started.status),
        status: started.status,
      });
    }
    const complete = stringField(started.json?.verification_uri_complete);
    await (options.onPrompt ?? defaultPrompt)({
      kind: "device",
      verificationUri,
      userCode,
      verificationUriComplete: complete,
      expiresIn: numberField(started.json?.expires_in) ?? 600,
    });
    if (options.openBrowser ?? true) openBrowser(complete ?? verificationUri);
    let interval = numberField(started.json?.interval) ?? 5;
    for (;;) {
      await sleep(interval * 1000, signal);
      const now = Date.now() / 1000;
      const { status, json } = await postForm(
        `${host}${AUTH_PATH}/token`,
        { "device-code": deviceCode },
        fetcher,
        signal,
      );
      if (status === 200 && stringField(json?.access_token)) return normalise(json!, now);
      const error = errorOf(json, status);
      if (error === "authorization_pending") continue;
      if (error === "slow_down") {
        interval += 5;
        continue;
      }
      if (error === "access_denied") throw new LoginRequiredError("The freva login was denied");
      if (error === "expired_token") {
        throw new TokenExpiredError("The freva login code expired before it was approved");
      }
      throw new OAuthError("The freva login failed", { error, status });
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (signal?.aborted) throw timedOut();
    throw error;
  }
}
