/**
 * Opening a store by name. Stores that need a subprocess, a server or an
 * unstable API are imported only when chosen.
 *
 * @module
 */

import type { StoreName } from "../config.ts";
import { AuthError } from "../errors.ts";
import { FileStore } from "./file.ts";
import { MemoryStore } from "./memory.ts";
import type { CredentialStore } from "./types.ts";

/** What opening a store may need. */
export interface OpenStoreOptions {
  /** Redis URL for `redis`. */
  redisUrl?: string | undefined;
  /** Path or URL for `kv`. */
  kvPath?: string | undefined;
}

const memory = new MemoryStore();

/**
 * Opens the store with this name. `auto` reads from the file store; a login
 * with `auto` settles on a concrete store (see {@linkcode chooseLoginStore}).
 *
 * @param name The store name.
 * @param options Connection settings.
 * @returns The store.
 */
export function openStore(
  name: StoreName,
  options: OpenStoreOptions = {},
): Promise<CredentialStore> {
  switch (name) {
    case "auto":
    case "file":
      return Promise.resolve(new FileStore());
    case "memory":
      return Promise.resolve(memory);
    // KEYRING-CASE (owned by the keyring store work)
    // FLEET-CASES (owned by the fleet store work)
    default:
      void options;
      return Promise.reject(
        new AuthError("STORE_UNAVAILABLE", `The "${name}" store is not available in this build`, {
          hint: "use --store file",
        }),
      );
  }
}

/**
 * The concrete store a login with this name saves to.
 *
 * @param name The store name (possibly `auto`).
 * @returns The concrete store name.
 */
export function chooseLoginStore(name: StoreName): Promise<StoreName> {
  return Promise.resolve(name === "auto" ? "file" : name);
}
