/**
 * {@linkcode AutoStore}, the `auto` store: the file store and the OS
 * keychain together — the keychain when it answers within 3 s, else the file
 * store, with one warning line per process — and {@linkcode keyringAnswers},
 * which settles a login with `auto` on one of them. The keychain store it
 * builds on is `keyring.ts`.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { FileStore } from "./file.ts";
import { defaultKeychain, failureReason, type Keychain } from "./keychain/keychain.ts";
import {
  type KeyringStoreOptions,
  markerPath,
  readItem,
  removeMarker,
  writeItem,
} from "./keyring.ts";
import type { CredentialStore } from "./types.ts";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function same(a: Credential, b: Credential): boolean {
  const eq = (x: Credential["accessToken"], y: Credential["accessToken"]) =>
    x === undefined ? y === undefined : x.equals(y);
  return eq(a.accessToken, b.accessToken) && eq(a.refreshToken, b.refreshToken);
}

/** Options of {@linkcode AutoStore}. */
export interface AutoStoreOptions extends KeyringStoreOptions {
  /** The file store. @default {new FileStore()} */
  file?: FileStore;
}

/**
 * The `auto` store: the keychain when it answers within 3 s, else the file
 * store, with one warning line per process.
 *
 * - Reading tries the file first and returns it without running any keychain
 *   tool, unless a marker says the keychain also holds the profile; then the
 *   two are compared and different credentials are an `AuthError`
 *   `CONFLICTING_CREDENTIALS`. Without a file, the keychain is asked.
 * - Writing keeps a credential where it is (a refresh of a file credential
 *   stays in the file); a new one goes to the keychain, or, when that fails,
 *   to the file, so a credential being saved is never lost.
 * - `kind` (what `status` reports as the source) is where the credential was
 *   last found or saved.
 *
 * @example
 * ```ts ignore
 * import { AutoStore } from "./auto.ts";
 * const store = new AutoStore();
 * const credential = await store.read("default"); // no subprocess when the file answers
 * console.log(store.kind); // "file" or "keyring"
 * ```
 */
export class AutoStore implements CredentialStore {
  #file: FileStore;
  #keychain: Keychain;
  #dir: string;
  #where = new Map<string, "file" | "keyring">();
  #last: "file" | "keyring" = "file";

  /**
   * The file store and the platform's keychain, together; does no I/O.
   *
   * @param options The keychain and the file store.
   */
  constructor(options: AutoStoreOptions = {}) {
    this.#file = options.file ??
      new FileStore(options.dir === undefined ? {} : { dir: options.dir });
    this.#keychain = options.keychain ?? defaultKeychain();
    this.#dir = options.dir ?? this.#file.dir;
  }

  /** Where the credential was last found or saved: `file` or `keyring`. */
  get kind(): "file" | "keyring" {
    return this.#last;
  }

  /**
   * Where the profile's credential lives, for `status`.
   *
   * @param key The profile name.
   * @returns The file's path, or `undefined` when the credential is in the keychain.
   */
  location(key: string): string | undefined {
    return this.#where.get(key) === "keyring" ? undefined : this.#file.location(key);
  }

