/**
 * A token file named by the user (`tokenFile`, `--token-file`), seen as a
 * one-credential store: read in its own format, written back in it.
 *
 * @module
 */

import { dirname, join } from "../fs/path.ts";
import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import {
  assertPrivateFile,
  DIR_MODE,
  ensurePrivateDir,
  FILE_MODE,
  readIfExists,
  withFileLock,
  writeFileAtomic,
} from "../fs/secure.ts";
import { logger } from "../log.ts";
import { configDir, expandHome } from "../paths.ts";
import {
  detectTokenFile,
  type TokenFileData,
  type TokenFileFormat,
  tokenFileMaterial,
  updateTokenFile,
} from "../token_formats.ts";
import { parseJsonObject } from "../util/json_object.ts";
import type { CredentialStore } from "./types.ts";

/** Options of {@linkcode TokenFileStore}. */
export interface TokenFileStoreOptions {
  /**
   * The key that holds the token in a secret JSON file.
   *
   * @default {"token"}
   */
  tokenKey?: string | undefined;
  /**
   * The format of a file that does not exist yet. With `"secret"`, a JSON
   * object holding none of the known token keys is a secret JSON file that
   * has no token yet (the token key is added on write, other keys kept).
   *
   * @default {"oauth"}
   */
  format?: TokenFileFormat | undefined;
  /**
   * Tighten a file that other users can read to 0600 (with a warning) instead
   * of refusing it. Presets use this for files their Python clients wrote.
   *
   * @default {false}
   */
  repairPermissions?: boolean;
}

/**
 * A user's token file as a store. Reads detect the format; writes keep it and
 * every unknown key, replace the file atomically with mode 0600, and happen
 * under a lock in Latchkey's own folder (so the user's folder gets no lock
 * file).
 *
 * @example
 * ```ts
 * import { Credential, TokenFileStore } from "@latchkey/latchkey";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, JSON.stringify({ token: "old", server: "x" }));
 * await Deno.chmod(path, 0o600);
 * const store = new TokenFileStore(path);
 * await store.write("", new Credential({ accessToken: "new" }));
 * if (!(JSON.parse(await Deno.readTextFile(path)).server === "x")) {
 *   throw new Error("Expected JSON.parse(await Deno.readTextFile(path)).server === \"x\"");
 * }
 * await Deno.remove(path);
 * ```
 */
export class TokenFileStore implements CredentialStore {
  /** Always `token-file`. */
  readonly kind = "token-file" as const;
  /** The file's path (with `~` expanded). */
  readonly path: string;
  #options: TokenFileStoreOptions;
  #last: TokenFileData | undefined;
  /** The client id the file names, after a read. */
  clientId: string | undefined;

  /**
   * Creates the instance.
   *
   * @param path The token file.
   * @param options The secret JSON key and the permission policy.
   */
  constructor(path: string, options: TokenFileStoreOptions = {}) {
    this.path = expandHome(path);
    this.#options = options;
  }

  /**
   * Where the credential for a key lives, for `status`.
   *
   * @returns The file's path.
   */
  location(): string {
    return this.path;
  }

  /**
   * Reads the credential.
   *
   * @returns The credential in the file, `undefined` when there is no file.
   * @throws {AuthError} `BAD_TOKEN_FILE`, `INSECURE_PERMISSIONS`, `CONFLICTING_CREDENTIALS`.
   */
  async read(): Promise<Credential | undefined> {
    const file = await readIfExists(this.path, { what: "token file" });
    if (!file) return undefined;
    await this.#checkMode(file.info);
    const parsed = this.#detect(parseJsonObject(file.text, this.path));
    this.#last = parsed;
    if (parsed.format === "secret" && !(parsed.tokenKey in parsed.data)) return undefined;
    const written = (file.info.mtime?.getTime() ?? Date.now()) / 1000;
    const material = tokenFileMaterial(parsed, this.path, written);
    this.clientId = material.clientId;
    return material.credential;
  }

  /**
   * Writes the credential back in the file's format, keeping unknown keys.
   *
   * @param _key Ignored: the file holds one credential.
   * @param credential The new credential.
   */
  async write(_key: string, credential: Credential): Promise<void> {
    const target = await Deno.realPath(this.path).catch(() => this.path);
    const current = await readIfExists(target, { what: "token file" });
    const base: TokenFileData = current
      ? this.#detect(parseJsonObject(current.text, this.path))
      : this.#last ?? {
        format: this.#options.format ?? "oauth",
        data: {},
        tokenKey: this.#options.tokenKey ?? "token",
      };
    const data = updateTokenFile(base, credential);
    if (!current) {
      // A new file may go to a folder that does not exist yet (created 0700;
      // an existing folder is left as it is: it is the user's).
      await Deno.mkdir(dirname(target), { recursive: true, mode: DIR_MODE });
    }
    await writeFileAtomic(target, JSON.stringify(data, null, 2) + "\n");
    this.#last = { ...base, data };
  }

  /**
   * Forgets the credential.
   *
   * @returns Whether the file existed and was removed.
   */
  async delete(): Promise<boolean> {
    try {
      await Deno.remove(this.path);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /**
   * Runs `fn` while holding the lock for the key.
   *
   * @param _key Ignored.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  async lock<T>(_key: string, fn: () => Promise<T>): Promise<T> {
    const target = await Deno.realPath(this.path).catch(() => this.path);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(target));
    const name = new Uint8Array(digest).toHex().slice(0, 32);
    const dir = join(configDir(), "locks");
    await ensurePrivateDir(dir);
    return withFileLock(join(dir, `${name}.lock`), fn);
  }

  /**
   * Lists the keys that hold a credential.
   *
   * @returns `[""]` when the file exists, else `[]`.
   */
  async list(): Promise<string[]> {
    return (await readIfExists(this.path, { what: "token file" })) ? [""] : [];
  }

  #detect(data: Record<string, unknown>): TokenFileData {
    const tokenKey = this.#options.tokenKey ?? "token";
    try {
      return detectTokenFile(data, this.path, { tokenKey });
    } catch (error) {
      const keyless = !(tokenKey in data) && this.#options.format === "secret";
      if (keyless && error instanceof AuthError && error.code === "BAD_TOKEN_FILE") {
        return { format: "secret", data, tokenKey };
      }
      throw error;
    }
  }

  async #checkMode(info: Deno.FileInfo): Promise<void> {
    try {
      assertPrivateFile(this.path, info);
    } catch (error) {
      if (!this.#options.repairPermissions || !(error instanceof AuthError)) throw error;
      await Deno.chmod(this.path, FILE_MODE);
      logger().warn(`tightened "${this.path}" to mode 0600: it was readable by other users`);
    }
  }
}
