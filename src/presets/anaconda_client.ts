/**
 * The anaconda preset's client: `clientFactory(userAgent)` makes a class whose
 * instances load the API key on every request.
 *
 * @module
 */

import { LoginRequiredError, TokenExpiredError } from "../errors.ts";
import { createAuthFetch } from "../fetch.ts";
import { logger } from "../log.ts";
import type { Keyring } from "./anaconda_keyring.ts";
import {
  type Config,
  type KeyringChoice,
  loadConfig,
  openKeyring,
  readTokenInfo,
} from "./anaconda_config.ts";
import { serviceBase } from "./url.ts";

/** Options of a client made by {@linkcode clientFactory}. */
export interface ClientOptions {
  /**
   * The API domain; not together with `baseUri`.
   *
   * @default {"anaconda.cloud" (or ANACONDA_CLOUD_API_DOMAIN)}
   */
  domain?: string | undefined;
  /** The base URL relative paths are joined to; not together with `domain`. */
  baseUri?: string | undefined;
  /** An API key to use instead of the kept one. */
  apiKey?: string | undefined;
  /** The `User-Agent`, instead of the factory's. */
  userAgent?: string | undefined;
  /** The `Api-Version` header, instead of the factory's. */
  apiVersion?: string | undefined;
  /**
   * The auth domain whose key is used.
   *
   * @default {"id.anaconda.cloud" (or ANACONDA_CLOUD_AUTH_DOMAIN)}
   */
  authDomain?: string | undefined;
  /**
   * Where the key is kept.
   *
   * @default {"auto"}
   */
  keyring?: KeyringChoice | undefined;
  /**
   * The `.env` file to read, or `false`.
   *
   * @default {".env"}
   */
  dotenv?: string | false | undefined;
  /**
   * The underlying fetch.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch | undefined;
}

/** A request's options: `fetch`'s, plus `json` for a JSON body. */
export interface ClientRequestInit extends RequestInit {
  /** Sent as the JSON body, with `Content-Type: application/json`. */
  json?: unknown;
}

/**
 * The client class {@linkcode clientFactory} subclasses: `fetch`-based, with
 * paths relative to the API domain, the API key loaded from the keyring on
 * every request (and sent to the API's origin only), the factory's
 * `User-Agent` and `Api-Version`.
 *
 * @example
 * ```ts
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const seen: Request[] = [];
 * const Client = anaconda.clientFactory("my-app/1.0");
 * const client = new Client({
 *   baseUri: "https://api.example.org",
 *   apiKey: "k3y",
 *   dotenv: false,
 *   fetch: (input, init) => {
 *     seen.push(new Request(input, init));
 *     return Promise.resolve(Response.json({ ok: true }));
 *   },
 * });
 * await (await client.get("/api/endpoint")).json();
 * if (!(seen[0]!.url === "https://api.example.org/api/endpoint")) {
 *   throw new Error("Expected seen[0]!.url === \"https://api.example.org/api/endpoint\"");
 * }
 * if (!(seen[0]!.headers.get("user-agent") === "my-app/1.0")) {
 *   throw new Error("Expected seen[0]!.headers.get(\"user-agent\") === \"my-app/1.0\"");
 * }
 * if (!(seen[0]!.headers.get("authorization") === "Bearer k3y")) {
 *   throw new Error("Expected seen[0]!.headers.get(\"authorization\") === \"Bearer k3y\"");
 * }
 * ```
 */
export class BaseClient {
  /** The `User-Agent` of the class's clients. */
  static userAgent: string = "latchkey-anaconda";
  /** The `Api-Version` of the class's clients, if any. */
  static apiVersion: string | undefined = undefined;

  #options: ClientOptions;
  #config: Promise<Config> | undefined;
  #keyring: Keyring | undefined;

  /**
   * Makes a client; settings and the key are read on each request.
   *
   * @param options Domain or base URI, a key, keyring, fetch.
   * @throws {TypeError} When both `domain` and `baseUri` are given.
   */
  constructor(options: ClientOptions = {}) {
    if (options.domain && options.baseUri) {
      throw new TypeError("Cannot create a client: give either domain or baseUri, not both");
    }
    this.#options = { ...options };
  }

