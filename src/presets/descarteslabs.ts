/**
 * Descartes Labs' `Auth`, on Latchkey: the same options, variables
 * (`DESCARTESLABS_*` only), files (`~/.descarteslabs/token_info.json`, the
 * per-client access token cache `~/.descarteslabs/jwt_token_<sha1>.json`) and
 * refresh protocol (a JSON `POST {domain}/token`), so a
 * `descarteslabs auth login` keeps working.
 *
 * @example
 * ```ts
 * import { descarteslabs } from "@latchkey/latchkey/presets";
 * const enc = (o: object) =>
 *   new TextEncoder().encode(JSON.stringify(o)).toBase64({ alphabet: "base64url", omitPadding: true });
 * const jwt = `${enc({ alg: "none" })}.${enc({ sub: "google-oauth2|123", exp: 4102444800 })}.`;
 * const auth = new descarteslabs.Auth({ jwtToken: jwt, tokenInfoPath: null });
 * if (!((await auth.token()) === jwt)) throw new Error("Expected (await auth.token()) === jwt");
 * if (!((await auth.namespace()).length === 40)) {
 *   throw new Error("Expected (await auth.namespace()).length === 40");
 * }
 * ```
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { Auth as GenericAuth } from "../auth.ts";
import type { AuthStatus } from "../auth/options.ts";
import { envGet } from "../env.ts";
import { AuthError, LoginRequiredError, OAuthError } from "../errors.ts";
import { decodeJwt } from "../jwt.ts";
import { logger } from "../log.ts";
import { expandHome, homeDir } from "../paths.ts";
import { LazyPromise } from "../util/lazy_promise.ts";
import { sha1Hex, TokenCache } from "./descarteslabs_cache.ts";
import {
  AUTHENTICATION_DOCS,
  type CacheSettings,
  type FileRead,
  fileSettings,
  givenSettings,
  type Note,
  tokenSettings,
} from "./descarteslabs_settings.ts";
import { tokenRenewer } from "./descarteslabs_token.ts";
import type { AuthOptions, TokenPayload } from "./descarteslabs_options.ts";
import { readJsonObject, writeJsonObject } from "./files.ts";
import { serviceBase } from "./url.ts";

export type { AuthStatus } from "../auth/options.ts";
export type { RetryPolicy } from "./descarteslabs_token.ts";
export type { AuthOptions, TokenPayload } from "./descarteslabs_options.ts";
export { AUTHENTICATION_DOCS } from "./descarteslabs_settings.ts";

/** The default `domain`. */
export const DEFAULT_DOMAIN = "https://accounts.descarteslabs.com";
/** The default `leeway`, in seconds. */
export const DEFAULT_LEEWAY = 500;

interface Settled extends CacheSettings {
  generic: GenericAuth;
}

let defaultAuth: Auth | undefined;

function logNotes(notes: readonly Note[]): void {
  for (const note of notes) logger()[note.level](note.message);
}

/**
 * Descartes Labs' `Auth`: a short-lived JWT access token from a client id
 * and a refresh token (the client secret), kept valid and cached across
 * instances without revealing the secret.
 *
 * Credentials come from the options, then `DESCARTESLABS_CLIENT_ID`,
 * `DESCARTESLABS_CLIENT_SECRET` (≡ `DESCARTESLABS_REFRESH_TOKEN`) and
 * `DESCARTESLABS_TOKEN`, then the token_info file. Warnings (through
 * Latchkey's logger) where the Python client warns: a client secret and a
 * refresh token that differ, a token_info file that cannot be read, no
 * credentials at all.
 *
 * @example Refresh from a client id and secret
 * ```ts ignore
 * import { descarteslabs } from "@latchkey/latchkey/presets";
 * const auth = new descarteslabs.Auth({ clientId: "ZOBAi4UROl5gKZIpxxlwOEfx8KpqXf2c", clientSecret: "…" });
 * console.log(await auth.namespace()); // 'a54d88e06612d820bc3be72877c74f257b561b19'
 * ```
 */
export class Auth {
  #options: AuthOptions;
  #settled = new LazyPromise(() => this.#resolve());

