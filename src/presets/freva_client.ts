/**
 * freva-client's `authenticate` strategy: use the access token while it is
 * valid beyond 60 s, else refresh, else log in interactively where a person
 * is present, else fail; and how it tells a person from a batch job.
 *
 * @module
 */

import { readConfig } from "../config.ts";
import { envGet } from "../env.ts";
import { AuthError, LoginRequiredError, OAuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { expandHome } from "../paths.ts";
import type { PromptHandler } from "../prompt.ts";
import { BATCH_JOB_VARIABLES } from "../util/batch_job.ts";
import { numberField, stringField } from "../util/json_fields.ts";
import { writeJsonObject } from "./files.ts";
import { deviceLogin, refresh } from "./freva_protocol.ts";
import { defaultTokenFile, readTokenFile, type Token } from "./freva_token_file.ts";
import { serviceBase } from "./url.ts";

/** Seconds an access token must still be valid for to be used as is. */
export const EXPIRY_BUFFER = 60;

/** Variables that mark a batch job (no person to log in). */
export const BATCH_VARIABLES: readonly string[] = BATCH_JOB_VARIABLES;

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
 * if (typeof freva.isInteractive() !== "boolean") throw new Error("a yes or a no");
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

async function resolveHost(options: AuthenticateOptions): Promise<string> {
  const text = options.host ?? (await readConfig()).profiles[options.profile ?? "freva"]?.host;
  if (!text) {
    throw new AuthError("CONFIG_INVALID", "Cannot authenticate: no freva host is configured", {
      hint: "pass host (or --host), or save it in the profile",
    });
  }
  return serviceBase(text, "freva host");
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
  const current = await readTokenFile(file);
  const now = Date.now() / 1000;
  const expires = numberField(current?.expires) ?? numberField(current?.expires_at);
  if (
    !options.force && stringField(current?.access_token) && expires !== undefined &&
    expires - EXPIRY_BUFFER > now
  ) {
    return current as Token;
  }
  const interactive = options.interactive ?? isInteractive();
  const refreshToken = stringField(current?.refresh_token);
  const refreshExpires = numberField(current?.refresh_expires);
  const refreshable = refreshToken !== undefined &&
    (refreshExpires === undefined || refreshExpires > now);

  let next: Token | undefined;
  let failure: unknown;
  if (refreshable && !(options.force && interactive)) {
    try {
      next = await refresh(host, refreshToken, fetcher);
      if (!stringField(next.refresh_token)) {
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
