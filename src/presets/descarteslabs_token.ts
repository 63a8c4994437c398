/**
 * The Descartes Labs refresh protocol, as the Python client's source speaks
 * it: a JSON `POST {domain}/token`, retried with a random backoff.
 *
 * @module
 */

import { Credential } from "../credential.ts";
import { AuthError, OAuthError } from "../errors.ts";
import { sleep } from "../http/retry.ts";
import { logger } from "../log.ts";
import { redact } from "../secret.ts";
import type { Renewer } from "../session.ts";
import { stringField } from "../util/json_fields.ts";
import { jsonObjectOf } from "../util/json_object.ts";

/**
 * The retry policy of the refresh request: after a network error or a 429,
 * 500, 502, 503 or 504 answer, wait a random time between `minBackoff` and
 * `maxBackoff` seconds and try again, at most `total` times.
 */
export interface RetryPolicy {
  /**
   * How many retries.
   *
   * @default {5}
   */
  total?: number | undefined;
  /**
   * The shortest wait, in seconds.
   *
   * @default {1}
   */
  minBackoff?: number | undefined;
  /**
   * The longest wait, in seconds.
   *
   * @default {10}
   */
  maxBackoff?: number | undefined;
}

function retryPolicy(retries: number | RetryPolicy | undefined): Required<RetryPolicy> {
  const p: RetryPolicy = typeof retries === "number" ? { total: retries } : retries ?? {};
  const min = p.minBackoff ?? 1;
  return { total: p.total ?? 5, minBackoff: min, maxBackoff: Math.max(min, p.maxBackoff ?? 10) };
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** What {@linkcode requestToken} needs. */
export interface TokenRequestOptions {
  /** The accounts server, without a trailing slash. */
  domain: string;
  /** The client id. */
  clientId: string;
  /** The client secret (the refresh token). */
  secret: string;
  /** The JWT fields to ask for. */
  scope?: readonly string[] | undefined;
  /** The retry policy. */
  retries?: number | RetryPolicy | undefined;
  /** The underlying fetch. */
  fetch?: typeof fetch | undefined;
  /** Stops the request and its retries. */
  signal?: AbortSignal | undefined;
}

/**
 * Gets an access token: `POST {domain}/token` with the JSON body
 * `{client_id, grant_type: "refresh_token", refresh_token[, scope]}`, retried
 * after a network error or a 429/500/502/503/504 answer.
 *
 * @param options Server, credentials, scope, retries.
 * @returns The access token (or, from old servers, the ID token).
 * @throws {OAuthError} "Could not retrieve token: …" for any answer but 200.
 * @throws {AuthError} `NETWORK_ERROR` when the server stays unreachable.
 */
export async function requestToken(options: TokenRequestOptions): Promise<string> {
  const { clientId, secret, signal } = options;
  const body: Record<string, string> = {
    client_id: clientId,
    grant_type: "refresh_token",
    refresh_token: secret,
  };
  if (options.scope) body.scope = options.scope.join(" ");
  const policy = retryPolicy(options.retries);
  const inner = options.fetch ?? globalThis.fetch;
  const url = `${options.domain}/token`;
  for (let attempt = 0;; attempt++) {
    let response: Response | undefined;
    try {
      response = await inner(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
        redirect: "manual",
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted || !(error instanceof TypeError) || attempt >= policy.total) {
        throw new AuthError("NETWORK_ERROR", `Could not retrieve token: ${url} is unreachable`, {
          cause: error,
        });
      }
    }
    if (response && (!RETRY_STATUSES.has(response.status) || attempt >= policy.total)) {
      return await parseTokenResponse(response, secret);
    }
    await response?.body?.cancel();
    const wait = policy.minBackoff + Math.random() * (policy.maxBackoff - policy.minBackoff);
    logger().debug(`token request failed; retrying in ${wait.toFixed(1)} s`);
    await sleep(wait * 1000, signal);
  }
}

/**
 * Reads the answer of the token request.
 *
 * @param response The answer.
 * @param secret The secret sent, removed from any quoted answer.
 * @returns The access token, else the ID token.
 * @throws {OAuthError} For any status but 200, or an answer without a token.
 */
export async function parseTokenResponse(response: Response, secret: string): Promise<string> {
  const text = await response.text();
  const json = jsonObjectOf(text); // not JSON: quoted below, without secrets
  if (response.status !== 200) {
    const quoted = redact(text.trim(), [secret]).slice(0, 300);
    throw new OAuthError("Could not retrieve token", {
      error: stringField(json?.error) ?? `http_${response.status}`,
      errorDescription: json
        ? redact(stringField(json.error_description) ?? quoted, [secret])
        : quoted || undefined,
      status: response.status,
    });
  }
  const token = stringField(json?.access_token) ?? stringField(json?.id_token);
  if (!token) {
    throw new OAuthError("Could not retrieve token", {
      error: "invalid_response",
      errorDescription: 'the answer has no "access_token"',
      status: response.status,
    });
  }
  return token;
}

/**
 * The renewer of the preset's `Auth`: a new access token from
 * {@linkcode requestToken} whenever both a client id and a secret are known.
 *
 * @param options Server, credentials (either may be missing), scope, retries.
 * @returns The renewer.
 */
export function tokenRenewer(
  options: Omit<TokenRequestOptions, "clientId" | "secret" | "signal"> & {
    clientId: string | undefined;
    secret: string | undefined;
  },
): Renewer {
  const { clientId, secret } = options;
  return {
    canRenew: () => clientId !== undefined && secret !== undefined,
    renew: async (_credential, signal) => {
      const token = await requestToken({
        ...options,
        clientId: clientId!,
        secret: secret!,
        signal,
      });
      return new Credential({ accessToken: token, refreshToken: secret, clientId });
    },
  };
}
