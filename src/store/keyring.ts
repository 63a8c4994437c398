/**
 * {@linkcode KeyringStore}: the OS keychain as a credential store. One item
 * per profile holds the whole credential as OAuth token JSON, with the
 * attributes `service=latchkey`, `profile=<name>` and `issuer=<issuer>`, and
 * an empty marker file beside the file store's lock says that the profile has
 * an item. Also the item and marker helpers the `auto` store (`auto.ts`)
 * shares. The keychain itself (the tools and their subprocesses) is
 * `keychain/`.
 *
 * @module
 */

import { join } from "../fs/path.ts";
import type { Credential } from "../credential.ts";
import { credentialFromStoredJson, credentialToStoredJson } from "../credential_json.ts";
import { AuthError } from "../errors.ts";
import { ensurePrivateDir, FILE_MODE } from "../fs/secure.ts";
import { checkCredentialSyntax } from "../token_syntax.ts";
import { FileStore } from "./file.ts";
import { defaultKeychain, type Keychain } from "./keychain/keychain.ts";
import { checkKey, type CredentialStore } from "./types.ts";
import { jsonObjectOf } from "../util/json_object.ts";

/** Options of {@linkcode KeyringStore} (and of the `auto` store). */
export interface KeyringStoreOptions {
  /** The keychain. @default {defaultKeychain()} */
  keychain?: Keychain;
  /**
   * The folder of the lock files (shared with the file store, so a profile has
   * one lock whichever store holds it) and of the marker files that say which
   * profiles have a keychain item. No secret is ever written there.
   *
   * @default {"$XDG_CONFIG_HOME/latchkey/credentials"}
   */
  dir?: string;
}

/** Credentials whose save failed, kept for the life of the process (per keychain). */
const unsaved = new WeakMap<Keychain, Map<string, Credential>>();

function unsavedOf(keychain: Keychain): Map<string, Credential> {
  let map = unsaved.get(keychain);
  if (!map) unsaved.set(keychain, map = new Map());
  return map;
}

/**
 * The marker file that says the keychain holds an item for the profile (it
 * holds no secret; the `auto` store reads the keychain only when it exists).
 *
 * @param dir The folder of the lock and marker files.
 * @param key The profile name.
 * @returns `<dir>/<key>.in-keyring`.
 *
 * @example
 * ```ts
 * import { markerPath } from "./keyring.ts";
 * if (markerPath("/creds", "work") !== "/creds/work.in-keyring") throw new Error("wrong marker");
 * ```
 */
export function markerPath(dir: string, key: string): string {
  return join(dir, `${key}.in-keyring`);
}

/**
 * Reads a profile's keychain item as a credential.
 *
 * @param keychain The keychain.
 * @param key The profile name.
 * @returns The credential, or `undefined` when there is no item.
 * @throws {AuthError} `KEYRING_UNAVAILABLE`; `BAD_TOKEN_FILE` for an item
 * that is not OAuth token JSON; `MALFORMED_TOKEN` for a token no server takes.
 *
 * @example A keychain whose tool is missing is unavailable, never a hang
 * ```ts
 * import { AuthError } from "../errors.ts";
 * import { Keychain } from "./keychain/keychain.ts";
 * import { readItem } from "./keyring.ts";
 * const keychain = new Keychain({ command: "/nonexistent/secret-tool", os: "linux" });
 * const error = await readItem(keychain, "work").catch((e) => e);
 * if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
 * ```
 */
export async function readItem(
  keychain: Keychain,
  key: string,
): Promise<Credential | undefined> {
  const text = await keychain.get(checkKey(key));
  if (text === undefined) return undefined;
  const json = jsonObjectOf(text);
  if (json === undefined) {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot read the keyring item of profile "${key}": it is not OAuth token JSON`,
      { hint: `remove it with \`latchkey logout --profile ${key}\` and log in again` },
    );
  }
  const credential = credentialFromStoredJson(json);
  return checkCredentialSyntax(credential, `the keyring item of profile "${key}"`, "store");
}

/**
 * Saves a credential as the profile's keychain item, writing its marker
 * file first (a marker without an item costs one lookup; an item without a
 * marker would hide a conflict from the `auto` store).
 *
 * @param keychain The keychain.
 * @param dir The folder of the marker files (made 0700 when missing).
 * @param key The profile name.
 * @param credential The credential.
 * @throws {AuthError} `KEYRING_UNAVAILABLE`.
 * @throws {TypeError} For a profile name that is not a safe item name.
 *
 * @example A profile name that could escape its folder is refused before any I/O
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { Keychain } from "./keychain/keychain.ts";
 * import { writeItem } from "./keyring.ts";
 * const keychain = new Keychain({ command: "/nonexistent/secret-tool", os: "linux" });
 * const error = await writeItem(keychain, "/nonexistent", "../x", new Credential({})).catch((e) => e);
 * if (!(error instanceof TypeError)) throw new Error("the name was not refused");
 * ```
 */