  /** The accounts server, without a trailing slash. */
  readonly domain: string;
  /** The JWT fields asked for, if any. */
  readonly scope: readonly string[] | undefined;
  /** Seconds before expiry at which the token is renewed. */
  readonly leeway: number;

  /**
   * Nothing is read until the first call; warnings appear then.
   *
   * @param options Domain, credentials, file and retry policy.
   * @throws {AuthError} `INSECURE_URL` or `CONFIG_INVALID` for a bad `domain`.
   */
  constructor(options: AuthOptions = {}) {
    this.#options = { ...options };
    this.domain = serviceBase(options.domain ?? DEFAULT_DOMAIN, "domain");
    this.scope = typeof options.scope === "string"
      ? options.scope.split(/\s+/).filter(Boolean)
      : options.scope;
    this.leeway = options.leeway ?? DEFAULT_LEEWAY;
  }

  /**
   * Same as `new Auth(options)`: credentials from the options, the environment
   * or the token_info file.
   *
   * @param options As for the constructor.
   * @returns A new instance.
   */
  static fromEnvironmentOrTokenJson(options: AuthOptions = {}): Auth {
    return new Auth(options);
  }

  /**
   * The instance clients use when none is given, made on first use.
   *
   * @returns The default instance.
   *
   * @example
   * ```ts
   * import { descarteslabs } from "@latchkey/latchkey/presets";
   * const auth = new descarteslabs.Auth({ tokenInfoPath: null });
   * descarteslabs.Auth.setDefaultAuth(auth);
   * if (!(descarteslabs.Auth.getDefaultAuth() === auth)) {
   *   throw new Error("Expected descarteslabs.Auth.getDefaultAuth() === auth");
   * }
   * descarteslabs.Auth.setDefaultAuth(undefined);
   * ```
   */
  static getDefaultAuth(): Auth {
    return defaultAuth ??= new Auth();
  }

  /**
   * Replaces the instance clients use when none is given.
   *
   * @param auth The new default; `undefined` makes a fresh one on next use.
   */
  static setDefaultAuth(auth: Auth | undefined): void {
    defaultAuth = auth;
  }