  #settings(): Promise<Config> {
    this.#config ??= loadConfig({
      apiDomain: this.#options.domain,
      domain: this.#options.authDomain,
      dotenv: this.#options.dotenv,
    });
    return this.#config;
  }

  /**
   * The base URL that relative paths are joined to.
   *
   * @returns The base URL, without a trailing slash.
   */
  async baseUri(): Promise<string> {
    return this.#options.baseUri
      ? serviceBase(this.#options.baseUri, "base URI")
      : (await this.#settings()).apiUrl;
  }

  /**
   * A request, as `fetch` makes it, with a path relative to the API domain.
   *
   * @param input A path (`/api/…`), a URL or a `Request`.
   * @param init `fetch`'s options, plus `json`.
   * @returns The response.
   * @throws {TokenExpiredError} When the kept API key has expired.
   * @throws {LoginRequiredError} On a 401 or 403 answer to a request sent without a key.
   */
  async fetch(input: string | URL | Request, init: ClientRequestInit = {}): Promise<Response> {
    const ctor = this.constructor as typeof BaseClient;
    const base = await this.baseUri();
    const url = input instanceof Request ? new URL(input.url) : new URL(String(input), `${base}/`);
    const { json, ...rest } = init;
    const headers = new Headers(
      init.headers ?? (input instanceof Request ? input.headers : undefined),
    );
    if (!headers.has("user-agent")) {
      headers.set("user-agent", this.#options.userAgent ?? ctor.userAgent);
    }
    const apiVersion = this.#options.apiVersion ?? ctor.apiVersion;
    if (apiVersion && !headers.has("api-version")) headers.set("api-version", apiVersion);
    if (json !== undefined) {
      rest.body = JSON.stringify(json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const key = await this.#apiKey();
    let sentKey = headers.has("authorization");
    if (key !== undefined && !sentKey && url.origin === new URL(base).origin) {
      headers.set("authorization", `Bearer ${key}`);
      sentKey = true;
    }
    const send = createAuthFetch({
      apiOrigins: [],
      getToken: () => Promise.reject(new Error("unreachable")),
      renew: () => Promise.resolve(undefined),
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
    const response = await send(input instanceof Request ? input : url, { ...rest, headers });
    if ((response.status === 401 || response.status === 403) && !sentKey) {
      await response.body?.cancel();
      throw new LoginRequiredError(
        `Login is required for ${url.origin}${url.pathname}: no API key found`,
        { hint: "run `anaconda login` (or `latchkey login --preset anaconda`)" },
      );
    }
    const minimum = response.headers.get("min-api-version");
    if (minimum && apiVersion && apiVersion < minimum) {
      logger().warn(
        `client API version is ${apiVersion}, minimum supported API version is ${minimum}: you may need to update your client`,
      );
    }
    return response;
  }

  async #apiKey(): Promise<string | undefined> {
    if (this.#options.apiKey) return this.#options.apiKey;
    const { authDomain } = await this.#settings();
    this.#keyring ??= openKeyring(this.#options.keyring);
    const info = await readTokenInfo(this.#keyring, authDomain);
    if (info?.expired) {
      throw new TokenExpiredError(
        "Your login token has expired: please log in again using `anaconda login --force`",
        { hint: "run `anaconda login --force` (or `latchkey login --preset anaconda --force`)" },
      );
    }
    return info?.apiKey;
  }

  /**
   * A `GET` request.
   *
   * @param path A path relative to the API domain, or a URL.
   * @param init Other options.
   * @returns The response.
   */
  get(path: string | URL, init: ClientRequestInit = {}): Promise<Response> {
    return this.fetch(path, { ...init, method: "GET" });
  }

  /**
   * A `POST` request.
   *
   * @param path A path relative to the API domain, or a URL.
   * @param init Other options (`body` or `json`).
   * @returns The response.
   */
  post(path: string | URL, init: ClientRequestInit = {}): Promise<Response> {
    return this.fetch(path, { ...init, method: "POST" });
  }

  /**
   * A `PUT` request.
   *
   * @param path A path relative to the API domain, or a URL.
   * @param init Other options (`body` or `json`).
   * @returns The response.
   */
  put(path: string | URL, init: ClientRequestInit = {}): Promise<Response> {
    return this.fetch(path, { ...init, method: "PUT" });
  }

  /**
   * A `DELETE` request.
   *
   * @param path A path relative to the API domain, or a URL.
   * @param init Other options.
   * @returns The response.
   */
  delete(path: string | URL, init: ClientRequestInit = {}): Promise<Response> {
    return this.fetch(path, { ...init, method: "DELETE" });
  }
}

/**
 * Makes the client class of an application: its instances send this
 * `User-Agent` (and `Api-Version`, when given).
 *
 * @param userAgent E.g. `my-application/1.0`.
 * @param apiVersion The API version the application speaks, if any.
 * @returns A subclass of {@linkcode BaseClient}.
 *
 * @example
 * ```ts
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const Client = anaconda.clientFactory("my-app/1.0");
 * if (!(Client.userAgent === "my-app/1.0" && new Client() instanceof anaconda.BaseClient)) {
 *   throw new Error("Expected Client.userAgent === \"my-app/1.0\" && new Client() instanceof an…");
 * }
 * ```
 */
export function clientFactory(userAgent: string, apiVersion?: string): typeof BaseClient {
  return class Client extends BaseClient {
    static override userAgent: string = userAgent;
    static override apiVersion: string | undefined = apiVersion;
  };
}
