/**
 * The anaconda preset's settings (`ANACONDA_CLOUD_` variables, `.env`, the
 * defaults) and its keyring item: service `Anaconda Cloud`, user = the auth
 * domain, value = base64 of `{"api_key", "username", "domain"}`.
 *
 * @module
 */

import { envGet } from "../env.ts";
import { AuthError } from "../errors.ts";
import { decodeJwt } from "../jwt.ts";
import { jsonObjectOf } from "../util/json_object.ts";
import { AutoKeyring, FileKeyring, type Keyring, SystemKeyring } from "./anaconda_keyring.ts";
import { pythonJson } from "./files.ts";
import { serviceBase } from "./url.ts";

/** The default API domain (`ANACONDA_CLOUD_API_DOMAIN`). */
export const DEFAULT_API_DOMAIN = "anaconda.cloud";
/** The default auth domain (`ANACONDA_CLOUD_AUTH_DOMAIN`). */
export const DEFAULT_AUTH_DOMAIN = "id.anaconda.cloud";
/** The default OAuth client id (`ANACONDA_CLOUD_AUTH_CLIENT_ID`). */
export const DEFAULT_CLIENT_ID = "b4ad7f1d-c784-46b5-a9fe-106e50441f5a";
/** The keyring service that holds the API key. */
export const KEYRING_NAME = "Anaconda Cloud";
/** The browser login's redirect URI, as registered for the default client. */
export const DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/auth/oidc";
/** The scope of the browser login. */
export const LOGIN_SCOPE = "openid email profile offline_access";
/** The scopes of a minted API key. */
export const API_KEY_SCOPES: readonly string[] = ["cloud:read", "cloud:write"];

/** Where the API key is kept: `auto` (OS keychain, else the file), `system`, `file`, or your own. */
export type KeyringChoice = "auto" | "system" | "file" | Keyring;

/** Settings overrides; anything not given comes from the environment, `.env`, or the defaults. */
export interface ConfigOptions {
  /**
   * The auth domain (the keyring user). A bare host name means `https:`;
   * `http:` only on loopback.
   *
   * @default {"id.anaconda.cloud" (or ANACONDA_CLOUD_AUTH_DOMAIN)}
   */
  domain?: string | undefined;
  /**
   * The API domain.
   *
   * @default {"anaconda.cloud" (or ANACONDA_CLOUD_API_DOMAIN)}
   */
  apiDomain?: string | undefined;
  /**
   * The OAuth client id.
   *
   * @default {"b4ad7f1d-c784-46b5-a9fe-106e50441f5a" (or ANACONDA_CLOUD_AUTH_CLIENT_ID)}
   */
  clientId?: string | undefined;
  /**
   * The `.env` file to read, or `false` for none.
   *
   * @default {".env" (in the current folder)}
   */
  dotenv?: string | false | undefined;
}

/** The settled configuration. */
export interface Config {
  /** The auth domain as the keyring user: host and port. */
  authDomain: string;
  /** The auth server's base URL. */
  authUrl: string;
  /** The API domain: host and port. */
  apiDomain: string;
  /** The API's base URL. */
  apiUrl: string;
  /** The OAuth client id. */
  clientId: string;
}

/**
 * Settles the configuration: options, then `ANACONDA_CLOUD_API_DOMAIN`,
 * `ANACONDA_CLOUD_AUTH_DOMAIN` and `ANACONDA_CLOUD_AUTH_CLIENT_ID` from the
 * environment, then from `.env` in the current folder, then the defaults.
 *
 * @param options Overrides.
 * @returns The configuration.
 * @throws {AuthError} `INSECURE_URL` or `CONFIG_INVALID` for a bad domain.
 *
 * @example
 * ```ts
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const config = await anaconda.loadConfig({ dotenv: false, domain: "id.example.org" });
 * if (!(config.authUrl === "https://id.example.org" && config.authDomain === "id.example.org")) {
 *   throw new Error("Expected config.authUrl === \"https://id.example.org\" && config.authDom…");
 * }
 * ```
 */