export async function writeItem(
  keychain: Keychain,
  dir: string,
  key: string,
  credential: Credential,
): Promise<void> {
  checkKey(key);
  await ensurePrivateDir(dir);
  await Deno.writeFile(markerPath(dir, key), new Uint8Array(), { mode: FILE_MODE });
  await keychain.set(key, JSON.stringify(credentialToStoredJson(credential)), {
    issuer: credential.issuer ?? "",
  });
}

/**
 * Removes a profile's marker file, if there is one.
 *
 * @param dir The folder of the marker files.
 * @param key The profile name.
 *
 * @example
 * ```ts
 * import { removeMarker } from "./keyring.ts";
 * await removeMarker("/nonexistent", "work"); // a missing marker is no error
 * ```
 */
export async function removeMarker(dir: string, key: string): Promise<void> {
  await Deno.remove(markerPath(dir, key)).catch(() => {});
}

/**
 * Keeps each profile's credential in the OS keychain: one item per profile
 * holding the whole credential (access, refresh and ID tokens) as OAuth token
 * JSON. Linux: the Secret Service via `secret-tool`; macOS: `security`.
 *
 * A keychain that is missing, locked or hanging makes every method fail
 * within 3 s with `AuthError` `KEYRING_UNAVAILABLE` and a hint; nothing
 * hangs. A credential whose save failed is not lost: it stays in memory for
 * the rest of the process (reads return it, and the next read saves it again
 * once the keychain answers), and the error says so. Locking uses a lock file
 * next to the file store's, so refreshes are coordinated across processes.
 *
 * @example
 * ```ts ignore
 * import { Credential } from "../credential.ts";
 * import { KeyringStore } from "./keyring.ts";
 * const store = new KeyringStore();
 * await store.write("work", new Credential({ accessToken: "t", expiresAt: 2e9 }));
 * if ((await store.read("work"))?.accessToken?.reveal() !== "t") throw new Error("not read back");
 * await store.delete("work");
 * ```
 */
export class KeyringStore implements CredentialStore {
  /** Always `keyring`. */
  readonly kind = "keyring" as const;
  #keychain: Keychain;
  #files: FileStore;

  /**
   * A store on the platform's keychain (or the given one).
   *
   * @param options The keychain and the folder of the lock files.
   */
  constructor(options: KeyringStoreOptions = {}) {
    this.#keychain = options.keychain ?? defaultKeychain();
    this.#files = new FileStore(options.dir === undefined ? {} : { dir: options.dir });
  }

  /**
   * Where an item lives, for `status`: nowhere a path could name.
   *
   * @returns `undefined`: a keychain item has no path.
   */
  location(): undefined {
    return undefined;
  }

  /**
   * Reads the profile's item (or the credential this process could not save).
   *
   * @param key The profile name.
   * @returns The credential, if any.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`, or `BAD_TOKEN_FILE` for an item that is not JSON.
   */
  async read(key: string): Promise<Credential | undefined> {
    const held = unsavedOf(this.#keychain).get(key);
    if (held) {
      try {
        await this.write(key, held); // the keychain may answer again
      } catch (error) {
        if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      }
      return held;
    }
    return await readItem(this.#keychain, key);
  }

  /**
   * Saves the credential as the profile's one item.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`; the credential then stays in
   * memory for this process.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const held = unsavedOf(this.#keychain);
    try {
      await writeItem(this.#keychain, this.#files.dir, key, credential);
      held.delete(key);
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      held.set(key, credential);
      throw new AuthError(
        "KEYRING_UNAVAILABLE",
        `${error.message}; the credential is kept in memory until this process exits`,
        { hint: error.hint, cause: error },
      );
    }
  }

  /**
   * Removes the profile's item.
   *
   * @param key The profile name.
   * @returns Whether there was an item (or an unsaved credential).
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async delete(key: string): Promise<boolean> {
    const held = unsavedOf(this.#keychain).delete(checkKey(key));
    const deleted = await this.#keychain.delete(key);
    await removeMarker(this.#files.dir, key);
    return deleted || held;
  }

  /**
   * Holds the profile's lock file (the file store's) while `fn` runs.
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#files.lock(key, fn);
  }

  /**
   * Lists the profiles that have an item.
   *
   * @returns The profile names, sorted.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async list(): Promise<string[]> {
    const names = new Set(await this.#keychain.list());
    for (const key of unsavedOf(this.#keychain).keys()) names.add(key);
    return [...names].sort();
  }
}
