/**
 * The `kv` fleet store, on Deno KV: a local SQLite file shared by the
 * processes of one machine, or a KV Connect URL (e.g. Deno Deploy's
 * distributed database) shared by many. Needs `--unstable-kv`.
 *
 * Keys:
 * - `["latchkey", "cred", <profile>]`: the credential (see `encryption.ts`
 *   for the value's format);
 * - `["latchkey", "lock", <profile>]`: the refresh lock, a lease (see
 *   `lease_lock.ts`) holding `{ holder, expiresAt }`. It is taken with an
 *   atomic check-and-set on its versionstamp (`null` when free, the old
 *   versionstamp when expired), so exactly one process wins; the holder
 *   extends it while it works and deletes it only while it still holds it. A
 *   holder that dies blocks the others for at most the lock TTL (10 s by
 *   default; machines' clocks are assumed to agree within it).
 *
 * Writes under the lock are fenced: the credential is set in an atomic
 * operation that checks the versionstamp it was read at, so a holder that
 * froze past its lease cannot overwrite what the next holder saved.
 *
 * Every failure to reach the database is an `AuthError` with the code
 * `STORE_UNAVAILABLE`; nothing is deleted because of one.
 *
 * @module
 */

import { join } from "../fs/path.ts";
import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { configDir, expandHome } from "../paths.ts";
import { LazyPromise } from "../util/lazy_promise.ts";
import { openCredential, sealCredential, type StoreKeyring } from "./encryption.ts";
import {
  isUrl,
  type KvAtomic,
  type KvDatabase,
  type KvKey,
  openKvDatabase,
} from "./kv_database.ts";
import {
  type Lease,
  seconds,
  sleep,
  storeKeyMemo,
  StoreRegistry,
  VersionMemo,
  withLeaseLock,
  writeConflict,
} from "./lease_lock.ts";
import { checkKey, type CredentialStore, type DeleteOptions, type WriteOptions } from "./types.ts";

export type { KvAtomic, KvDatabase, KvKey };

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
   * Seconds to wait for a lock before giving up with `STORE_UNAVAILABLE`.
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

function asLock(value: unknown): LockValue | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Partial<LockValue>;
  return typeof v.holder === "string" && typeof v.expiresAt === "number"
    ? { holder: v.holder, expiresAt: v.expiresAt }
    : undefined;
}

/**
 * Keeps credentials in a Deno KV database. Open it with `store: "kv"` and
 * `kvPath` (or `LATCHKEY_KV_PATH`), or construct it to pass as `store`; call
 * {@linkcode KvStore.prototype.close} (or `await using`) when done.
 *
 * @example
 * ```ts
 * import { Credential } from "@latchkey/latchkey";
 * import { KvStore } from "@latchkey/latchkey/fleet";
 * await using store = new KvStore({ path: ":memory:" });
 * await store.write("default", new Credential({ accessToken: "t", expiresAt: 2e9 }));
 * if (!(await store.list()).includes("default")) throw new Error("not listed");
 * ```
 */
