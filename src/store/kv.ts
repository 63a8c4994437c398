/**
 * The `kv` fleet store, on Deno KV: a local SQLite file shared by the
 * processes of one machine, or a KV Connect URL (e.g. Deno Deploy's
 * distributed database) shared by many. Needs `--unstable-kv`.
 *
 * Keys:
 * - `["latchkey", "cred", <profile>]`: the credential (see `encryption.ts`
 *   for the value's format);
 * - `["latchkey", "lock", <profile>]`: the refresh lock, `{ holder, expiresAt }`.
 *   It is taken with an atomic check-and-set on its versionstamp (`null`
 *   when free, the old versionstamp when expired), so exactly one process
 *   wins; the holder extends it while it works and deletes it only while it
 *   still holds it. A holder that dies blocks the others for at most the lock
 *   TTL (10 s by default; machines' clocks are assumed to agree within it).
 *
 * Every failure to reach the database is an `AuthError` with the code
 * `STORE_UNAVAILABLE`; nothing is deleted because of one.
 *
 * @module
 */

import { dirname, join } from "../fs/path.ts";
import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { DIR_MODE, ensurePrivateDir, FILE_MODE } from "../fs/secure.ts";
import { logger } from "../log.ts";
import { configDir, expandHome } from "../paths.ts";
import {
  importStoreKeys,
  openCredential,
  sealCredential,
  type StoreKeyring,
  storeKeysFromEnv,
} from "./encryption.ts";
import { checkKey, type CredentialStore } from "./types.ts";

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

/** Options of {@linkcode KvStore}. */
export interface KvStoreOptions {
  /**
   * The database: a file path (created 0600 when missing), a KV Connect URL
   * (`https://…`, with `DENO_KV_ACCESS_TOKEN` set) or `:memory:`.
   *
   * @default {"$XDG_CONFIG_HOME/latchkey/credentials.kv"}
   */
  path?: string | undefined;
  /** An open database to use instead of `path`; the caller closes it. */
  kv?: KvDatabase | undefined;
  /**
   * Seconds a lock lives unless its holder extends it.
   *
   * @default {10}
   */
  lockTtl?: number | undefined;
  /**
   * Seconds to wait for a lock before giving up with `TIMEOUT`.
   *
   * @default {30}
   */
  lockTimeout?: number | undefined;
  /**
   * The store keys (see `encryption.ts`); `false` for none.
   *
   * @default {the value of `LATCHKEY_STORE_KEY`, when set}
   */
  encryptionKey?: string | false | undefined;
}

interface LockValue {
  holder: string;
  expiresAt: number;
}

const ROOT = "latchkey";
const BUSY_RETRY_MS = 5000;

function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  const s = value ?? fallback;
  if (!Number.isFinite(s) || s <= 0) {
    throw new RangeError(`Invalid "${name}": expected a positive number of seconds, got ${value}`);
  }
  return s;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A jittered, growing wait between lock attempts: 10–30 ms at first, at most 150–450 ms. */
function backoff(attempt: number): number {
  return Math.min(300, 20 * 1.5 ** attempt) * (0.5 + Math.random());
}

function asLock(value: unknown): LockValue | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Partial<LockValue>;
  return typeof v.holder === "string" && typeof v.expiresAt === "number"
    ? { holder: v.holder, expiresAt: v.expiresAt }
    : undefined;
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
 * Keeps credentials in a Deno KV database. Open it with `store: "kv"` and
 * `kvPath` (or `LATCHKEY_KV_PATH`), or construct it to pass as `store`; call
 * {@linkcode KvStore.prototype.close} (or `await using`) when done.
 *
 * @example
 * ```ts ignore
 * import { Credential, KvStore } from "@latchkey/latchkey";
 * await using store = new KvStore({ path: ":memory:" });
 * await store.write("default", new Credential({ accessToken: "t", expiresAt: 2e9 }));
 * console.assert((await store.list()).includes("default"));
 * ```
 */
export class KvStore implements CredentialStore, AsyncDisposable {
  /** Always `kv`. */
  readonly kind = "kv" as const;
  #path: string;
  #isDefault: boolean;
  #given: KvDatabase | undefined;
  #kv: Promise<KvDatabase> | undefined;
  #lockTtlMs: number;
  #lockTimeoutMs: number;
  #keyOption: string | false | undefined;
  #keys: Promise<StoreKeyring | undefined> | undefined;

  /**
   * Creates the store; nothing is connected or opened until first use.
   *
   * @param options The database and the lock settings.
   * @throws {RangeError} For a non-positive time.
   */
  constructor(options: KvStoreOptions = {}) {
    this.#isDefault = options.path === undefined && options.kv === undefined;
    this.#path = options.path === undefined
      ? join(configDir(), "credentials.kv")
      : isUrl(options.path) || options.path === ":memory:"
      ? options.path
      : expandHome(options.path);
    this.#given = options.kv;
    this.#lockTtlMs = seconds(options.lockTtl, 10, "lockTtl") * 1000;
    this.#lockTimeoutMs = seconds(options.lockTimeout, 30, "lockTimeout") * 1000;
    this.#keyOption = options.encryptionKey;
  }