export async function loadConfig(options: ConfigOptions = {}): Promise<Config> {
  let fromFile: Record<string, string> = {};
  if (options.dotenv !== false) {
    try {
      const text = await Deno.readTextFile(options.dotenv ?? ".env");
      const { default: dotenv } = await import("dotenv");
      fromFile = dotenv.parse(text);
    } catch (error) {
      if (
        !(error instanceof Deno.errors.NotFound) && !(error instanceof Deno.errors.IsADirectory)
      ) throw error;
    }
  }
  const pick = (option: string | undefined, name: string, fallback: string) =>
    option || envGet(`ANACONDA_CLOUD_${name}`) || fromFile[`ANACONDA_CLOUD_${name}`] ||
    fallback;
  const authUrl = serviceBase(pick(options.domain, "AUTH_DOMAIN", DEFAULT_AUTH_DOMAIN), "domain");
  const apiUrl = serviceBase(pick(options.apiDomain, "API_DOMAIN", DEFAULT_API_DOMAIN), "domain");
  return {
    authDomain: new URL(authUrl).host,
    authUrl,
    apiDomain: new URL(apiUrl).host,
    apiUrl,
    clientId: pick(options.clientId, "AUTH_CLIENT_ID", DEFAULT_CLIENT_ID),
  };
}

/** Opens the keyring a choice names. */
export function openKeyring(choice: KeyringChoice | undefined): Keyring {
  if (typeof choice === "object") return choice;
  if (choice === "file") return new FileKeyring();
  if (choice === "system") return new SystemKeyring();
  return new AutoKeyring();
}

/** The API key kept for an auth domain. */
export interface TokenInfo {
  /** The auth domain it belongs to. */
  domain: string;
  /** The user it was minted for, when known. */
  username: string | null;
  /** The API key. */
  apiKey: string;
  /** Its expiry (seconds since the epoch), when it is a JWT with `exp`. */
  expiresAt: number | undefined;
  /** Whether it has expired. */
  expired: boolean;
}

/** Options of {@linkcode loadTokenInfo} and {@linkcode logout}. */
export interface KeyOptions extends ConfigOptions {
  /**
   * Where the key is kept.
   *
   * @default {"auto"}
   */
  keyring?: KeyringChoice | undefined;
}

/** The keyring value of an API key, as anaconda-cloud-auth encodes it. */
export function encodeTokenInfo(info: { apiKey: string; username: string | null; domain: string }) {
  const json = pythonJson({ api_key: info.apiKey, username: info.username, domain: info.domain });
  return new TextEncoder().encode(json).toBase64();
}

/** Reads and decodes the keyring value of an auth domain. */
export async function readTokenInfo(
  keyring: Keyring,
  domain: string,
): Promise<TokenInfo | undefined> {
  const value = await keyring.get(KEYRING_NAME, domain);
  if (value === undefined) return undefined;
  let json: Record<string, unknown> | undefined;
  try {
    json = jsonObjectOf(new TextDecoder().decode(Uint8Array.fromBase64(value.trim())));
  } catch {
    // not base64: reported below
  }
  if (!json || (json.api_key !== null && typeof json.api_key !== "string")) {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot read the "${KEYRING_NAME}" item of "${domain}" in ${keyring.name}: not base64 of token JSON`,
      { hint: "remove it with `anaconda logout` and log in again" },
    );
  }
  if (typeof json.api_key !== "string" || json.api_key === "") return undefined;
  const exp = decodeJwt(json.api_key)?.payload.exp;
  return {
    domain: typeof json.domain === "string" ? json.domain : domain,
    username: typeof json.username === "string" ? json.username : null,
    apiKey: json.api_key,
    expiresAt: exp,
    expired: exp !== undefined && exp <= Date.now() / 1000,
  };
}

/**
 * The API key kept for the auth domain, as anaconda-cloud-auth's
 * `TokenInfo.load(domain)` reads it.
 *
 * @param options The domain and where keys are kept.
 * @returns The key and its expiry, or `undefined` when there is none.
 * @throws {AuthError} `BAD_TOKEN_FILE` for an item that is not what the Python client writes.
 *
 * @example
 * ```ts
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const keyring = new anaconda.FileKeyring(`${await Deno.makeTempDir()}/keyring`);
 * if (!((await anaconda.loadTokenInfo({ keyring, dotenv: false })) === undefined)) {
 *   throw new Error("Expected (await anaconda.loadTokenInfo({ keyring, dotenv: false })) === un…");
 * }
 * ```
 */
export async function loadTokenInfo(options: KeyOptions = {}): Promise<TokenInfo | undefined> {
  const config = await loadConfig(options);
  return await readTokenInfo(openKeyring(options.keyring), config.authDomain);
}