export class KvStore implements CredentialStore, AsyncDisposable {
  /** Always `kv`. */
  readonly kind = "kv" as const;
  #path: string;
  #isDefault: boolean;
  #given: KvDatabase | undefined;
  #kv = new LazyPromise(() => openKvDatabase(this.#path, this.#isDefault));
  #lockTtlMs: number;
  #lockTimeoutMs: number;
  #storeKeys: () => Promise<StoreKeyring | undefined>;
  #versions = new VersionMemo();

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
    this.#storeKeys = storeKeyMemo(options.encryptionKey);
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
    const credential = await openCredential(entry.value, await this.#storeKeys(), {
      ...this.#binding(key),
      where: `kv store "${this.path}"`,
    });
    return entry.versionstamp === null
      ? credential
      : this.#versions.remember(credential, entry.versionstamp);
  }

  /**
   * Saves a profile's credential, replacing any other; with `replaces`, only
   * while the database still holds the version that credential was read at.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   * @param options The credential it replaces (fencing).
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be written;
   * `CONFLICTING_CREDENTIALS` when another process replaced the credential since.
   */
  async write(key: string, credential: Credential, options: WriteOptions = {}): Promise<void> {
    const value = await sealCredential(credential, await this.#storeKeys(), this.#binding(key));
    const credKey = this.#credKey(key);
    const expected = this.#versions.expected(options.replaces);
    const result = await this.#run("save a credential to", (kv) => {
      const op = kv.atomic();
      if (expected !== undefined) op.check({ key: credKey, versionstamp: expected });
      return op.set(credKey, value).commit();
    });
    if (!result.ok) throw writeConflict(`profile "${key}" to the kv store "${this.path}"`);
    this.#versions.remember(credential, result.versionstamp);
  }

  /**
   * Forgets a profile's credential; with `ifHolds`, only while the database
   * still holds the version that credential was read at.
   *
   * @param key The profile name.
   * @param options The credential that must still be there.
   * @returns Whether a credential was deleted.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be written.
   */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    const credKey = this.#credKey(key);
    const expected = this.#versions.expected(options.ifHolds);
    return await this.#run("delete a credential from", async (kv) => {
      const entry = await kv.get(credKey);
      if (entry.versionstamp === null) return false;
      if (expected !== undefined && entry.versionstamp !== expected) return false;
      const op = kv.atomic().check({ key: credKey, versionstamp: entry.versionstamp });
      return (await op.delete(credKey).commit()).ok;
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
   * @throws {AuthError} `STORE_UNAVAILABLE` when the database cannot be reached, or when the
   * lock stays taken for `lockTimeout` seconds.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = [ROOT, "lock", checkKey(key)] as const;
    const holder = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const ttl = this.#lockTtlMs;
    const held = () => ({ holder, expiresAt: Date.now() + ttl });
    // Changes the lock only while it is still ours.
    const ifHeld = (action: string, change: (op: KvAtomic) => KvAtomic) =>
      this.#run(action, async (kv) => {
        const entry = await kv.get(lockKey);
        if (asLock(entry.value)?.holder !== holder) return false;
        const op = kv.atomic().check({ key: lockKey, versionstamp: entry.versionstamp });
        return (await change(op).commit()).ok;
      });
    const lease: Lease = {
      take: () =>
        this.#run("lock a credential in", async (kv) => {
          const entry = await kv.get(lockKey);
          const current = asLock(entry.value);
          if (current && current.expiresAt > Date.now()) return false;
          const result = await kv.atomic()
            .check({ key: lockKey, versionstamp: entry.versionstamp })
            .set(lockKey, held(), { expireIn: ttl })
            .commit();
          return result.ok;
        }),
      extend: () => ifHeld("extend a lock in", (op) => op.set(lockKey, held(), { expireIn: ttl })),
      release: async () => {
        await ifHeld("unlock a credential in", (op) => op.delete(lockKey));
      },
    };
    return withLeaseLock(lease, {
      ttlMs: ttl,
      timeoutMs: this.#lockTimeoutMs,
      what: `profile "${key}" in the kv store "${this.path}"`,
      hint: `if no process is refreshing, delete the key ${JSON.stringify(lockKey)}`,
    }, fn);
  }

  /** Closes the database, unless it was given open; it is opened again if used after. */
  async close(): Promise<void> {
    const kv = this.#kv.forget();
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

  /** What a sealed value is bound to: this kind of store, its key path and the profile. */
  #binding(key: string) {
    return { kind: this.kind, namespace: ROOT, profile: checkKey(key) };
  }

  #open(): Promise<KvDatabase> {
    if (this.#given) return Promise.resolve(this.#given);
    return this.#kv.get();
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

const shared = new StoreRegistry((path) => new KvStore({ path: path || undefined }));

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
 * if (store.kind !== "kv") throw new Error("not a kv store");
 * await closeKvStores();
 * ```
 */
export function openKvStore(path: string | undefined): KvStore {
  return shared.open(path ?? "");
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
export function closeKvStores(): Promise<void> {
  return shared.closeAll();
}
