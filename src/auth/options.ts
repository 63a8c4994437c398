/**
 * The types of `Auth`'s calls: its options, what a login, `token()`,
 * `status()` and `logout()` take and give, and where a credential comes from.
 * Types only: the resolver and every part of `Auth` import them from here.
 *
 * @module
 */

import type { PromptHandler } from "../prompt.ts";
import type { Secret } from "../secret.ts";
import type { Renewer } from "../session.ts";
import type { StoreKind, StoreName } from "../store/names.ts";
import type { CredentialStore } from "../store/types.ts";

/**
 * Where a credential (or a setting) came from, as `status().source` reports
 * it: an option, the environment or `.env` (secret material given directly),
 * the kind of store that holds it, or nothing.
 */
export type CredentialSource = "option" | "env" | "dotenv" | StoreKind | "none";

/** Options of `Auth`. Every field is optional; see the README for precedence. */
export interface AuthOptions {
  /** The profile name. @default {"default"} (or `LATCHKEY_PROFILE`) */
  profile?: string | undefined;
  /** The OpenID issuer URL. */
  issuer?: string | undefined;
  /** The OAuth client id. */
  clientId?: string | undefined;
  /** A client secret (client credentials grant; or a confidential client's refresh). */
  clientSecret?: string | Secret | undefined;
  /**
   * The private key a confidential client authenticates with instead of a
   * secret (`private_key_jwt`, RFC 7523): a PKCS#8 PEM or JWK file's path (or
   * `LATCHKEY_CLIENT_KEY`), or a private `CryptoKey`. A file others can read
   * is refused. A login keeps the path, never the key.
   */
  clientKey?: string | CryptoKey | undefined;
  /** The `kid` of the client key's assertions (or `LATCHKEY_CLIENT_KEY_ID`). */
  clientKeyId?: string | undefined;
  /**
   * DPoP (RFC 9449): a login makes an ES256 key pair, kept with the
   * credential in the profile's store; token requests and `fetch` to the API
   * origins prove it, so a copied token is useless elsewhere. `true` takes a
   * bearer token from a provider that does not bind one (with one warning);
   * `"required"` refuses it. Remembered by the profile (`latchkey login --dpop`).
   */
  dpop?: boolean | "required" | undefined;
  /** A refresh token to start from (batch jobs). */
  refreshToken?: string | Secret | undefined;
  /** An access token to use as is. */
  token?: string | Secret | undefined;
  /** The scope to ask for. */
  scope?: string | undefined;
  /** The audience to ask for. */
  audience?: string | undefined;
  /** The only origins that receive the token. */
  apiOrigins?: readonly string[] | undefined;
  /** A token file in any of the three formats. */
  tokenFile?: string | undefined;
  /** The key holding the token in a secret JSON token file. @default {"token"} */
  tokenKey?: string | undefined;
  /** Where the profile's credential rests: a store name or your own store. @default {"auto"} */
  store?: StoreName | CredentialStore | undefined;
  /** The Redis URL of the `redis` store (or `LATCHKEY_REDIS_URL`). */
  redisUrl?: string | undefined;
  /** The database path or KV Connect URL of the `kv` store (or `LATCHKEY_KV_PATH`). */
  kvPath?: string | undefined;
  /** Environment variable prefixes. @default {"LATCHKEY_"} */
  envPrefix?: string | readonly string[] | undefined;
  /** The `.env` file to read, or `false` for none. @default {".env"} (in the current folder) */
  dotenv?: string | false | undefined;
  /** Seconds before expiry at which a token is renewed. @default {min(300, half the lifetime)} */
  leeway?: number | undefined;
  /** Retries of idempotent requests and provider calls. @default {3} for API requests, 5 for the provider */
  retries?: number | undefined;
  /** Seconds within which retries may start. @default {30} */
  timeout?: number | undefined;
  /** A `User-Agent` for API requests. */
  userAgent?: string | undefined;
  /** The underlying fetch. @default {globalThis.fetch} */
  fetch?: typeof fetch | undefined;
  /** Start an interactive login from `token()`/`fetch()` when nothing else works. @default {false} */
  interactive?: boolean | undefined;
  /** How device codes and login URLs are shown. @default {defaultPrompt} */
  onPrompt?: PromptHandler | undefined;
  /** How the credential is renewed, for services with their own protocol (presets). */
  renewer?: Renewer | undefined;
}

/** Options of `Auth.prototype.token`. */
export interface TokenOptions {
  /** Seconds the token must still be valid for (a shorter-lived one is renewed first). */
  minTtl?: number;
  /** Stops the wait (and a login it started). */
  signal?: AbortSignal;
}

/** The login flows. */
export type LoginFlow = "device" | "browser" | "client_credentials" | "password";

/** Options of `Auth.prototype.login`. */
export interface LoginOptions {
  /** The flow. @default {"client_credentials" with a client secret, else "device"} */
  flow?: LoginFlow | undefined;
  /** Seconds to wait for the person; 0 = no limit. @default {30} */
  timeout?: number | undefined;
  /** Log in even when a valid credential exists. @default {false} */
  force?: boolean | undefined;
  /** Stops the login. */
  signal?: AbortSignal | undefined;
  /** Open a browser through the platform opener. @default {true} */
  openBrowser?: boolean | undefined;
  /** The user name, for the deprecated password flow. */
  username?: string | undefined;
  /** The password, for the deprecated password flow (never logged). */
  password?: string | Secret | undefined;
}

/** What `status()` reports. It never holds a secret. */
export interface AuthStatus {
  /** The profile name. */
  profile: string;
  /** The issuer, if known. */
  issuer: string | null;
  /** The client id, if known. */
  clientId: string | null;
  /** Where the credential came from. */
  source: CredentialSource;
  /** The file holding it, when a file. */
  path: string | null;
  /** Whether a usable credential exists (an expired but refreshable one counts). */
  loggedIn: boolean;
  /** Expiry of the access token (ISO 8601). */
  expiresAt: string | null;
  /** Seconds until the access token expires. */
  expiresIn: number | null;
  /** The granted scope. */
  scope: string | null;
  /** Whom the token stands for. */
  subject: string | null;
  /** Whether it can be renewed without a person. */
  refreshable: boolean;
  /** Whether the token is bound to a DPoP key (RFC 9449) that rests with it. */
  dpop: boolean;
  /** The API origins that receive the token. */
  apiOrigins: string[];
}

/** What `logout()` did. */
export interface LogoutResult {
  /** Whether the provider revoked the tokens. */
  revoked: boolean;
  /** Whether a local credential was deleted. */
  deleted: boolean;
  /** Why revocation did not happen, if it did not. */
  warning: string | undefined;
}