  /** The database's path or URL (without query or credentials). */
  get path(): string {
    if (!isUrl(this.#path)) return this.#path;
    const url = new URL(this.#path);
    return `${url.protocol}//${url.host}${url.pathname}`;
  }

  /**
   * Where a profile's credential lives, for messages (no secrets).
   *
   * @param key The profile name.
   * @returns The database and the key, e.g. `/srv/latchkey.kv#latchkey/cred/default`.
   */
  location(key: string): string {
    return `${this.path}#${ROOT}/cred/${checkKey(key)}`;
  }

  /**
   * Reads a profile's credential.
   *
   * @param key The profile name.
   * @returns The credential, or `undefined` when there is none.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be opened or read;
   * `CONFIG_INVALID` when the value cannot be decrypted.
   */
  async read(key: string): Promise<Credential | undefined> {
    const entry = await this.#run("read a credential from", (kv) => kv.get(this.#credKey(key)));
    if (entry.value === null || entry.value === undefined) return undefined;
    if (typeof entry.value !== "string") {
      throw new AuthError(
        "BAD_TOKEN_FILE",
        `Cannot read the credential of profile "${key}" from the kv store "${this.path}": the value is not a string`,
        { hint: "log in again to replace it" },
      );
    }
    return await openCredential(entry.value, await this.#storeKeys(), {
      profile: key,
      where: `kv store "${this.path}"`,
    });
  }

  /**
   * Saves a profile's credential, replacing any other.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be written.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const value = await sealCredential(credential, await this.#storeKeys(), { profile: key });
    await this.#run("save a credential to", (kv) => kv.set(this.#credKey(key), value));
  }

  /**
   * Forgets a profile's credential.
   *
   * @param key The profile name.
   * @returns Whether there was a credential.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be written.
   */
  async delete(key: string): Promise<boolean> {
    const credKey = this.#credKey(key);
    return await this.#run("delete a credential from", async (kv) => {
      const entry = await kv.get(credKey);
      if (entry.versionstamp === null) return false;
      await kv.delete(credKey);
      return true;
    });
  }

