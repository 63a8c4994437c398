/**
 * What the fleet stores (`redis`, `kv`) share, written once: the lease lock
 * (take, wait with jitter until a deadline, extend every TTL/3, release), the
 * version memo behind their fenced writes, the store-key memo and the
 * registry of the instances that `store: "redis"` and `store: "kv"` open.
 * Each store keeps only its own storage code: how a lease is taken, extended
 * and released, and how a write checks the version it replaces.
 *
 * A lease is a lock that expires: a holder that dies (or freezes: a paused
 * VM, SIGSTOP, a partition) blocks the others for at most its TTL, and may
 * then wake up no longer holding it. So a lease alone does not protect a
 * write; fencing does: every write under the lock names the version it
 * replaces (see {@linkcode VersionMemo}), and the store refuses it when
 * another holder wrote in between.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { LazyPromise } from "../util/lazy_promise.ts";
import { importStoreKeys, type StoreKeyring, storeKeysFromEnv } from "./encryption.ts";

/** One lease on one key, as a store implements it. */
export interface Lease {
  /** Tries once to take the lease; `true` when taken. */
  take(): Promise<boolean>;
  /** Extends the lease by its TTL while it is still held; `false` when it was lost. */
  extend(): Promise<boolean>;
  /** Releases the lease, only if it is still held. */
  release(): Promise<void>;
}

/** Options of {@linkcode withLeaseLock}. */
export interface LeaseLockOptions {
  /** Milliseconds the lease lives unless extended; it is extended every third of it. */
  ttlMs: number;
  /** Milliseconds to wait for the lease before `STORE_UNAVAILABLE`. */
  timeoutMs: number;
  /** What is locked, for messages: e.g. `profile "p" in the redis store "redis://…"`. */
  what: string;
  /** The hint of the error when the wait times out (e.g. which key to delete). */
  hint: string;
}

/**
 * Parses a duration option in seconds.
 *
 * @param value The option, if given.
 * @param fallback The default, in seconds.
 * @param name The option's name, for the error.
 * @returns The duration in seconds.
 * @throws {RangeError} For a value that is not a positive number.
 *
 * @example
 * ```ts
 * import { seconds } from "./lease_lock.ts";
 * if (seconds(undefined, 10, "lockTtl") !== 10) throw new Error("no default");
 * ```
 */
export function seconds(value: number | undefined, fallback: number, name: string): number {
  const s = value ?? fallback;
  if (!Number.isFinite(s) || s <= 0) {
    throw new RangeError(`Invalid "${name}": expected a positive number of seconds, got ${value}`);
  }
  return s;
}

/**
 * Waits.
 *
 * @param ms Milliseconds.
 * @returns A promise that resolves after `ms`.
 *
 * @example
 * ```ts
 * import { sleep } from "./lease_lock.ts";
 * await sleep(1);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A jittered, growing wait between lock attempts: 10–30 ms at first, at most
 * 150–450 ms.
 *
 * @param attempt The attempts made so far.
 * @returns Milliseconds to wait.
 *
 * @example
 * ```ts
 * import { backoff } from "./lease_lock.ts";
 * const ms = backoff(100);
 * if (ms < 150 || ms > 450) throw new Error(`out of range: ${ms}`);
 * ```
 */
export function backoff(attempt: number): number {
  return Math.min(300, 20 * 1.5 ** attempt) * (0.5 + Math.random());
}

/**
 * Runs `fn` while holding a lease: takes it (retrying with jitter while
 * another process holds it), extends it every third of its TTL while `fn`
 * runs, and releases it after, only if it is still held. A lease lost while
 * `fn` runs (the holder froze past the TTL) is not taken back: the fenced
 * writes of the store keep the next holder's result.
 *
 * @param lease The store's lease on the key.
 * @param options The TTL, how long to wait, and what is locked (for messages).
 * @param fn The critical section.
 * @returns What `fn` returns.
 * @throws {AuthError} `STORE_UNAVAILABLE` when the store cannot be reached, or when the lease
 * stays taken for `timeoutMs` (a stuck holder is a store fault: a valid access token stays
 * usable meanwhile).
 *
 * @example
 * ```ts
 * import { withLeaseLock } from "./lease_lock.ts";
 * let held = false;
 * const lease = {
 *   take: () => Promise.resolve(held ? false : (held = true)),
 *   extend: () => Promise.resolve(held),
 *   release: () => Promise.resolve(void (held = false)),
 * };
 * const options = { ttlMs: 1000, timeoutMs: 1000, what: "profile \"p\"", hint: "" };
 * if (await withLeaseLock(lease, options, () => Promise.resolve(held)) !== true) {
 *   throw new Error("not held inside");
 * }
 * if (held) throw new Error("not released");
 * ```
 */
