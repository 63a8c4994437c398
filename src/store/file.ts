/**
 * The default store: one OAuth token JSON file per profile under
 * `~/.config/latchkey/credentials/`, 0600 in 0700 folders, replaced atomically,
 * with a cross-process lock around every refresh.
 *
 * @module
 */

import { isWithin, join } from "../fs/path.ts";
import type { Credential } from "../credential.ts";
import { credentialFromStoredJson, credentialToStoredJson } from "../credential_json.ts";
import { AuthError } from "../errors.ts";
import {
  assertPrivateFile,
  DIR_MODE,
  ensurePrivateDir,
  readIfExistsNoFollow,
  withFileLock,
  writeFileAtomic,
} from "../fs/secure.ts";
import { logger } from "../log.ts";
import { configDir } from "../paths.ts";
import { checkCredentialSyntax } from "../token_syntax.ts";
import { parseJsonObject } from "../util/json_object.ts";
import { checkKey, type CredentialStore } from "./types.ts";

/** Options of {@linkcode FileStore}. */
export interface FileStoreOptions {
  /**
   * The folder holding the credential files.
   *
   * @default {"$XDG_CONFIG_HOME/latchkey/credentials"}
   */
  dir?: string;
}

/**
 * Keeps each profile's credential in `<dir>/<profile>.json` (OAuth token JSON
 * format), mode 0600, folders 0700. Writes go through a temporary file, fsync
 * and rename, so a crash never leaves a torn file. A file that group or
 * others can read is refused with `INSECURE_PERMISSIONS`.
 *
 * @example
 * ```ts
 * import { Credential, FileStore } from "@latchkey/latchkey";
 * const dir = await Deno.makeTempDir();
 * const store = new FileStore({ dir });
 * await store.write("default", new Credential({ accessToken: "t", expiresAt: 2e9 }));
 * if (!((await Deno.stat(`${dir}/default.json`)).mode! % 0o1000 === 0o600)) {
 *   throw new Error("Expected (await Deno.stat(`${dir}/default.json`)).mode! % 0o1000 === 0o600");
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileStore implements CredentialStore {
  /** Always `file`. */
  readonly kind = "file" as const;
  #dir: string | undefined;

  /**
   * Creates the instance.
   *
   * @param options Where the files live.
   */
  constructor(options: FileStoreOptions = {}) {
    this.#dir = options.dir;
  }

  /** The folder holding the credential files. */
  get dir(): string {
    return this.#dir ??= join(configDir(), "credentials");
  }

  /**
   * Where the credential for a key lives, for `status`.
   *
   * @param key The profile name.
   * @returns The path of the profile's credential file.
   */
  location(key: string): string {
    return join(this.dir, `${checkKey(key)}.json`);
  }

  /**
   * Reads the credential.
   *
   * @param key The profile name.
   * @returns The credential, or `undefined` when the file does not exist.
   * @throws {AuthError} `INSECURE_PERMISSIONS` or `BAD_TOKEN_FILE`.
   */
  async read(key: string): Promise<Credential | undefined> {
    const path = this.location(key);
    await this.#checkDir();
    // Opened without following a link (a link inside the store is resolved
    // and checked first, then its target opened the same way), and the mode
    // checked on the open descriptor: a swap after the check is refused.
    const file = await readIfExistsNoFollow(await this.#checkLink(path), "credential file");
    if (!file) return undefined;
    assertPrivateFile(path, file.info);
    const json = parseJsonObject(file.text, path);
    const written = (file.info.mtime?.getTime() ?? Date.now()) / 1000;
    return checkCredentialSyntax(
      credentialFromStoredJson(json, written),
      `credential file "${path}"`,
      "store",
    );
  }

  /**
   * Saves the credential, replacing any other.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const path = this.location(key);
    await ensurePrivateDir(this.dir);
    await this.#checkLink(path);
    await writeFileAtomic(path, JSON.stringify(credentialToStoredJson(credential), null, 2) + "\n");
  }

  /**
   * Forgets the credential.
   *
   * @param key The profile name.
   * @returns Whether a file was removed.
   */
  async delete(key: string): Promise<boolean> {
    try {
      await Deno.remove(this.location(key));
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /**
   * Holds an OS lock on `<dir>/<profile>.lock` while `fn` runs. The lock file
   * is opened without following a symbolic link (`INSECURE_PERMISSIONS`).
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await ensurePrivateDir(this.dir);
    return withFileLock(join(this.dir, `${checkKey(key)}.lock`), fn);
  }

  /**
   * Lists the keys that hold a credential.
   *
   * @returns The profiles that have a credential file.
   */
  async list(): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.dir)) {
        if (entry.name.endsWith(".json") && !entry.name.startsWith(".")) {
          keys.push(entry.name.slice(0, -5));
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return keys.sort();
  }

  async #checkDir(): Promise<void> {
    if (Deno.build.os === "windows") return;
    for (const dir of [this.dir]) {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(dir);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      if (info.mode !== null && (info.mode & 0o077) !== 0) {
        await Deno.chmod(dir, DIR_MODE);
        logger().warn(`tightened folder "${dir}" to mode 0700: it was open to other users`);
      }
    }
  }

  /** The file to open for `path`: itself, or the target of a link that stays in the store. */
  async #checkLink(path: string): Promise<string> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return path;
      throw error;
    }
    if (!info.isSymlink) return path;
    const target = await Deno.realPath(path).catch(() => undefined);
    const dir = await Deno.realPath(this.dir);
    if (target === undefined || target === dir || !isWithin(dir, target)) {
      throw new AuthError(
        "INSECURE_PERMISSIONS",
        `Refusing to use credential file "${path}": it is a symbolic link that points outside "${dir}"`,
        { hint: `rm '${path}' and log in again` },
      );
    }
    return target;
  }
}