  /**
   * Lists the profiles that hold a credential.
   *
   * @returns The profiles (and cache keys) that hold a credential.
   */
  async list(): Promise<string[]> {
    return await this.#run("list the credentials in", async (kv) => {
      const keys: string[] = [];
      for await (const entry of kv.list({ prefix: [ROOT, "cred"] })) {
        const name = entry.key[2];
        if (typeof name === "string") keys.push(name);
      }
      return keys.sort();
    });
  }

  /**
   * Runs `fn` while holding the profile's lock in the database: waits
   * (polling with jitter) while another process holds it, extends it while
   * `fn` runs, and deletes it only if it is still the holder's.
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be reached; `TIMEOUT` when
   * the lock stays taken for `lockTimeout` seconds.
   */
  async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = [ROOT, "lock", checkKey(key)] as const;
    const holder = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const ttl = this.#lockTtlMs;
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (let attempt = 0;; attempt++) {
      const taken = await this.#run("lock a credential in", async (kv) => {
        const entry = await kv.get(lockKey);
        const current = asLock(entry.value);
        if (current && current.expiresAt > Date.now()) return false;
        const result = await kv.atomic()
          .check({ key: lockKey, versionstamp: entry.versionstamp })
          .set(lockKey, { holder, expiresAt: Date.now() + ttl }, { expireIn: ttl })
          .commit();
        return result.ok;
      });
      if (taken) break;
      if (Date.now() >= deadline) {
        throw new AuthError(
          "STORE_UNAVAILABLE",
          `Cannot lock profile "${key}" in the kv store "${this.path}": another process held the lock for ${
            this.#lockTimeoutMs / 1000
          } s`,
          { hint: `if no process is refreshing, delete the key ${JSON.stringify(lockKey)}` },
        );
      }
      await sleep(backoff(attempt));
    }
    // Extends or deletes the lock only while it is still ours.
    const ifHeld = (action: string, change: (op: KvAtomic) => KvAtomic) =>
      this.#run(action, async (kv) => {
        const entry = await kv.get(lockKey);
        if (asLock(entry.value)?.holder !== holder) return false;
        const op = kv.atomic().check({ key: lockKey, versionstamp: entry.versionstamp });
        return (await change(op).commit()).ok;
      });
    let extending: Promise<unknown> = Promise.resolve();
    const extend = setInterval(() => {
      extending = ifHeld(
        "extend a lock in",
        (op) => op.set(lockKey, { holder, expiresAt: Date.now() + ttl }, { expireIn: ttl }),
      ).then((kept) => {
        if (!kept) logger().debug(`lost the kv lock of profile "${key}" (expired)`);
      }, () => {}); // the lock expires on its own
    }, ttl / 3);
    Deno.unrefTimer(extend);
    try {
      return await fn();
    } finally {
      clearInterval(extend);
      await extending;
      await ifHeld("unlock a credential in", (op) => op.delete(lockKey)).catch((error) => {
        logger().debug(`could not release the kv lock of profile "${key}": ${error.message}`);
      });
    }
  }

  /** Closes the database, unless it was given open; it is opened again if used after. */
  async close(): Promise<void> {
    const kv = this.#kv;
    this.#kv = undefined;
    if (!kv || this.#given) return;
    (await kv.catch(() => undefined))?.close();
  }

  /** Closes the database (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #credKey(key: string): KvKey {
    return [ROOT, "cred", checkKey(key)];
  }

  #storeKeys(): Promise<StoreKeyring | undefined> {
    if (!this.#keys) {
      const option = this.#keyOption;
      this.#keys = option === false
        ? Promise.resolve(undefined)
        : option !== undefined
        ? importStoreKeys(option)
        : storeKeysFromEnv();
      this.#keys.catch(() => {
        this.#keys = undefined; // a bad key is reported on every use, not cached
      });
    }
    return this.#keys;
  }

  #open(): Promise<KvDatabase> {
    if (this.#given) return Promise.resolve(this.#given);
    if (this.#kv) return this.#kv;
    const open = (Deno as unknown as { openKv?: (path?: string) => Promise<KvDatabase> }).openKv;
    if (typeof open !== "function") {
      return Promise.reject(
        new AuthError("STORE_UNAVAILABLE", 'Cannot open the "kv" store: Deno KV is not enabled', {
          hint: 'run Deno with --unstable-kv (or "unstable": ["kv"] in deno.json)',
        }),
      );
    }
    const path = this.#path;
    const opening = (async () => {
      if (!isUrl(path) && path !== ":memory:") await preparePath(path, this.#isDefault);
      return await open.call(Deno, path);
    })();
    opening.catch(() => {
      if (this.#kv === opening) this.#kv = undefined;
    });
    this.#kv = opening;
    return opening;
  }

  /**
   * Runs `fn` on the database. SQLite answers "database is locked" while
   * another process writes: `fn` (which re-reads what it checks) is retried
   * with jitter for up to 5 s before that counts as unavailable.
   */
  async #run<T>(action: string, fn: (kv: KvDatabase) => Promise<T>): Promise<T> {
    const deadline = Date.now() + BUSY_RETRY_MS;
    for (let attempt = 0;; attempt++) {
      try {
        return await fn(await this.#open());
      } catch (error) {
        const busy = error instanceof Error && /database is (locked|busy)/i.test(error.message);
        if (!busy || Date.now() >= deadline) throw this.#unavailable(action, error);
        await sleep(Math.min(50, 2 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  #unavailable(action: string, error: unknown): AuthError {
    if (error instanceof AuthError) return error;
    const detail = error instanceof Error && error.message ? error.message : String(error);
    return new AuthError(
      "STORE_UNAVAILABLE",
      `Cannot ${action} the kv store "${this.path}": ${detail}`,
      {
        cause: error,
        hint:
          "check that the database is reachable and writable (KV Connect needs DENO_KV_ACCESS_TOKEN); the stored credential is kept",
      },
    );
  }
}

const shared = new Map<string, KvStore>();

/**
 * The store that `store: "kv"` opens: one per path in the process.
 *
 * @param path The database's path or URL; the default file when `undefined`.
 * @returns The store.
 *
 * @example
 * ```ts
 * import { closeKvStores, openKvStore } from "@latchkey/latchkey/fleet";
 * const store = openKvStore(`${await Deno.makeTempDir()}/latchkey.kv`); // opened on first use
 * console.assert(store.kind === "kv");
 * await closeKvStores();
 * ```
 */
export function openKvStore(path: string | undefined): KvStore {
  const name = path ?? "";
  let store = shared.get(name);
  if (!store) {
    store = new KvStore({ path });
    shared.set(name, store);
  }
  return store;
}

/**
 * Closes the databases of the stores that `store: "kv"` opened (at the end of
 * a program or a test). They are opened again if used after.
 *
 * @example
 * ```ts
 * import { closeKvStores } from "@latchkey/latchkey/fleet";
 * await closeKvStores(); // nothing open: a no-op
 * ```
 */
export async function closeKvStores(): Promise<void> {
  const stores = [...shared.values()];
  shared.clear();
  await Promise.all(stores.map((store) => store.close()));
}
