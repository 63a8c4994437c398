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

import { join } from "node:path";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { homeDir } from "../paths.ts";
import * as linux from "../store/keyring_linux.ts";
import * as macos from "../store/keyring_macos.ts";
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
 * console.assert(await Deno.readTextFile(`${dir}/keyring`) === '{"Anaconda Cloud": {"id.anaconda.cloud": "c2VjcmV0"}}');
 * console.assert((await keyring.get("Anaconda Cloud", "id.anaconda.cloud")) === "c2VjcmV0");
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

/** Options of {@linkcode SystemKeyring}. */
export interface SystemKeyringOptions {
  /**
   * The tool to run.
   *
   * @default {"secret-tool" on Linux, "security" on macOS}
   */
  command?: string | undefined;
  /**
   * Seconds each call may take before the tool is killed.
   *
   * @default {3}
   */
  timeout?: number | undefined;
  /**
   * The platform.
   *
   * @default {Deno.build.os}
   */
  os?: typeof Deno.build.os | undefined;
}

/**
 * The OS keychain, with the item layout of Python's `keyring`: on Linux a
 * Secret Service item with the attributes `service` and `username` (label
 * `Password for '<username>' on '<service>'`), through `secret-tool`; on
 * macOS a generic password with that service and account, through
 * `security`. The secret travels on stdin, never in argv. A keychain that is
 * missing, locked or silent fails within the timeout with `AuthError`
 * `KEYRING_UNAVAILABLE`.
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
  #command: string;
  #timeout: number;
  #os: typeof Deno.build.os;

  /**
   * Uses the OS keychain through its command-line tool.
   *
   * @param options The tool, timeout and platform.
   */
  constructor(options: SystemKeyringOptions = {}) {
    this.#os = options.os ?? Deno.build.os;
    this.#command = options.command ?? (this.#os === "darwin" ? "security" : "secret-tool");
    this.#timeout = options.timeout ?? 3;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns The secret, if any.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async get(service: string, username: string): Promise<string | undefined> {
    if (this.#os === "darwin") {
      const result = await this.#run(macos.findCall(this.#command, service, username));
      return this.#check(macos.outcome(result)) ? result.stdout.replace(/\n$/, "") : undefined;
    }
    const result = await this.#run(linux.lookupCall(this.#command, { service, username }));
    return this.#check(linux.outcome(result)) ? result.stdout.replace(/\n$/, "") : undefined;
  }

  /**
   * @param service The service.
   * @param username The user.
   * @param value The secret (sent on stdin).
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async set(service: string, username: string, value: string): Promise<void> {
    const label = `Password for '${username}' on '${service}'`;
    if (this.#os === "darwin") {
      const call = macos.addCall(this.#command, {
        service,
        account: username,
        label,
        comment: "",
        secret: value,
      });
      this.#check(macos.outcome(await this.#run(call), true));
      return;
    }
    // Items with other attributes besides these two (Python's carry `application`) are
    // separate items to the Secret Service: clear them all first, so one answer remains.
    await this.delete(service, username);
    const call = linux.storeCall(this.#command, label, { service, username }, value);
    this.#check(linux.outcome(await this.#run(call)));
  }

  /**
   * @param service The service.
   * @param username The user.
   * @returns Whether there was a secret.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async delete(service: string, username: string): Promise<boolean> {
    if (this.#os === "darwin") {
      return this.#check(
        macos.outcome(await this.#run(macos.deleteCall(this.#command, service, username))),
      );
    }
    if (!(await this.get(service, username))) return false;
    return this.#check(
      linux.outcome(await this.#run(linux.clearCall(this.#command, { service, username }))),
    );
  }

  async #run(call: linux.ToolCall): Promise<linux.ToolResult> {
    if (this.#os !== "linux" && this.#os !== "darwin") {
      throw this.#unavailable(`no keychain support on ${this.#os}`);
    }
    const signal = AbortSignal.timeout(this.#timeout * 1000);
    try {
      const child = new Deno.Command(call.command, {
        args: call.args,
        stdin: call.stdin === undefined ? "null" : "piped",
        stdout: call.stdout === false ? "null" : "piped",
        stderr: "piped",
        env: { LC_ALL: "C" },
        signal,
      }).spawn();
      if (call.stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(call.stdin)).catch(() => {});
        await writer.close().catch(() => {});
      }
      const out = await child.output();
      if (signal.aborted) throw this.#unavailable(`"${this.#command}" did not answer in time`);
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return {
        code: out.code,
        stdout: call.stdout === false ? "" : decode(out.stdout),
        stderr: decode(out.stderr),
      };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      const reason = error instanceof Deno.errors.NotFound
        ? `"${this.#command}" is not installed`
        : error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
        ? `running "${this.#command}" is not allowed`
        : error instanceof Error
        ? error.message
        : String(error);
      throw this.#unavailable(reason, error);
    }
  }

  #check(outcome: linux.Outcome): boolean {
    if (outcome.ok) return true;
    if (outcome.missing) return false;
    throw this.#unavailable(outcome.reason);
  }

  #unavailable(reason: string, cause?: unknown): AuthError {
    return new AuthError("KEYRING_UNAVAILABLE", `Cannot use the keyring: ${reason}`, {
      hint: 'unlock the keyring, or pass keyring: "file"',
      cause,
    });
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
  #down = false;

  /**
   * @param system The OS keychain.
   * @param file The fallback file.
   */
  constructor(system: Keyring = new SystemKeyring(), file: Keyring = new FileKeyring()) {
    this.#system = system;
    this.#file = file;
  }

  /** Where the last answer came from. */
  get name(): string {
    return this.#down ? this.#file.name : this.#system.name;
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
    return found.value ?? await this.#file.get(service, username);
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