  /**
   * Reads the profile's credential: the file first, then the keychain.
   *
   * @param key The profile name.
   * @returns The credential, from the file or the keychain.
   * @throws {AuthError} `CONFLICTING_CREDENTIALS` when both hold different ones.
   */
  async read(key: string): Promise<Credential | undefined> {
    const fromFile = await this.#file.read(key);
    if (fromFile) {
      if (await exists(markerPath(this.#dir, key))) {
        const answer = await this.#ask(() => readItem(this.#keychain, key));
        if (answer.answered && answer.value === undefined) await removeMarker(this.#dir, key);
        if (answer.value && !same(answer.value, fromFile)) {
          throw new AuthError(
            "CONFLICTING_CREDENTIALS",
            `Conflicting credentials for profile "${key}": the file "${
              this.#file.location(key)
            }" and the keyring hold different ones`,
            {
              hint:
                "choose one with --store file or --store keyring, or run `latchkey logout` and log in again",
            },
          );
        }
      }
      this.#at(key, "file");
      return fromFile;
    }
    const answer = await this.#ask(() => readItem(this.#keychain, key));
    if (answer.value) this.#at(key, "keyring");
    return answer.value;
  }

  /**
   * Saves the credential where the profile's credential is, else in the
   * keychain, else (with one warning) in the file.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const marker = markerPath(this.#dir, key);
    if (this.#where.get(key) !== "keyring" && await exists(this.#file.location(key))) {
      await this.#file.write(key, credential);
      this.#at(key, "file");
      if (await exists(marker)) {
        // the keychain's copy would now differ: keep one credential per profile
        const answer = await this.#ask(() => this.#keychain.delete(key));
        if (answer.answered) await removeMarker(this.#dir, key);
      }
      return;
    }
    const saved = await this.#ask(async () => {
      await writeItem(this.#keychain, this.#dir, key, credential);
      return true;
    }, "warn");
    if (saved.answered) {
      this.#at(key, "keyring");
      await this.#file.delete(key); // a stale file would conflict with the new item
      return;
    }
    await this.#file.write(key, credential);
    await removeMarker(this.#dir, key); // the file is newer than any item left behind
    this.#at(key, "file");
  }

  /**
   * Removes the credential from the file and the keychain.
   *
   * @param key The profile name.
   * @returns Whether either held one.
   */
  async delete(key: string): Promise<boolean> {
    const inFile = await this.#file.delete(key);
    const answer = await this.#ask(() => this.#keychain.delete(key));
    if (answer.answered) {
      await removeMarker(this.#dir, key);
    } else if (await exists(markerPath(this.#dir, key))) {
      logger().warn(`the keyring item of profile "${key}" could not be removed; remove it later`);
    }
    this.#where.delete(key);
    return inFile || answer.value === true;
  }

  /**
   * Holds the profile's lock file (shared by the file and keyring stores).
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#file.lock(key, fn);
  }

  /**
   * Lists the profiles with a credential in either place.
   *
   * @returns The profiles with a credential in the file store or the keychain, sorted.
   */
  async list(): Promise<string[]> {
    const names = new Set(await this.#file.list());
    const answer = await this.#ask(() => this.#keychain.list());
    for (const name of answer.value ?? []) names.add(name);
    return [...names].sort();
  }

  #at(key: string, where: "file" | "keyring"): void {
    this.#where.set(key, where);
    this.#last = where;
  }

  /**
   * Asks the keychain; when it is unavailable, says so once — as a warning
   * when a credential is about to be written to the file instead, as a debug
   * line on reads (the file store is where the credential is then, nothing to
   * act on: a headless machine is normal).
   */
  async #ask<T>(
    fn: () => Promise<T>,
    level: "warn" | "debug" = "debug",
  ): Promise<{ answered: boolean; value: T | undefined }> {
    if (this.#keychain.down) {
      if (level === "warn") warnOnce(this.#keychain);
      return { answered: false, value: undefined };
    }
    try {
      return { answered: true, value: await fn() };
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      warnFallback(this.#keychain, error, level);
      return { answered: false, value: undefined };
    }
  }
}

/** Why each keychain found down is down, and whether that was said as a warning yet. */
const downReasons = new WeakMap<Keychain, { reason: string; warned: boolean }>();

function warnFallback(keychain: Keychain, error: AuthError, level: "warn" | "debug"): void {
  if (keychain.markDown(error)) {
    const reason = failureReason(error) ?? error.message;
    downReasons.set(keychain, { reason, warned: false });
    if (level === "debug") {
      logger().debug(`the keyring is not available (${reason}); using the file store`);
    }
  }
  if (level === "warn") warnOnce(keychain);
}

/** The one warning, when a credential goes to the file store instead of the keychain. */
function warnOnce(keychain: Keychain): void {
  const down = downReasons.get(keychain);
  if (!down || down.warned) return;
  down.warned = true;
  logger().warn(`the keyring is not available (${down.reason}); using the file store`);
}

/**
 * Whether the keychain answers within 3 s and takes writes, for settling a
 * login with `auto`. When it does not, warns once (per process) that the file
 * store is used.
 *
 * @param keychain The keychain. @default {defaultKeychain()}
 * @returns `true` when the keychain can be used.
 *
 * @example
 * ```ts
 * import { Keychain } from "@latchkey/latchkey";
 * import { keyringAnswers } from "./auto.ts";
 * // A keychain tool that does not exist never answers: false, never an exception.
 * const keychain = new Keychain({ command: "/nonexistent/secret-tool" });
 * if ((await keyringAnswers(keychain)) !== false) throw new Error("a missing tool answered");
 * ```
 */
export async function keyringAnswers(keychain: Keychain = defaultKeychain()): Promise<boolean> {
  if (keychain.down) {
    warnOnce(keychain);
    return false;
  }
  try {
    await keychain.probe();
    return true;
  } catch (error) {
    if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
    warnFallback(keychain, error, "warn");
    return false;
  }
}
