/**
 * The anaconda preset's `login` (browser login with PKCE and a one-request
 * loopback listener, or the deprecated password flow), which mints an API key
 * and keeps it in the keyring, and `logout`.
 *
 * @module
 */

import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oc from "openid-client";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { discover, type Provider } from "../oauth/discovery.ts";
import { toAuthError } from "../oauth/errors.ts";
import { passwordGrant } from "../oauth/grants.ts";
import { openBrowser } from "../open.ts";
import { defaultPrompt, type PromptHandler } from "../prompt.ts";
import { Secret } from "../secret.ts";
import { isLoopback } from "../url.ts";
import { deadlineSignal } from "../util/deadline.ts";
import {
  API_KEY_SCOPES,
  type Config,
  DEFAULT_REDIRECT_URI,
  encodeTokenInfo,
  type KeyOptions,
  KEYRING_NAME,
  loadConfig,
  LOGIN_SCOPE,
  openKeyring,
  readTokenInfo,
} from "./anaconda_config.ts";
import { ask } from "./terminal.ts";

/** Options of {@linkcode login}. */
export interface LoginOptions extends KeyOptions {
  /**
   * Log in even when a valid key exists (and replace it).
   *
   * @default {false}
   */
  force?: boolean | undefined;
  /**
   * The deprecated user name and password flow instead of the browser.
   *
   * @default {false}
   */
  basic?: boolean | undefined;
  /** For `basic`: the user name (email); asked on the terminal when missing. */
  username?: string | undefined;
  /** For `basic`: the password; asked on the terminal (without echo) when missing. */
  password?: string | Secret | undefined;
  /**
   * The browser login's redirect URI, on loopback; port `0` picks a free one.
   *
   * @default {"http://127.0.0.1:8000/auth/oidc"}
   */
  redirectUri?: string | undefined;
  /**
   * Open the login page in a browser.
   *
   * @default {true}
   */
  openBrowser?: boolean | undefined;
  /**
   * How the login URL is shown.
   *
   * @default {defaultPrompt}
   */
  onPrompt?: PromptHandler | undefined;
  /**
   * Seconds to wait for the person; `0` waits without limit.
   *
   * @default {300}
   */
  timeout?: number | undefined;
  /** Stops the login. */
  signal?: AbortSignal | undefined;
  /**
   * The underlying fetch (discovery, token and API key requests).
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch | undefined;
}

function pkceVerifier(): string {
  // 96 random bytes are 128 base64url characters, the length anaconda-cloud-auth uses.
  return crypto.getRandomValues(new Uint8Array(96)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/** The browser login: authorization code + PKCE, redirect to a one-request loopback listener. */
async function browserTokens(
  provider: Provider,
  config: Config,
  options: LoginOptions,
): Promise<oc.TokenEndpointResponse> {
  const redirect = new URL(options.redirectUri ?? DEFAULT_REDIRECT_URI);
  if (redirect.protocol !== "http:" || !isLoopback(redirect.hostname)) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Invalid redirect URI "${redirect.origin}": it must be http: on loopback`,
    );
  }
  const verifier = pkceVerifier();
  const state = crypto.randomUUID();
  const timeout = options.timeout ?? 300;
  const signal = deadlineSignal(timeout, options.signal);
  const { promise, resolve, reject } = Promise.withResolvers<URL>();
  promise.catch(() => {}); // handled below; it may settle while the prompt is still showing
  let done = false;
  const finish = (to: string) => new Response(null, { status: 307, headers: { location: to } });
  const server = Deno.serve({
    hostname: redirect.hostname.replace(/^\[|\]$/g, ""),
    port: Number(redirect.port || 80),
    onListen() {},
  }, (request) => {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname !== redirect.pathname || done) {
      return new Response("Not found", { status: 404 });
    }
    done = true;
    if (url.searchParams.get("state") !== state) {
      reject(new AuthError("BAD_RESPONSE", "Cannot log in: state does not match"));
      return finish(`${config.authUrl}/local-login-error`);
    }
    resolve(url);
    return finish(
      `${config.authUrl}/${
        url.searchParams.has("error") ? "local-login-error" : "local-login-success"
      }`,
    );
  });
  const onAbort = () => {
    if (done) return;
    done = true;
    reject(
      options.signal?.aborted ? options.signal.reason : new AuthError(
        "TIMEOUT",
        `Login did not complete within ${timeout} s: finish signing in in your browser and try again`,
      ),
    );
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    redirect.port = String(server.addr.port);
    const url = oc.buildAuthorizationUrl(provider.config, {
      redirect_uri: redirect.href,
      scope: LOGIN_SCOPE,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    await (options.onPrompt ?? defaultPrompt)({ kind: "browser", url: url.href });
    if (options.openBrowser ?? true) openBrowser(url);
    if (signal?.aborted) onAbort();
    const callback = await promise;
    try {
      return await oc.authorizationCodeGrant(provider.config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
    } catch (error) {
      throw toAuthError(error, "Cannot get a token");
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await server.shutdown();
  }
}

/** Verifies the ID token against the provider's JWKS; returns its claims. */
async function verifyIdToken(
  provider: Provider,
  config: Config,
  tokens: oc.TokenEndpointResponse,
): Promise<Record<string, unknown>> {
  const idToken = tokens.id_token;
  if (!idToken) return {};
  const metadata = provider.config.serverMetadata();
  if (!metadata.jwks_uri) {
    throw new AuthError("BAD_RESPONSE", "Cannot verify the ID token: the provider has no jwks_uri");
  }
  try {
    const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(metadata.jwks_uri)), {
      issuer: metadata.issuer,
      audience: config.clientId,
    });
    if (typeof payload.at_hash === "string") {
      const digest = await crypto.subtle.digest(
        "SHA-256",
        new TextEncoder().encode(tokens.access_token),
      );
      const half = new Uint8Array(digest).slice(0, 16);
      if (half.toBase64({ alphabet: "base64url", omitPadding: true }) !== payload.at_hash) {
        throw new Error("at_hash does not match the access token");
      }
    }
    return payload as Record<string, unknown>;
  } catch (error) {
    throw new AuthError(
      "BAD_RESPONSE",
      `Cannot verify the ID token: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Mints an API key with a login's access token: `POST {api}/api/iam/api-keys`
 * with the scopes `cloud:read` and `cloud:write`; a 201 is expected.
 */
async function createApiKey(
  config: Config,
  accessToken: string,
  fetcher: typeof fetch,
): Promise<string> {
  let response: Response;
  try {
    response = await fetcher(`${config.apiUrl}/api/iam/api-keys`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${accessToken}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({ scopes: API_KEY_SCOPES, tags: ["latchkey"] }),
      redirect: "manual",
    });
  } catch (error) {
    throw new AuthError(
      "NETWORK_ERROR",
      `Cannot create an API key: ${config.apiUrl} is unreachable`,
      {
        cause: error,
      },
    );
  }
  const body = await response.json().catch(() => undefined);
  const key = body && typeof body === "object"
    ? (body as Record<string, unknown>).api_key
    : undefined;
  if (response.status !== 201 || typeof key !== "string" || key === "") {
    throw new AuthError(
      "BAD_RESPONSE",
      `Cannot create an API key: the server answered ${response.status}${
        response.status === 201 ? ' without "api_key"' : ""
      }`,
    );
  }
  return key;
}

/**
 * Logs in to Anaconda and keeps an API key where anaconda-cloud-auth looks
 * for it. Without `force`, a valid (unexpired) key means no action. The
 * browser login opens the system browser (the URL is also shown); `basic: true`
 * is the deprecated password flow, with a warning.
 *
 * @param options Domain, force, basic, keyring.
 * @returns `true` when a new key was stored, `false` when a valid one was kept.
 * @throws {AuthError} `TIMEOUT`, `BAD_RESPONSE`, `KEYRING_UNAVAILABLE`…;
 * {@linkcode LoginRequiredError} when access is denied.
 *
 * @example
 * ```ts ignore
 * import { anaconda } from "@latchkey/latchkey/presets";
 * await anaconda.login({ force: true });
 * ```
 */
export async function login(options: LoginOptions = {}): Promise<boolean> {
  const config = await loadConfig(options);
  const keyring = openKeyring(options.keyring);
  if (!options.force) {
    const current = await readTokenInfo(keyring, config.authDomain).catch((error) => {
      if (error instanceof AuthError && error.code === "BAD_TOKEN_FILE") return undefined;
      throw error;
    });
    if (current && !current.expired) return false;
  }
  const provider = await discover({
    issuer: config.authUrl,
    clientId: config.clientId,
    fetch: options.fetch,
  });
  const fetcher = options.fetch ?? globalThis.fetch;
  let accessToken: string;
  let username: string | null;
  if (options.basic) {
    logger().warn(
      "password-based login is deprecated and will be disabled in the near future; use the browser login",
    );
    username = options.username ?? await ask("Please enter your email: ");
    const typed = options.password ?? await ask("Please enter your password: ", { secret: true });
    const password = typeof typed === "string" ? new Secret(typed) : typed;
    const credential = await passwordGrant(provider, username, password, {});
    accessToken = credential.accessToken!.reveal();
  } else {
    const tokens = await browserTokens(provider, config, options);
    const claims = await verifyIdToken(provider, config, tokens);
    accessToken = tokens.access_token;
    const name = claims.email ?? claims.preferred_username;
    username = typeof name === "string" ? name : null;
  }
  const apiKey = await createApiKey(config, accessToken, fetcher);
  await keyring.set(
    KEYRING_NAME,
    config.authDomain,
    encodeTokenInfo({ apiKey, username, domain: config.authDomain }),
  );
  return true;
}

/**
 * Removes the API key of the auth domain from the keyring (and the fallback
 * file).
 *
 * @param options The domain and where keys are kept.
 * @returns Whether there was a key.
 *
 * @example
 * ```ts
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const keyring = new anaconda.FileKeyring(`${await Deno.makeTempDir()}/keyring`);
 * if (!((await anaconda.logout({ keyring, dotenv: false })) === false)) {
 *   throw new Error("Expected (await anaconda.logout({ keyring, dotenv: false })) === false");
 * }
 * ```
 */
export async function logout(options: KeyOptions = {}): Promise<boolean> {
  const config = await loadConfig(options);
  return await openKeyring(options.keyring).delete(KEYRING_NAME, config.authDomain);
}
