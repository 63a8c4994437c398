/**
 * What the CAVEclient and FrameworkClient presets share: a hand-made token kept
 * as a string under a key of a CloudVolume secret JSON file
 * (`~/.cloudvolume/secrets/*.json`), and one authenticated `fetch` for the
 * server and the client's services.
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { Auth } from "../auth.ts";
import { AuthError } from "../errors.ts";
import { createAuthFetch } from "../fetch.ts";
import { logger } from "../log.ts";
import { openBrowser } from "../open.ts";
import { expandHome, homeDir } from "../paths.ts";
import { MemoryStore } from "../store/memory.ts";
import { TokenFileStore } from "../store/token_file.ts";
import { LazyPromise } from "../util/lazy_promise.ts";
import { isFile, readJsonObject, writeJsonObject } from "./files.ts";
import { serviceBase } from "./url.ts";
import type {
  GetNewTokenOptions,
  SaveTokenOptions,
  SecretFileClientOptions,
  SecretFilePreset,
} from "./secret_file_options.ts";

export type {
  GetNewTokenOptions,
  SaveTokenOptions,
  SecretFileClientOptions,
  SecretFilePreset,
} from "./secret_file_options.ts";

/** The key the token is kept under unless another is chosen. */
export const DEFAULT_TOKEN_KEY = "token";

interface Loaded {
  /** The file saves go to (and reads come from, unless a legacy file was read). */
  file: string;
  key: string;
  token: string | undefined;
}

/** The folder CloudVolume keeps its secrets in. */
export function secretsDir(): string {
  return join(homeDir(), ".cloudvolume", "secrets");
}

/**
 * Reads the token under `key` of a secret JSON file.
 *
 * @param path The file.
 * @param key The key.
 * @returns The token; `undefined` when the file or the key is missing.
 * @throws {AuthError} `BAD_TOKEN_FILE` when the file is not a JSON object or the value is not
 * a string.
 */
