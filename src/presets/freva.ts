/**
 * freva-client's `authenticate`, on Latchkey: the same token JSON, the same
 * files (the given token file and freva's default
 * `~/.cache/freva/auth-token.json`, or `FREVA_TOKEN_FILE`), the same
 * strategy (use the access token while it is valid beyond 60 s, else refresh,
 * else log in interactively where a person is present, else fail) and the
 * same wire protocol (a form POST of `refresh-token` to
 * `{host}/api/freva-nextgen/auth/v2/token`).
 *
 * @example Batch mode: refresh from a token file, without any prompt
 * ```ts ignore
 * import { freva } from "@latchkey/latchkey/presets";
 * const token = await freva.authenticate({ tokenFile: "~/.freva-login-token.json", host: "freva.example.org" });
 * console.log(token.access_token);
 * ```
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { readConfig } from "../config.ts";
import { envGet } from "../env.ts";
import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "../errors.ts";
import { sleep } from "../http/retry.ts";
import { logger } from "../log.ts";
import { openBrowser } from "../open.ts";
import { expandHome, homeDir } from "../paths.ts";
import { defaultPrompt, type PromptHandler } from "../prompt.ts";
import { redact } from "../secret.ts";
import { readJsonObject, writeJsonObject } from "./files.ts";
import { serviceBase } from "./url.ts";

/** The path of freva's auth API, relative to the host. */
export const AUTH_PATH = "/api/freva-nextgen/auth/v2";

/** Seconds an access token must still be valid for to be used as is. */
export const EXPIRY_BUFFER = 60;

/** Variables that mark a batch job (no person to log in). */
export const BATCH_VARIABLES: readonly string[] = [
  "SLURM_JOB_ID",
  "PBS_JOBID",
  "JOB_ID",
  "LSB_JOBID",
  "OAR_JOB_ID",
  "KUBERNETES_SERVICE_HOST",
  "FREVA_BATCH_JOB",
  "JUPYTERHUB_USER",
];

/** freva's OAuth token JSON. Times are seconds since the epoch. */
export interface Token {
  /** The access token. */
  access_token: string;
  /** Its type, `Bearer`. */
  token_type: string;
  /** When the access token expires. */
  expires: number;
  /** The refresh token. */
  refresh_token: string;
  /** When the refresh token expires. */
  refresh_expires: number;
  /** The granted scope. */
  scope: string;
  /** Anything else the server sent. */
  [key: string]: unknown;
}

