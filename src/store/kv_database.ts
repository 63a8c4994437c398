/**
 * Opening the Deno KV database of the `kv` store: the part of the (unstable)
 * Deno KV API the store uses, declared here so that the library type-checks
 * without the unstable types, and a local database file created 0600.
 *
 * @module
 */

import { dirname } from "../fs/path.ts";
import { AuthError } from "../errors.ts";
import { DIR_MODE, ensurePrivateDir, FILE_MODE } from "../fs/secure.ts";
import { logger } from "../log.ts";

/** A Deno KV key, as this store uses them. */
export type KvKey = readonly string[];

/** The part of `Deno.AtomicOperation` this store uses. */
export interface KvAtomic {
  /** Adds a versionstamp check. */
  check(...checks: { key: KvKey; versionstamp: string | null }[]): KvAtomic;
  /** Adds a set. */
  set(key: KvKey, value: unknown, options?: { expireIn?: number }): KvAtomic;
  /** Adds a delete. */
  delete(key: KvKey): KvAtomic;
  /** Commits, when every check holds. */
  commit(): Promise<{ ok: true; versionstamp: string } | { ok: false }>;
}

/**
 * The part of `Deno.Kv` this store uses (declared here so that the library
 * type-checks without the unstable types).
 */
export interface KvDatabase {
  /** Reads an entry. */
  get(key: KvKey): Promise<{ value: unknown; versionstamp: string | null }>;
  /** Writes an entry. */
  set(key: KvKey, value: unknown): Promise<unknown>;
  /** Deletes an entry. */
  delete(key: KvKey): Promise<void>;
  /** Lists entries under a prefix. */
  list(selector: { prefix: KvKey }): AsyncIterable<{ key: readonly unknown[] }>;
  /** Starts an atomic operation. */
  atomic(): KvAtomic;
  /** Closes the database. */
  close(): void;
}

/**
 * Whether a `kv` path is a KV Connect URL rather than a file.
 *
 * @param path The path or URL.
 * @returns `true` for `http://…` and `https://…`.
 *
 * @example
 * ```ts
 * import { isUrl } from "./kv_database.ts";
 * if (!isUrl("https://api.deno.com/databases/x/connect")) throw new Error("a URL");
 * ```
 */
export function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/** Creates a local database file 0600 (SQLite gives its WAL files the same mode). */
async function preparePath(path: string, isDefault: boolean): Promise<void> {
  if (isDefault) await ensurePrivateDir(dirname(path));
  else await Deno.mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  try {
    (await Deno.open(path, { write: true, createNew: true, mode: FILE_MODE })).close();
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  if (Deno.build.os === "windows") return;
  const info = await Deno.stat(path);
  if (info.mode !== null && (info.mode & 0o077) !== 0) {
    await Deno.chmod(path, FILE_MODE);
    logger().warn(`tightened "${path}" to mode 0600: it was open to other users`);
  }
}

/**
 * Opens a Deno KV database: a file (created 0600, in a private folder for
 * the default path), a KV Connect URL or `:memory:`.
 *
 * @param path The database's path or URL.
 * @param isDefault Whether it is the default file (its folder is made private).
 * @returns The open database.
 * @throws {AuthError} `STORE_UNAVAILABLE` when Deno KV is not enabled (`--unstable-kv`).
 *
 * @example
 * ```ts ignore
 * import { openKvDatabase } from "./kv_database.ts";
 * const kv = await openKvDatabase(":memory:", false);
 * kv.close();
 * ```
 */
export async function openKvDatabase(path: string, isDefault: boolean): Promise<KvDatabase> {
  const open = (Deno as unknown as { openKv?: (path?: string) => Promise<KvDatabase> }).openKv;
  if (typeof open !== "function") {
    throw new AuthError("STORE_UNAVAILABLE", 'Cannot open the "kv" store: Deno KV is not enabled', {
      hint: 'run Deno with --unstable-kv (or "unstable": ["kv"] in deno.json)',
    });
  }
  if (!isUrl(path) && path !== ":memory:") await preparePath(path, isDefault);
  return await open.call(Deno, path);
}
