/**
 * Where anaconda-cloud-auth keeps its API key, read and written the way
 * Python's `keyring` package does, so one login serves both clients: the OS
 * keychain (Secret Service items with the attributes `service` and
 * `username`; macOS generic passwords with service and account), else the
 * file `~/.anaconda/keyring` (`{"<service>": {"<username>": "<value>"}}`,
 * 0600) that anaconda's fallback backend uses.
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { homeDir } from "../paths.ts";
import { Keychain, type KeychainOptions } from "../store/keychain/keychain.ts";
import { TokenFileStore } from "../store/token_file.ts";
import { readJsonObject, writeJsonObject } from "./files.ts";

/** A place that keeps one secret per (service, username), as Python's `keyring` does. */
export interface Keyring {
  /** What it is, for messages: `"keyring"` or a file path. */
  readonly name: string;
  /**
   * @param service The service, e.g. `Anaconda Cloud`.
   * @param username The user, e.g. the auth domain.
   * @returns The secret, or `undefined` when there is none.
   */
  get(service: string, username: string): Promise<string | undefined>;
  /**
   * Saves a secret, replacing any other for the same service and user.
   *
   * @param service The service.
   * @param username The user.
   * @param value The secret.
   */
  set(service: string, username: string, value: string): Promise<void>;
  /**
   * @param service The service.
   * @param username The user.
   * @returns Whether there was a secret.
   */
  delete(service: string, username: string): Promise<boolean>;
}