/** Options of {@linkcode authenticate}. */
export interface AuthenticateOptions {
  /**
   * A token JSON file holding a `refresh_token` (batch use); `~` is expanded.
   * The new token is written back to it.
   */
  tokenFile?: string | undefined;
  /**
   * The freva REST server. A bare host name means `https:`; `http:` only on
   * loopback.
   *
   * @default {the `host` saved in the Latchkey profile `profile`}
   */
  host?: string | undefined;
  /**
   * Recreate the token even if it is still valid: through a refresh when
   * there is a refresh token and no person present, else interactively.
   *
   * @default {false}
   */
  force?: boolean | undefined;
  /**
   * Seconds to wait for the person to log in; `0` or `null` waits without limit.
   *
   * @default {30}
   */
  timeout?: number | null | undefined;
  /**
   * The Latchkey profile whose saved `host` is used when `host` is not given.
   *
   * @default {"freva"}
   */
  profile?: string | undefined;
  /**
   * Whether a person is present to log in. By default: `BROWSER_SESSION` when
   * set, else no batch variable set and stdin and stdout are terminals (or a
   * Jupyter kernel).
   */
  interactive?: boolean | undefined;
  /**
   * How the login URL and code are shown.
   *
   * @default {defaultPrompt (stderr, or rich output in Jupyter)}
   */
  onPrompt?: PromptHandler | undefined;
  /**
   * Open the login page in a browser.
   *
   * @default {true}
   */
  openBrowser?: boolean | undefined;
  /** Stops a login in progress. */
  signal?: AbortSignal | undefined;
  /**
   * The underlying fetch.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch | undefined;
}

/**
 * freva's default token file: `FREVA_TOKEN_FILE`, else
 * `$XDG_CACHE_HOME/freva/auth-token.json` (`~/.cache/freva/auth-token.json`;
 * `~/Library/Caches/freva/auth-token.json` on macOS).
 *
 * @returns The absolute path.
 *
 * @example
 * ```ts
 * import { freva } from "@latchkey/latchkey/presets";
 * console.assert(freva.defaultTokenFile().endsWith("auth-token.json"));
 * ```
 */
export function defaultTokenFile(): string {
  const custom = envGet("FREVA_TOKEN_FILE")?.trim();
  if (custom) return expandHome(custom);
  const cache = Deno.build.os === "darwin"
    ? join(homeDir(), "Library", "Caches")
    : envGet("XDG_CACHE_HOME") || join(homeDir(), ".cache");
  return join(cache, "freva", "auth-token.json");
}

/**
 * Whether a person can log in here: `BROWSER_SESSION` decides when set
 * (`1`/`true`/`yes`); otherwise no batch variable may be set
 * ({@linkcode BATCH_VARIABLES}) and stdin and stdout must be terminals, or the
 * code runs in a Jupyter kernel.
 *
 * @returns `true` when an interactive login may start.
 *
 * @example
 * ```ts
 * import { freva } from "@latchkey/latchkey/presets";
 * console.assert(typeof freva.isInteractive() === "boolean");
 * ```
 */
export function isInteractive(): boolean {
  const read = (name: string) => {
    try {
      return envGet(name);
    } catch {
      return undefined; // a variable we may not read cannot be relied on
    }
  };
  const forced = read("BROWSER_SESSION");
  if (forced !== undefined && forced !== "") return /^(1|true|yes|on)$/i.test(forced.trim());
  if (BATCH_VARIABLES.some((name) => read(name))) return false;
  try {
    if (typeof Deno.jupyter?.display === "function") return true;
  } catch {
    // Deno.jupyter throws outside a kernel
  }
  return Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Fills `expires`/`refresh_expires` from `expires_in`/`refresh_expires_in` when only those came. */
function normalise(json: Record<string, unknown>, now: number): Token {
  const out: Record<string, unknown> = { ...json };
  if (num(out.expires) === undefined) {
    const rel = num(json.expires_in);
    const abs = num(json.expires_at);
    if (abs !== undefined || rel !== undefined) out.expires = Math.floor(abs ?? now + rel!);
  }
  if (num(out.refresh_expires) === undefined && num(json.refresh_expires_in) !== undefined) {
    out.refresh_expires = Math.floor(now + num(json.refresh_expires_in)!);
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
  let json: Record<string, unknown> | undefined;
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) json = value;
  } catch {
    // not JSON
  }
  return { status: response.status, json, text };
}

function errorOf(json: Record<string, unknown> | undefined, status: number): string {
  return str(json?.error) ?? str(json?.detail) ?? `http_${status}`;
}

/**
 * Refreshes a token: a form POST with the field `refresh-token` to
 * `{host}/api/freva-nextgen/auth/v2/token`.
 *
 * @param host The server base URL.
 * @param refreshToken The refresh token.
 * @param fetcher The fetch to use.
 * @returns The new token JSON (the old refresh token kept if none came back).
 * @throws {OAuthError} When the server refused.
 */
async function refresh(host: string, refreshToken: string, fetcher: typeof fetch): Promise<Token> {
  const now = Date.now() / 1000;
  const { status, json, text } = await postForm(
    `${host}${AUTH_PATH}/token`,
    { "refresh-token": refreshToken },
    fetcher,
  );
  if (status !== 200 || !str(json?.access_token)) {
    throw new OAuthError("Cannot refresh the freva token", {
      error: errorOf(json, status),
      errorDescription:
        redact(str(json?.error_description) ?? text.slice(0, 200), [refreshToken]) ||
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
 */
async function deviceLogin(
  host: string,
  options: AuthenticateOptions,
  fetcher: typeof fetch,
): Promise<Token> {
  const timeout = options.timeout === undefined ? 30 : options.timeout ?? 0;
  const signals = [options.signal, timeout > 0 ? AbortSignal.timeout(timeout * 1000) : undefined]
    .filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length ? AbortSignal.any(signals) : undefined;
  const timedOut = () =>
    new AuthError(
      "TIMEOUT",
      "Login did not complete within the allotted time: approve the request in your browser and try again",
    );
  try {
    const started = await postForm(`${host}${AUTH_PATH}/device`, {}, fetcher, signal);
    const deviceCode = str(started.json?.device_code);
    const userCode = str(started.json?.user_code);
    const verificationUri = str(started.json?.verification_uri);
    if (started.status !== 200 || !deviceCode || !userCode || !verificationUri) {
      throw new OAuthError("Cannot start the freva login", {
        error: errorOf(started.json, started.status),
        status: started.status,
      });
    }
    const complete = str(started.json?.verification_uri_complete);
    await (options.onPrompt ?? defaultPrompt)({
      kind: "device",
      verificationUri,
      userCode,
      verificationUriComplete: complete,
      expiresIn: num(started.json?.expires_in) ?? 600,
    });
    if (options.openBrowser ?? true) openBrowser(complete ?? verificationUri);
    let interval = num(started.json?.interval) ?? 5;
    for (;;) {
      await sleep(interval * 1000, signal);
      const now = Date.now() / 1000;
      const { status, json } = await postForm(
        `${host}${AUTH_PATH}/token`,
        { "device-code": deviceCode },
        fetcher,
        signal,
      );
      if (status === 200 && str(json?.access_token)) return normalise(json!, now);
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

async function resolveHost(options: AuthenticateOptions): Promise<string> {
  const text = options.host ?? (await readConfig()).profiles[options.profile ?? "freva"]?.host;
  if (!text) {
    throw new AuthError("CONFIG_INVALID", "Cannot authenticate: no freva host is configured", {
      hint: "pass host (or --host), or save it in the profile",
    });
  }
  return serviceBase(text, "freva host");
}

async function readToken(path: string): Promise<Record<string, unknown> | undefined> {
  const data = await readJsonObject(path);
  if (!data) return undefined;
  for (const key of ["access_token", "refresh_token", "token_type", "scope"]) {
    if (key in data && data[key] !== null && typeof data[key] !== "string") {
      throw new AuthError(
        "BAD_TOKEN_FILE",
        `Cannot read token file "${path}": key "${key}" must be a string`,
      );
    }
  }
  return data;
}

/**
 * The token JSON saved in a token file (by default freva's), read locally
 * without any request or check of its validity; a file other users can read
 * is tightened to 0600 with a warning.
 *
 * @param tokenFile The file; `~` is expanded. Default: {@linkcode defaultTokenFile}.
 * @returns The token JSON, or `undefined` when there is no file.
 * @throws {AuthError} `BAD_TOKEN_FILE` when it is not a token JSON object.
 *
 * @example
 * ```ts
 * import { freva } from "@latchkey/latchkey/presets";
 * const dir = await Deno.makeTempDir();
 * console.assert((await freva.loadToken(`${dir}/none.json`)) === undefined);
 * ```
 */
export async function loadToken(tokenFile?: string): Promise<Token | undefined> {
  const path = tokenFile !== undefined ? expandHome(tokenFile) : defaultTokenFile();
  return (await readToken(path)) as Token | undefined;
}

/**
 * Authenticates to a freva server and returns the OAuth token JSON, as
 * freva-client's `authenticate` does: the access token while it is valid
 * beyond 60 s (unless `force`); else a refresh while the refresh token is
 * valid; else an interactive login where a person is present; else a
 * {@linkcode LoginRequiredError}. A new token is written (0600) to the given
 * token file and to freva's default file.
 *
 * This is also what `latchkey login --preset freva` runs; it prints the
 * returned JSON on stdout.
 *
 * @param options Token file, host, force, timeout.
 * @returns The token JSON.
 * @throws {LoginRequiredError} "Login failed or no valid token found in this environment"
 * when nothing works without a person and no person is present.
 * @throws {AuthError} `CONFIG_INVALID` without a host (checked first, as the Python client
 * does), `INSECURE_URL`, `BAD_TOKEN_FILE`, `TIMEOUT`.
 *
 * @example Interactive login, waiting up to two minutes
 * ```ts ignore
 * import { freva } from "@latchkey/latchkey/presets";
 * const token = await freva.authenticate({ host: "www.freva.dkrz.de", timeout: 120 });
 * ```
 */
export async function authenticate(options: AuthenticateOptions = {}): Promise<Token> {
  const fetcher = options.fetch ?? globalThis.fetch;
  const host = await resolveHost(options);
  const defaultFile = defaultTokenFile();
  const file = options.tokenFile !== undefined ? expandHome(options.tokenFile) : defaultFile;
  const current = await readToken(file);
  const now = Date.now() / 1000;
  const expires = num(current?.expires) ?? num(current?.expires_at);
  if (
    !options.force && str(current?.access_token) && expires !== undefined &&
    expires - EXPIRY_BUFFER > now
  ) {
    return current as Token;
  }
  const interactive = options.interactive ?? isInteractive();
  const refreshToken = str(current?.refresh_token);
  const refreshExpires = num(current?.refresh_expires);
  const refreshable = refreshToken !== undefined &&
    (refreshExpires === undefined || refreshExpires > now);

  let next: Token | undefined;
  let failure: unknown;
  if (refreshable && !(options.force && interactive)) {
    try {
      next = await refresh(host, refreshToken, fetcher);
      if (!str(next.refresh_token)) {
        next = { ...next, refresh_token: refreshToken, refresh_expires: refreshExpires! };
      }
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      failure = error;
      logger().debug(`freva refresh failed: ${error.message}`);
    }
  }
  if (!next) {
    if (!interactive) {
      const source = current ? `"${file}" holds no usable token` : `no token in "${file}"`;
      throw new LoginRequiredError(
        "Login failed or no valid token found in this environment",
        {
          cause: failure,
          hint: `${source}; in a batch job pass a token file with a valid refresh token`,
        },
      );
    }
    next = await deviceLogin(host, options, fetcher);
  }
  const keep = current ? { ...current } : {};
  const written: Token = { ...keep, ...next } as Token;
  await writeJsonObject(file, written);
  if (file !== defaultFile) await writeJsonObject(defaultFile, written);
  return written;
}