export async function withLeaseLock<T>(
  lease: Lease,
  options: LeaseLockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 0; !(await lease.take()); attempt++) {
    if (Date.now() >= deadline) {
      throw new AuthError(
        "STORE_UNAVAILABLE",
        `Cannot lock ${options.what}: another process held the lock for ${
          options.timeoutMs / 1000
        } s`,
        { hint: options.hint },
      );
    }
    await sleep(backoff(attempt));
  }
  let extending: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    extending = lease.extend().then((kept) => {
      if (!kept) logger().debug(`lost the lock of ${options.what} (expired)`);
    }, () => {}); // the lease expires on its own
  }, options.ttlMs / 3);
  Deno.unrefTimer(timer);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    await extending;
    await lease.release().catch((error) => {
      logger().debug(`could not release the lock of ${options.what}: ${error.message}`);
    });
  }
}

/**
 * The version at which a store returned (or saved) each credential object,
 * so that a later write or delete naming that credential checks the store
 * still holds that version: the fencing of the fleet stores.
 *
 * @example
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { VersionMemo } from "./lease_lock.ts";
 * const versions = new VersionMemo();
 * const read = versions.remember(new Credential({ accessToken: "t" }), "v1");
 * if (versions.expected(read) !== "v1") throw new Error("version lost");
 * if (versions.expected(null) !== null) throw new Error("absence not required");
 * ```
 */
export class VersionMemo {
  #versions = new WeakMap<Credential, string>();

  /**
   * Records the version a credential was read or saved at.
   *
   * @param credential The credential object the store returns or saved.
   * @param version The store's version of it (a Redis value, a KV versionstamp).
   * @returns The credential.
   */
  remember(credential: Credential, version: string): Credential {
    this.#versions.set(credential, version);
    return credential;
  }

  /**
   * What the store must still hold for a write replacing `replaces`.
   *
   * @param replaces The credential replaced, as this store returned it; `null` when it held none.
   * @returns The version to check; `null` for "none"; `undefined` for no check (no
   * `replaces`, or a credential this store never returned).
   */
  expected(replaces: Credential | null | undefined): string | null | undefined {
    if (replaces === null) return null;
    return replaces === undefined ? undefined : this.#versions.get(replaces);
  }
}

/**
 * The error of a fenced write that found another version than the one it
 * replaces: another process wrote in between (this one lost its lease).
 *
 * @param what The credential and store, e.g. `profile "p" to the redis store "…"`.
 * @returns The error, `CONFLICTING_CREDENTIALS`.
 *
 * @example
 * ```ts
 * import { writeConflict } from "./lease_lock.ts";
 * if (writeConflict('profile "p" to the kv store "x"').code !== "CONFLICTING_CREDENTIALS") {
 *   throw new Error("wrong code");
 * }
 * ```
 */
export function writeConflict(what: string): AuthError {
  return new AuthError(
    "CONFLICTING_CREDENTIALS",
    `Cannot save the credential of ${what}: another process replaced it since it was read`,
    { hint: "the credential the other process stored is kept: read it again to use it" },
  );
}

/**
 * The store keys of one store, loaded once on first use (a failure is not
 * kept: a bad key is reported on every use).
 *
 * @param option The store's `encryptionKey` option: keys, `false` for none, or `undefined` for
 * `LATCHKEY_STORE_KEY`.
 * @param onLoad Called once the keys are loaded (e.g. to warn that there are none).
 * @returns A function returning the keys.
 *
 * @example
 * ```ts
 * import { storeKeyMemo } from "./lease_lock.ts";
 * const keys = storeKeyMemo(false);
 * if ((await keys()) !== undefined) throw new Error("keys without a key");
 * ```
 */
export function storeKeyMemo(
  option: string | false | undefined,
  onLoad?: (keys: StoreKeyring | undefined) => void,
): () => Promise<StoreKeyring | undefined> {
  const keys = new LazyPromise(() => {
    const loading = option === false
      ? Promise.resolve(undefined)
      : option !== undefined
      ? importStoreKeys(option)
      : storeKeysFromEnv();
    loading.then(onLoad, () => {}); // a failure is reported by the use that awaits it
    return loading;
  });
  return () => keys.get();
}

/**
 * The stores that `store: "redis"` or `store: "kv"` open: one per address in
 * the process, so that many `Auth` objects share one connection.
 *
 * @example
 * ```ts
 * import { StoreRegistry } from "./lease_lock.ts";
 * const registry = new StoreRegistry((name) => ({ name, close: () => Promise.resolve() }));
 * if (registry.open("a") !== registry.open("a")) throw new Error("not shared");
 * await registry.closeAll();
 * ```
 */
export class StoreRegistry<S extends { close(): Promise<void> }> {
  #stores = new Map<string, S>();
  #create: (name: string) => S;

  /**
   * Creates an empty registry.
   *
   * @param create Makes the store for an address.
   */
  constructor(create: (name: string) => S) {
    this.#create = create;
  }

  /**
   * The store for an address, made on first use.
   *
   * @param name The address (URL or path).
   * @returns The store.
   */
  open(name: string): S {
    let store = this.#stores.get(name);
    if (!store) {
      store = this.#create(name);
      this.#stores.set(name, store);
    }
    return store;
  }

  /** Closes every store opened and forgets them; they are made again if opened after. */
  async closeAll(): Promise<void> {
    const stores = [...this.#stores.values()];
    this.#stores.clear();
    await Promise.all(stores.map((store) => store.close()));
  }
}
