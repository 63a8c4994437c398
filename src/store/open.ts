/**
 * Opening a store by name. Stores that need a subprocess, a server or an
 * unstable API are imported only when chosen.
 *
 * @module
 */

import type { StoreName } from "./names.ts";
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

/**
 * Opens the store with this name. `auto` is the file store and the OS keyring
 * together (see `AutoStore`): the file answers first, without running any
 * keyring tool; a login with `auto` settles on a concrete store (see
 * {@linkcode chooseLoginStore}).
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
      // no I/O here: the AutoStore reads the file first and asks the keyring only when needed
      return import("./auto.ts").then((m) => new m.AutoStore());
    case "file":
      return Promise.resolve(new FileStore());
    case "memory": // per Auth: nothing outlives it
      return Promise.resolve(new MemoryStore());
    case "keyring":
      return import("./keyring.ts").then((m) => new m.KeyringStore());
    case "redis":
      return import("./redis.ts").then((m) => m.openRedisStore(options.redisUrl));
    case "kv":
      return import("./kv.ts").then((m) => m.openKvStore(options.kvPath));
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
 * The concrete store a login with this name saves to: for `auto`, `keyring`
 * when the OS keychain answers within 3 s and takes a write, else `file` (with
 * one warning line per process).
 *
 * @param name The store name (possibly `auto`).
 * @returns The concrete store name.
 */
export async function chooseLoginStore(name: StoreName): Promise<StoreName> {
  if (name !== "auto") return name;
  const { keyringAnswers } = await import("./auto.ts");
  return (await keyringAnswers()) ? "keyring" : "file";
}