export async function readSecretToken(path: string, key: string): Promise<string | undefined> {
  const data = await readJsonObject(path);
  const value = data?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot read token file "${path}": key "${key}" must be a string`,
    );
  }
  return value === "" ? undefined : value;
}

/**
 * The shared implementation of `cave.AuthClient` and
 * `chunkedgraph.AuthClient`; use those.
 *
 * @example
 * ```ts
 * import { cave } from "@latchkey/latchkey/presets";
 * const auth = new cave.AuthClient({ token: "abc" });
 * if (!((await auth.token()) === "abc")) {
 *   throw new Error("Expected (await auth.token()) === \"abc\"");
 * }
 * ```
 */
export class SecretFileClient {
  #preset: SecretFilePreset;
  #options: SecretFileClientOptions;
  #loaded = new LazyPromise(() => this.#read());
  #auth: { token: string | undefined; fetch: typeof fetch } | undefined;

  /** The server, without a trailing slash. */
  readonly serverAddress: string;
  /** The origins that receive the token: the server's, then the services'. */
  readonly apiOrigins: readonly string[];
  /**
   * `fetch` with the token (as `Authorization: Bearer` and the
   * `middle_auth_token` cookie) on requests to {@linkcode apiOrigins}; same
   * signature as the global `fetch`, bound, so the client's services can share
   * it. Without a token, requests go out unauthenticated, as in Python.
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

  /**
   * Makes a client; nothing is read until the first call.
   *
   * @param preset What tells the clients apart.
   * @param options Server, token file and key, or a token.
   */
  constructor(preset: SecretFilePreset, options: SecretFileClientOptions = {}) {
    this.#preset = preset;
    this.#options = { ...options };
    this.serverAddress = serviceBase(
      options.serverAddress ?? "https://global.daf-apis.com",
      "server address",
    );
    const origins = [new URL(this.serverAddress).origin];
    for (const o of options.apiOrigins ?? []) {
      const origin = new URL(serviceBase(o, "API origin")).origin;
      if (!origins.includes(origin)) origins.push(origin);
    }
    this.apiOrigins = origins;
    this.fetch = async (input, init) => (await this.#authFetch())(input, init);
  }

  #load(): Promise<Loaded> {
    return this.#loaded.get(); // a failure is not cached
  }

  async #read(): Promise<Loaded> {
    const key = this.#options.tokenKey ?? DEFAULT_TOKEN_KEY;
    const explicit = this.#options.token || undefined;
    if (this.#options.tokenFile !== undefined) {
      const file = expandHome(this.#options.tokenFile);
      return { file, key, token: explicit ?? await readSecretToken(file, key) };
    }
    const dir = secretsDir();
    const host = new URL(this.serverAddress).host;
    const serverFile = join(dir, `${host}-${this.#preset.fileName}`);
    const file = this.#preset.serverFile && await isFile(serverFile)
      ? serverFile
      : join(dir, this.#preset.fileName);
    if (explicit !== undefined) return { file, key, token: explicit };
    if (await isFile(file)) return { file, key, token: await readSecretToken(file, key) };
    for (const name of this.#preset.deprecatedFileNames) {
      const legacy = join(dir, name);
      if (!(await isFile(legacy))) continue;
      logger().warn(
        `token file location "${legacy}" is deprecated: rename it to "${this.#preset.fileName}" or "${host}-${this.#preset.fileName}"`,
      );
      return { file, key, token: await readSecretToken(legacy, key) };
    }
    return { file, key, token: undefined };
  }

  async #authFetch(): Promise<typeof fetch> {
    const { token } = await this.#load();
    if (this.#auth && this.#auth.token === token) return this.#auth.fetch;
    const inner = this.#options.fetch ?? globalThis.fetch;
    if (token === undefined) {
      // No token: requests go out unauthenticated by design (as in Python). The same wrapper
      // (redirects by hand, retries) without an `Auth`, whose fetch would warn that no API
      // origin is set.
      const anonymous = createAuthFetch({
        apiOrigins: [],
        getToken: () => Promise.reject(new Error("unreachable: no API origins")),
        renew: () => Promise.resolve(undefined),
        fetch: inner,
        userAgent: this.#options.userAgent,
      });
      this.#auth = { token, fetch: anonymous };
      return anonymous;
    }
    const bearer = `Bearer ${token}`;
    const auth = new Auth({
      token,
      apiOrigins: this.apiOrigins,
      store: new MemoryStore(),
      envPrefix: [],
      dotenv: false,
      userAgent: this.#options.userAgent,
      // The Python session also sends the token as the `middle_auth_token` cookie; here only
      // where the token itself goes (the API origins, never across a redirect).
      fetch: (input, init) => {
        const headers = new Headers(init?.headers);
        if (headers.get("authorization") === bearer) {
          const cookie = headers.get("cookie");
          const crumb = `middle_auth_token=${token}`;
          headers.set("cookie", cookie ? `${cookie}; ${crumb}` : crumb);
        }
        return inner(input, { ...init, headers });
      },
    });
    this.#auth = { token, fetch: auth.fetch };
    return auth.fetch;
  }

  /** The key the token is read from (and saved under by default). */
  get tokenKey(): string {
    return this.#options.tokenKey ?? DEFAULT_TOKEN_KEY;
  }

  /**
   * The current token: the one given to the constructor, else the one saved in
   * the token file.
   *
   * @returns The token, or `undefined` when none is saved (not an error).
   * @throws {AuthError} `BAD_TOKEN_FILE` when the file is not a JSON object with a string
   * under the key.
   */
  async token(): Promise<string | undefined> {
    return (await this.#load()).token;
  }

  /**
   * The token file in use: the given one, else `<host>-<name>` when it exists
   * (CAVEclient), else the default file. Saves go there.
   *
   * @returns The absolute path.
   */
  async tokenFile(): Promise<string> {
    return (await this.#load()).file;
  }

  /**
   * Reloads the token from the token file, under another key if given (which
   * the client then keeps using), dropping a token given to the constructor.
   *
   * @param tokenKey The key. Default: the client's key.
   * @returns The token, or `undefined`.
   */
  async getToken(tokenKey?: string): Promise<string | undefined> {
    const { file } = await this.#load();
    const key = tokenKey ?? this.tokenKey;
    const token = await readSecretToken(file, key);
    this.#options = { ...this.#options, token: undefined, tokenKey: key };
    this.#loaded.set(Promise.resolve({ file, key, token }));
    return token;
  }

  /**
   * The header the client's requests carry: `{ Authorization: "Bearer <token>" }`,
   * or `{}` without a token.
   *
   * @returns The header.
   */
  async requestHeader(): Promise<Record<string, string>> {
    const token = await this.token();
    return token === undefined ? {} : { Authorization: `Bearer ${token}` };
  }

  /**
   * Prints (on stdout, as the Python client does) and returns the steps to get
   * a new token by hand: the page to visit on the server, the `saveToken` call,
   * and the warning that a new token invalidates the previous one.
   *
   * @param options `open: true` also opens the page in a browser; `print: false` only returns
   * the text.
   * @returns The instructions.
   */
  getNewToken(options: GetNewTokenOptions = {}): string {
    const url = `${this.serverAddress}${this.#preset.tokenPagePath}`;
    const text = this.#preset.instructions(url);
    if (options.print ?? true) console.log(text);
    if (options.open) openBrowser(url);
    return text;
  }

  /**
   * Saves a token in a secret JSON file (mode 0600, other keys kept, missing
   * folders created), so that a new client picks it up; by default the client
   * uses it from now on.
   *
   * @param token The token.
   * @param options The file and key, whether to overwrite and to switch.
   * @throws {AuthError} `USAGE` when the key already exists and `overwrite` is not `true`;
   * `BAD_TOKEN_FILE` when the file exists but is not a JSON object.
   * @throws {TypeError} When the token is empty.
   */
  async saveToken(token: string, options: SaveTokenOptions = {}): Promise<void> {
    if (typeof token !== "string" || token.trim() === "") {
      throw new TypeError("Cannot save token: the token is empty");
    }
    const loaded = await this.#load();
    const file = options.tokenFile !== undefined ? expandHome(options.tokenFile) : loaded.file;
    const key = options.tokenKey ?? this.tokenKey;
    await new TokenFileStore(file).lock("", async () => {
      const data = (await readJsonObject(file)) ?? {};
      if (key in data && !options.overwrite) {
        throw new AuthError(
          "USAGE",
          `Cannot save token: key "${key}" already exists in token file "${file}"`,
          { hint: "pass overwrite: true to replace it" },
        );
      }
      data[key] = token;
      await writeJsonObject(file, data);
    });
    if (options.switchToken ?? true) {
      this.#options = { ...this.#options, token: undefined, tokenKey: key };
      this.#loaded.set(Promise.resolve({ file, key, token }));
    }
  }

  /**
   * A summary for logs: server and key, never the token.
   *
   * @returns The summary.
   */
  toJSON(): Record<string, unknown> {
    return { serverAddress: this.serverAddress, tokenKey: this.tokenKey };
  }

  /**
   * How `Deno.inspect` and `console.log` show the client: without the token.
   *
   * @returns `AuthClient { … }`.
   */
  [Symbol.for("Deno.customInspect")](): string {
    return `AuthClient ${JSON.stringify(this.toJSON())}`;
  }
}
