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
 * console.assert((await auth.token()) === jwt);
 * console.assert((await auth.namespace()).length === 40);
 * ```
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { Auth as GenericAuth, type AuthStatus } from "../auth.ts";
import { Credential } from "../credential.ts";
import { envGet } from "../env.ts";
import { AuthError, LoginRequiredError, OAuthError } from "../errors.ts";
import { decodeJwt, type JwtPayload } from "../jwt.ts";
import { logger } from "../log.ts";
import { expandHome, homeDir } from "../paths.ts";
import type { Renewer } from "../session.ts";
import { stringField } from "../util/json_fields.ts";
import { LazyPromise } from "../util/lazy_promise.ts";
import {
  type CacheSettings,
  oneSecret,
  sha1Hex,
  TokenCache,
  usableJwt,
} from "./descarteslabs_cache.ts";
import { requestToken, type RetryPolicy } from "./descarteslabs_token.ts";
import { readJsonObject, writeJsonObject } from "./files.ts";
import { serviceBase } from "./url.ts";

export type { AuthStatus } from "../auth.ts";
export type { RetryPolicy } from "./descarteslabs_token.ts";

/** The default `domain`. */
export const DEFAULT_DOMAIN = "https://accounts.descarteslabs.com";
/** The default `leeway`, in seconds. */
export const DEFAULT_LEEWAY = 500;
/** Where the documentation explains the ways to authenticate. */
export const AUTHENTICATION_DOCS = "https://docs.descarteslabs.com/authentication.html";

/** Options of {@linkcode Auth}, as Descartes Labs' `Auth(...)` takes them. */
export interface AuthOptions {
  /**
   * The accounts server. A bare host name means `https:`; `http:` only on loopback.
   *
   * @default {"https://accounts.descarteslabs.com"}
   */
  domain?: string | undefined;
  /** The JWT fields to ask for (sent space-separated as `scope`). */
  scope?: string | readonly string[] | undefined;
  /**
   * Seconds before expiry at which the access token is renewed.
   *
   * @default {500}
   */
  leeway?: number | undefined;
  /**
   * The token_info JSON file; `null` never reads (or writes) one. When not
   * given, `DESCARTESLABS_TOKEN_INFO_PATH` or `~/.descarteslabs/token_info.json`
   * is read, but only when no client id and secret (and no access token) come
   * from the options or the environment. Given together with a client id and
   * secret, those are written to it.
   *
   * @default {"~/.descarteslabs/token_info.json"}
   */
  tokenInfoPath?: string | null | undefined;
  /** The client id (beats `DESCARTESLABS_CLIENT_ID`, which beats the file). */
  clientId?: string | undefined;
  /** The client secret, which is the refresh token (beats `DESCARTESLABS_CLIENT_SECRET`). */
  clientSecret?: string | undefined;
  /** A short-lived access token (beats `DESCARTESLABS_TOKEN`); used until it expires. */
  jwtToken?: string | undefined;
  /** Identical to `clientSecret`; when both are given and differ, this one wins (with a warning). */
  refreshToken?: string | undefined;
  /**
   * Retries of the refresh request: a number, or a policy.
   *
   * @default {5 retries, random backoff between 1 and 10 s}
   */
  retries?: number | RetryPolicy | undefined;
  /**
   * The underlying fetch.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch | undefined;
}

/** The claims of a Descartes Labs access token. */
export interface TokenPayload extends JwtPayload {
  /** The name of the user. */
  name?: string;
  /** Groups to which the user belongs. */
  groups?: string[];
  /** The organization to which the user belongs. */
  org?: string;
  /** The email address of the user. */
  email?: string;
  /** Whether the user's email has been verified. */
  email_verified?: boolean;
}

interface Settled extends CacheSettings {
  generic: GenericAuth;
}

let defaultAuth: Auth | undefined;

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
   * console.assert(descarteslabs.Auth.getDefaultAuth() === auth);
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
    const env = (name: string) => stringField(envGet(`DESCARTESLABS_${name}`));
    const paramSecret = oneSecret(stringField(o.clientSecret), stringField(o.refreshToken), [
      "clientSecret",
      "refreshToken",
    ]);
    const envSecret = oneSecret(env("CLIENT_SECRET"), env("REFRESH_TOKEN"), [
      "DESCARTESLABS_CLIENT_SECRET",
      "DESCARTESLABS_REFRESH_TOKEN",
    ]);
    let clientId = stringField(o.clientId) ?? env("CLIENT_ID");
    let secret = paramSecret ?? envSecret;
    const givenJwt = stringField(o.jwtToken) ?? env("TOKEN");
    const complete = clientId !== undefined && secret !== undefined;

    let path: string | undefined;
    if (typeof o.tokenInfoPath === "string") path = expandHome(o.tokenInfoPath);
    else if (o.tokenInfoPath === undefined && !complete && givenJwt === undefined) {
      path = expandHome(env("TOKEN_INFO_PATH") ?? defaultTokenInfoPath());
    }

    let fileJwt: string | undefined;
    let tokenInfoPath: string | undefined;
    if (path !== undefined && complete) {
      // Given credentials go to the given file: reused when it matches, overwritten otherwise.
      const data = await readJsonObject(path).catch(() => undefined);
      const fileSecret = data
        ? stringField(data.refresh_token) ?? stringField(data.client_secret)
        : undefined;
      if (data?.client_id === clientId && fileSecret === secret) {
        fileJwt = stringField(data?.jwt_token) ?? stringField(data?.JWT_TOKEN);
      } else {
        await writeJsonObject(path, {
          client_id: clientId,
          client_secret: secret,
          refresh_token: secret,
          ...(usableJwt(givenJwt, clientId) ? { jwt_token: givenJwt } : {}),
        });
      }
      tokenInfoPath = path;
    } else if (path !== undefined) {
      let data: Record<string, unknown> | undefined;
      try {
        data = await readJsonObject(path);
        if (!data) throw new Deno.errors.NotFound("no such file");
      } catch (error) {
        const reason = error instanceof Deno.errors.NotFound
          ? "no such file"
          : error instanceof Error
          ? error.message
          : String(error);
        logger().warn(`unable to read token_info from "${path}": ${reason}`);
      }
      if (data) {
        const fileId = stringField(data.client_id);
        const fileSecret = oneSecret(
          stringField(data.client_secret),
          stringField(data.refresh_token),
          [
            `"client_secret" in "${path}"`,
            `"refresh_token"`,
          ],
        );
        if (clientId === undefined || fileId === undefined || fileId === clientId) {
          clientId ??= fileId;
          secret ??= fileSecret;
          fileJwt = stringField(data.jwt_token) ?? stringField(data.JWT_TOKEN);
          tokenInfoPath = path;
        } else {
          logger().debug(`ignored "${path}": it holds another client id than "${clientId}"`);
        }
      }
    }

    const cachePath = tokenInfoPath === undefined && clientId !== undefined && secret !== undefined
      ? join(homeDir(), ".descarteslabs", `jwt_token_${await sha1Hex(secret)}.json`)
      : undefined;
    const noCache = /^(true|1|yes)$/i.test(env("NO_JWT_CACHE") ?? "");
    const jwt = usableJwt(givenJwt, clientId) ?? usableJwt(fileJwt, clientId);
    if (jwt === undefined && secret === undefined) {
      logger().warn(`no valid authentication info found: see ${AUTHENTICATION_DOCS}`);
    }

    const base = { clientId, secret, tokenInfoPath, cachePath, readCache: !noCache, jwt };
    const generic = new GenericAuth({
      profile: "descarteslabs",
      store: new TokenCache(base),
      renewer: this.#renewer(clientId, secret),
      leeway: this.leeway,
      envPrefix: [],
      dotenv: false,
      apiOrigins: [],
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    return { ...base, generic };
  }

  #renewer(clientId: string | undefined, secret: string | undefined): Renewer {
    return {
      canRenew: () => clientId !== undefined && secret !== undefined,
      renew: async (_credential, signal) => {
        const token = await requestToken({
          domain: this.domain,
          clientId: clientId!,
          secret: secret!,
          scope: this.scope,
          retries: this.#options.retries,
          fetch: this.#options.fetch,
          signal,
        });
        return new Credential({ accessToken: token, refreshToken: secret, clientId });
      },
    };
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