/**
 * anaconda's fallback keyring file, `~/.anaconda/keyring`: a JSON object of
 * services, each an object of users and their secrets. Written 0600; other
 * entries are kept.
 *
 * @example
 * ```ts
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const dir = await Deno.makeTempDir();
 * const keyring = new anaconda.FileKeyring(`${dir}/keyring`);
 * await keyring.set("Anaconda Cloud", "id.anaconda.cloud", "c2VjcmV0");
 * if (!(
 *   await Deno.readTextFile(`${dir}/keyring`) === '{"Anaconda Cloud": {"id.anaconda.cloud": "c2VjcmV0"}}'
 * )) {
 *   throw new Error("Expected await Deno.readTextFile(`${dir}/keyring`) === '{\"Anaconda C…");
 * }
 * if (!((await keyring.get("Anaconda Cloud", "id.anaconda.cloud")) === "c2VjcmV0")) {
 *   throw new Error("Expected (await keyring.get(\"Anaconda Cloud\", \"id.anaconda.cloud\"))…");
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileKeyring implements Keyring {
  /** The file. */
  readonly path: string;

  /**
   * Uses a keyring file.
   *
   * @param path The file. @default {"~/.anaconda/keyring"}
   */
  constructor(path: string = join(homeDir(), ".anaconda", "keyring")) {
    this.path = path;
  }

  /** The file's path. */
  get name(): string {
    return this.path;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns The secret, if any.
   */
  async get(service: string, username: string): Promise<string | undefined> {
    const value = this.#entries(await readJsonObject(this.path), service)?.[username];
    return typeof value === "string" ? value : undefined;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @param value The secret.
   */
  async set(service: string, username: string, value: string): Promise<void> {
    await new TokenFileStore(this.path).lock("", async () => {
      const data = (await readJsonObject(this.path)) ?? {};
      data[service] = { ...this.#entries(data, service), [username]: value };
      await writeJsonObject(this.path, data);
    });
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns Whether there was a secret.
   */
  async delete(service: string, username: string): Promise<boolean> {
    return await new TokenFileStore(this.path).lock("", async () => {
      const data = await readJsonObject(this.path);
      const entries = this.#entries(data, service);
      if (!data || !entries || !(username in entries)) return false;
      const { [username]: _removed, ...rest } = entries;
      data[service] = rest;
      await writeJsonObject(this.path, data);
      return true;
    });
  }

  #entries(
    data: Record<string, unknown> | undefined,
    service: string,
  ): Record<string, unknown> | undefined {
    const entries = data?.[service];
    if (entries === undefined) return undefined;
    if (entries === null || typeof entries !== "object" || Array.isArray(entries)) {
      throw new AuthError(
        "BAD_TOKEN_FILE",
        `Cannot read keyring file "${this.path}": key "${service}" is not an object`,
      );
    }
    return entries as Record<string, unknown>;
  }
}

/** Options of {@linkcode SystemKeyring}: the tool, its timeout (3 s) and the platform. */
export type SystemKeyringOptions = Pick<KeychainOptions, "command" | "timeout" | "os">;

/**
 * The OS keychain, with the item layout of Python's `keyring`: on Linux a
 * Secret Service item with the attributes `service` and `username` (label
 * `Password for '<username>' on '<service>'`), through `secret-tool`; on
 * macOS a generic password with that service and account holding the raw
 * value, through `security`. A thin adapter over Latchkey's
 * {@linkcode Keychain}: the secret travels on stdin, never in argv, and a
 * keychain that is missing, locked or silent fails within the timeout with
 * `AuthError` `KEYRING_UNAVAILABLE`.
 *
 * @example
 * ```ts ignore
 * import { anaconda } from "@latchkey/latchkey/presets";
 * const keyring = new anaconda.SystemKeyring();
 * console.log(await keyring.get("Anaconda Cloud", "id.anaconda.cloud"));
 * ```
 */
export class SystemKeyring implements Keyring {
  /** Always `keyring`. */
  readonly name = "keyring";
  #options: SystemKeyringOptions;
  #keychains = new Map<string, Keychain>();

  /**
   * Uses the OS keychain through its command-line tool.
   *
   * @param options The tool, timeout and platform.
   */
  constructor(options: SystemKeyringOptions = {}) {
    this.#options = { ...options };
  }

  #keychain(service: string): Keychain {
    let keychain = this.#keychains.get(service);
    if (!keychain) {
      keychain = new Keychain({
        ...this.#options,
        service,
        accountAttribute: "username",
        macosEncoding: "raw",
        fallbackHint: 'pass keyring: "file"',
      });
      this.#keychains.set(service, keychain);
    }
    return keychain;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns The secret, if any.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async get(service: string, username: string): Promise<string | undefined> {
    return await this.#keychain(service).get(username);
  }

  /**
   * Saves the secret; on Linux, Python's own item for the same service and
   * user (it also carries `application`) is replaced rather than left beside it.
   *
   * @param service The service.
   * @param username The user.
   * @param value The secret (sent on stdin).
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async set(service: string, username: string, value: string): Promise<void> {
    const label = `Password for '${username}' on '${service}'`;
    await this.#keychain(service).set(username, value, { label });
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns Whether there was a secret.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async delete(service: string, username: string): Promise<boolean> {
    return await this.#keychain(service).delete(username);
  }
}

/**
 * The keychain when it answers, else the file: reads try the keychain then
 * the file, writes go to the keychain (or to the file, with one warning, when
 * the keychain does not answer), deletes remove both.
 */
export class AutoKeyring implements Keyring {
  #system: Keyring;
  #file: Keyring;
  #last: Keyring;
  #down = false;

  /**
   * @param system The OS keychain.
   * @param file The fallback file.
   */
  constructor(system: Keyring = new SystemKeyring(), file: Keyring = new FileKeyring()) {
    this.#system = system;
    this.#file = file;
    this.#last = system;
  }

  /** Where the last secret was found or saved (the keychain until then). */
  get name(): string {
    return this.#down ? this.#file.name : this.#last.name;
  }

  async #try<T>(fn: () => Promise<T>): Promise<{ ok: boolean; value: T | undefined }> {
    if (this.#down) return { ok: false, value: undefined };
    try {
      return { ok: true, value: await fn() };
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      this.#down = true;
      logger().warn(`${error.message}; using "${this.#file.name}"`);
      return { ok: false, value: undefined };
    }
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns The secret from the keychain, else from the file.
   */
  async get(service: string, username: string): Promise<string | undefined> {
    const found = await this.#try(() => this.#system.get(service, username));
    if (found.value !== undefined) {
      this.#last = this.#system;
      return found.value;
    }
    const value = await this.#file.get(service, username);
    if (value !== undefined) this.#last = this.#file;
    return value;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @param value The secret.
   */
  async set(service: string, username: string, value: string): Promise<void> {
    const saved = await this.#try(() => this.#system.set(service, username, value));
    if (saved.ok) await this.#file.delete(service, username);
    else await this.#file.set(service, username, value);
    this.#last = saved.ok ? this.#system : this.#file;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns Whether either held a secret.
   */
  async delete(service: string, username: string): Promise<boolean> {
    const inSystem = await this.#try(() => this.#system.delete(service, username));
    const inFile = await this.#file.delete(service, username);
    return inSystem.value === true || inFile;
  }
}
