/**
 * A store that keeps credentials in memory only, for tests and for programs
 * that must not write anything to disk.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import type { CredentialStore } from "./types.ts";

/**
 * Keeps credentials in a `Map` for the life of the process. Its lock
 * serialises callers within the process.
 *
 * @example
 * ```ts
 * import { Credential, MemoryStore } from "@latchkey/latchkey";
 * const store = new MemoryStore();
 * await store.write("default", new Credential({ accessToken: "t" }));
 * if (!((await store.read("default"))?.accessToken?.reveal() === "t")) {
 *   throw new Error("Expected (await store.read(\"default\"))?.accessToken?.reveal() === \"t\"");
 * }
 * ```
 */
export class MemoryStore implements CredentialStore {
  /** Always `memory`. */
  readonly kind = "memory" as const;
  #items = new Map<string, Credential>();
  #locks = new Map<string, Promise<unknown>>();

  /**
   * Where the credential for a key lives, for `status`.
   *
   * @returns `undefined`: memory has no location.
   */
  location(): undefined {
    return undefined;
  }

  /**
   * Reads the credential.
   *
   * @param key The profile name.
   * @returns The credential, if any.
   */
  read(key: string): Promise<Credential | undefined> {
    return Promise.resolve(this.#items.get(key));
  }

  /**
   * Saves the credential, replacing any other.
   *
   * @param key The profile name.
   * @param credential The credential to keep.
   */
  write(key: string, credential: Credential): Promise<void> {
    this.#items.set(key, credential);
    return Promise.resolve();
  }

  /**
   * Forgets the credential.
   *
   * @param key The profile name.
   * @returns Whether there was a credential.
   */
  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.#items.delete(key));
  }

  /**
   * Runs `fn` while holding the lock for the key.
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(fn);
    const tail = run.catch(() => {});
    this.#locks.set(key, tail);
    tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  /**
   * Lists the keys that hold a credential.
   *
   * @returns The keys held.
   */
  list(): Promise<string[]> {
    return Promise.resolve([...this.#items.keys()]);
  }
}
