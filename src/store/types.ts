/**
 * The interface every credential store implements. Adding a store means one
 * new module that implements {@linkcode CredentialStore}.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import type { StoreKind } from "./names.ts";

/** Options of {@linkcode CredentialStore.write}. */
export interface WriteOptions {
  /**
   * Fencing: the credential this write replaces, as `read` returned it from
   * this store (`null`: the store held none). A store whose lock can be lost
   * (a fleet store's lease) then writes only if it still holds that version,
   * and otherwise throws `CONFLICTING_CREDENTIALS`, keeping what another
   * process saved. A store whose lock cannot be lost may ignore it.
   */
  replaces?: Credential | null | undefined;
}

/** Options of {@linkcode CredentialStore.delete}. */
export interface DeleteOptions {
  /**
   * Compare-and-delete: delete only if the store still holds this
   * credential, as `read` returned it (a fleet store compares versions; a
   * store whose lock cannot be lost may ignore it).
   */
  ifHolds?: Credential | undefined;
}

/**
 * Where credentials rest. Keys are profile names (or, for cached client
 * credentials, a hash that reveals no secret). Every method is safe to call
 * from several processes at once.
 *
 * @example A store kept in a Map (for tests)
 * ```ts
 * import { type CredentialStore, MemoryStore } from "@latchkey/latchkey";
 * const store: CredentialStore = new MemoryStore();
 * if (!((await store.read("default")) === undefined)) {
 *   throw new Error("Expected (await store.read(\"default\")) === undefined");
 * }
 * ```
 */
export interface CredentialStore {
  /** What `status` reports as the source. */
  readonly kind: StoreKind;
  /**
   * Where the credential for `key` lives, for `status` (a path or a URL without
   * secrets), if that means anything for this store.
   */
  location(key: string): string | undefined;
  /** Reads the credential for `key`; `undefined` when there is none. */
  read(key: string): Promise<Credential | undefined>;
  /**
   * Saves the credential for `key`, replacing any other, atomically; with
   * `replaces`, only over that version (see {@linkcode WriteOptions}).
   */
  write(key: string, credential: Credential, options?: WriteOptions): Promise<void>;
  /**
   * Forgets the credential for `key`; `true` when there was one (and, with
   * `ifHolds`, it was that one: see {@linkcode DeleteOptions}).
   */
  delete(key: string, options?: DeleteOptions): Promise<boolean>;
  /**
   * Runs `fn` while no other process (or caller) holds the lock for `key`:
   * the read-modify-write of a refresh happens inside it.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** The keys that hold a credential. */
  list(): Promise<string[]>;
  /** Releases connections (fleet stores); optional. */
  close?(): Promise<void>;
}

/**
 * Throws a `TypeError` for a key that is not a safe file or item name.
 *
 * @param key A profile name or cache key.
 * @returns The key.
 */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(key)) {
    throw new TypeError(
      `Invalid profile name "${key}": use letters, digits, ".", "_" and "-" only`,
    );
  }
  return key;
}