  #settle(): Promise<Settled> {
    return this.#settled.get();
  }

  async #resolve(): Promise<Settled> {
    const o = this.#options;
    const env = (name: string) => envGet(`DESCARTESLABS_${name}`);
    const given = givenSettings(o, env, defaultTokenInfoPath());
    logNotes(given.notes);
    const path = given.path === undefined ? undefined : expandHome(given.path);
    let read: FileRead = { data: undefined };
    if (path !== undefined) {
      try {
        read = { data: await readJsonObject(path) };
      } catch (error) {
        read = { error };
      }
    }
    const file = fileSettings(given, path, read);
    logNotes(file.notes);
    if (file.rewrite) await writeJsonObject(path!, file.rewrite);
    const token = tokenSettings(given, file, env);
    logNotes(token.notes);
    const { clientId, secret, tokenInfoPath } = token.settings;
    const cachePath = tokenInfoPath === undefined && clientId !== undefined && secret !== undefined
      ? join(homeDir(), ".descarteslabs", `jwt_token_${await sha1Hex(secret)}.json`)
      : undefined;

    const base: CacheSettings = { ...token.settings, cachePath };
    const generic = new GenericAuth({
      profile: "descarteslabs",
      store: new TokenCache(base),
      renewer: tokenRenewer({
        domain: this.domain,
        clientId,
        secret,
        scope: this.scope,
        retries: o.retries,
        fetch: o.fetch,
      }),
      leeway: this.leeway,
      envPrefix: [],
      dotenv: false,
      apiOrigins: [],
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    return { ...base, generic };
  }

  /**
   * The short-lived JWT access token, renewed first when its expiry falls
   * within the leeway. A token without an expiry counts as expired. When a
   * renewal fails, the current token is used until it really expires.
   *
   * @returns The token.
   * @throws {LoginRequiredError} When no credentials were found at all.
   * @throws {AuthError} `CONFIG_INVALID` when the credentials are incomplete (a client id
   * without a secret, or a secret without a client id).
   * @throws {TokenExpiredError} When the access token expired and there is no secret.
   * @throws {OAuthError} When the server refused to issue a token.
   */
  async token(): Promise<string> {
    const s = await this.#settle();
    const current = await s.generic.credential();
    if (!current?.accessToken && s.secret === undefined) {
      if (s.clientId !== undefined) {
        throw new AuthError(
          "CONFIG_INVALID",
          `Cannot get a token: client id "${s.clientId}" comes without a client secret or refresh token`,
          { hint: "set DESCARTESLABS_CLIENT_SECRET or pass clientSecret" },
        );
      }
      throw new LoginRequiredError("No valid authentication info found", {
        hint: `run \`descarteslabs auth login\`, or see ${AUTHENTICATION_DOCS}`,
      });
    }
    if (s.secret !== undefined && s.clientId === undefined && !current?.accessToken) {
      throw new AuthError(
        "CONFIG_INVALID",
        "Cannot get a token: a client secret was given without a client id",
        { hint: "set DESCARTESLABS_CLIENT_ID or pass clientId" },
      );
    }
    try {
      return await s.generic.token();
    } catch (error) {
      if (error instanceof LoginRequiredError && error.cause instanceof OAuthError) {
        throw error.cause; // the server refused the refresh token: an OAuthError, as in Python
      }
      throw error;
    }
  }

  /**
   * The claims of the access token (unverified: the services verify it).
   *
   * @returns `name`, `groups`, `org`, `email`, `email_verified`, `sub`, `exp`… as the scope
   * allows.
   * @throws {AuthError} As {@linkcode Auth.prototype.token}, and `BAD_RESPONSE` when the token
   * is not a JWT.
   */
  async payload(): Promise<TokenPayload> {
    const decoded = decodeJwt(await this.token());
    if (!decoded) throw new AuthError("BAD_RESPONSE", "Cannot read the token: it is not a JWT");
    return decoded.payload as TokenPayload;
  }

  /**
   * The user namespace (the Descartes Labs user id): the SHA-1 of the token's
   * `sub`, in hex.
   *
   * @returns 40 hex digits.
   * @throws {AuthError} As {@linkcode Auth.prototype.payload}, and `BAD_RESPONSE` without `sub`.
   */
  async namespace(): Promise<string> {
    const sub = (await this.payload()).sub;
    if (!sub) throw new AuthError("BAD_RESPONSE", 'Cannot derive the namespace: no "sub" claim');
    return await sha1Hex(sub);
  }

  /**
   * Who is logged in, where the credential rests and when it expires, from
   * local state only (no request): what `latchkey status --preset descarteslabs`
   * shows. It never holds a secret.
   *
   * @returns The status (`source` is `file` when a token_info or cache file is in use).
   */
  async status(): Promise<AuthStatus> {
    return await (await this.#settle()).generic.status();
  }

  /**
   * The client id in use, after the options, environment and file were read.
   *
   * @returns The client id, if any.
   */
  async clientId(): Promise<string | undefined> {
    return (await this.#settle()).clientId;
  }

  /**
   * The token_info file in use (read, or written with the given credentials).
   *
   * @returns Its path, if a file is in use.
   */
  async tokenInfoPath(): Promise<string | undefined> {
    return (await this.#settle()).tokenInfoPath;
  }

  /**
   * A summary for logs: domain, scope and leeway, never a secret.
   *
   * @returns The summary.
   */
  toJSON(): Record<string, unknown> {
    return { domain: this.domain, scope: this.scope ?? null, leeway: this.leeway };
  }

  /**
   * How `Deno.inspect` and `console.log` show the instance: without secrets.
   *
   * @returns `descarteslabs.Auth { … }`.
   */
  [Symbol.for("Deno.customInspect")](): string {
    return `descarteslabs.Auth ${JSON.stringify(this.toJSON())}`;
  }
}

/**
 * The default token_info file: `~/.descarteslabs/token_info.json` (the
 * environment variable `DESCARTESLABS_TOKEN_INFO_PATH` is read by `Auth`).
 *
 * @returns The absolute path.
 */
export function defaultTokenInfoPath(): string {
  return join(homeDir(), ".descarteslabs", "token_info.json");
}
