/**
 * The `redis` fleet store: one credential per profile on a Redis server that
 * many machines share, with a refresh lock so that exactly one of them
 * refreshes and the others adopt its result.
 *
 * Keys (with the default prefix `latchkey:`):
 * - `latchkey:cred:<profile>`: the credential (see `encryption.ts` for the
 *   value's format);
 * - `latchkey:lock:<profile>`: the refresh lock, a lease (see
 *   `lease_lock.ts`) taken with `SET key <random token> NX PX <ttl>`,
 *   extended by its holder while it works, and released by a
 *   compare-and-delete script, so only the holder ever releases it. A holder
 *   that dies blocks the others for at most the lock TTL (10 s by default).
 *
 * Writes under the lock are fenced: a script sets the credential only while
 * the key still holds the value that was read (compare-and-set), so a holder
 * that froze past its lease cannot overwrite what the next holder saved.
 *
 * The connection (`redis_connection.ts`) is opened on first use. Every
 * failure to reach the server is an `AuthError` with the code
 * `STORE_UNAVAILABLE`; nothing in the store is deleted because of one.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { openCredential, sealCredential, type StoreKeyring } from "./encryption.ts";
import { isLoopback, parseRedisUrl, RedisConnection } from "./redis_connection.ts";
import {
  type Lease,
  seconds,
  storeKeyMemo,
  StoreRegistry,
  VersionMemo,
  withLeaseLock,
  writeConflict,
} from "./lease_lock.ts";
import { checkKey, type CredentialStore, type DeleteOptions, type WriteOptions } from "./types.ts";

/** Options of {@linkcode RedisStore}. */
export interface RedisStoreOptions {
  /**
   * The server: `redis://[user:password@]host[:port][/db]` or `rediss://…`
   * for TLS.
   */
  url: string;
  /**
   * The prefix of every key.
   *
   * @default {"latchkey:"}
   */
  prefix?: string | undefined;
  /**
   * Seconds a lock lives unless its holder extends it: how long a holder that
   * died blocks the others.
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
   * Seconds to wait for a connection or an answer before `STORE_UNAVAILABLE`
   * (a refused connection fails at once).
   *
   * @default {5}
   */
  timeout?: number | undefined;
  /**
   * The store keys (see `encryption.ts`): the base64 of 32 bytes, several
   * separated by commas; `false` for none.
   *
   * @default {the value of `LATCHKEY_STORE_KEY`, when set}
   */
  encryptionKey?: string | false | undefined;
}

export { parseRedisUrl };

/** Deletes a key only when it still holds the value given (a lock's token, a credential). */
const DELETE_IF = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`;

/** Sets a key only when it still holds ARGV[3] (ARGV[2] "1") or nothing (ARGV[2] "0"). */
const SET_IF = `local current = redis.call("GET", KEYS[1])
if (ARGV[2] == "0" and current) or (ARGV[2] == "1" and current ~= ARGV[3]) then
  return 0
end
redis.call("SET", KEYS[1], ARGV[1])
return 1`;

/** Extends the lock only when it still holds the caller's token. */
const EXTEND = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`;

/**
 * Keeps credentials on a Redis server. Safe to share among any number of
 * processes and machines. Open it with `store: "redis"` and `redisUrl` (or
 * `LATCHKEY_REDIS_URL`), or construct it to pass as `store`; call
 * {@linkcode RedisStore.prototype.close} (or `await using`) when done.
 *
 * @example
 * ```ts ignore
 * import { Auth } from "@latchkey/latchkey";
 * import { RedisStore } from "@latchkey/latchkey/fleet";
 * await using store = new RedisStore({ url: "redis://127.0.0.1:6379/0" });
 * const auth = new Auth({ store, profile: "batch", issuer: "https://id.example.org", clientId: "jobs" });
 * await auth.token();
 * ```
 */
export class RedisStore implements CredentialStore, AsyncDisposable {
  /** Always `redis`. */
  readonly kind = "redis" as const;
  #safe: string;
  #prefix: string;
  #lockTtlMs: number;
  #lockTimeoutMs: number;
  #connection: RedisConnection;
  #storeKeys: () => Promise<StoreKeyring | undefined>;
  #versions = new VersionMemo();

  /**
   * Creates the store; nothing is connected or opened until first use.
   *
   * @param options The server and the lock settings.
   * @throws {AuthError} `CONFIG_INVALID` for a URL that is not `redis:` or `rediss:`.
   * @throws {RangeError} For a non-positive time.
   */
  constructor(options: RedisStoreOptions) {
    const { url, safe } = parseRedisUrl(options.url);
    this.#safe = safe;
    this.#prefix = options.prefix ?? "latchkey:";
    this.#lockTtlMs = seconds(options.lockTtl, 10, "lockTtl") * 1000;
    this.#lockTimeoutMs = seconds(options.lockTimeout, 30, "lockTimeout") * 1000;
    this.#connection = new RedisConnection(
      url,
      safe,
      seconds(options.timeout, 5, "timeout") * 1000,
    );
    this.#storeKeys = storeKeyMemo(options.encryptionKey, (keys) => {
      if (!keys && url.protocol === "redis:" && !isLoopback(url.hostname)) {
        logger().warn(
          `credentials in the redis store "${safe}" travel and rest unencrypted: use rediss:// or set LATCHKEY_STORE_KEY`,
        );
      }
    });
  }

  /** The server's URL without credentials. */
  get url(): string {
    return this.#safe;
  }

  /**
   * Where a profile's credential lives, for messages (no secrets).
   *
   * @param key The profile name.
   * @returns The server and the key, e.g. `redis://127.0.0.1:6379/0#latchkey:cred:default`.
   */
  location(key: string): string {
    return `${this.#safe}#${this.#credKey(key)}`;
  }

  /**
   * Reads a profile's credential.
   *
   * @param key The profile name.
   * @returns The credential, or `undefined` when there is none.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached; `CONFIG_INVALID`
   * when the value cannot be decrypted.
   */
  async read(key: string): Promise<Credential | undefined> {
    const value = await this.#connection.run(
      "read a credential from",
      (c) => c.get(this.#credKey(key)),
    );
    if (value === null) return undefined;
    const credential = await openCredential(value, await this.#storeKeys(), {
      ...this.#binding(key),
      where: `redis store "${this.#safe}"`,
    });
    return this.#versions.remember(credential, value);
  }

  /**
   * Saves a profile's credential, replacing any other; with `replaces`, only
   * while the server still holds the value that credential was read from.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   * @param options The credential it replaces (fencing).
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached;
   * `CONFLICTING_CREDENTIALS` when another process replaced the credential since.
   */
  async write(key: string, credential: Credential, options: WriteOptions = {}): Promise<void> {
    const value = await sealCredential(credential, await this.#storeKeys(), this.#binding(key));
    const credKey = this.#credKey(key);
    const expected = this.#versions.expected(options.replaces);
    const saved = await this.#connection.run("save a credential to", async (c) => {
      if (expected === undefined) return await c.set(credKey, value) !== null;
      const args = [value, expected === null ? "0" : "1", expected ?? ""];
      return await c.eval(SET_IF, { keys: [credKey], arguments: args }) === 1;
    });
    if (!saved) throw writeConflict(`profile "${key}" to the redis store "${this.#safe}"`);
    this.#versions.remember(credential, value);
  }

  /**
   * Forgets a profile's credential; with `ifHolds`, only while the server
   * still holds the value that credential was read from.
   *
   * @param key The profile name.
   * @param options The credential that must still be there.
   * @returns Whether a credential was deleted.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached.
   */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    const credKey = this.#credKey(key);
    const expected = this.#versions.expected(options.ifHolds);
    const deleted = await this.#connection.run(
      "delete a credential from",
      (c) =>
        expected === undefined
          ? c.del(credKey)
          : c.eval(DELETE_IF, { keys: [credKey], arguments: [expected ?? ""] }),
    );
    return Number(deleted) > 0;
  }

  /**
   * Lists the profiles that hold a credential.
   *
   * @returns The profiles (and cache keys) that hold a credential.
   */
  async list(): Promise<string[]> {
    const pattern = `${this.#prefix.replace(/[*?[\]\\]/g, "\\$&")}cred:*`;
    const start = this.#prefix.length + "cred:".length;
    const keys = await this.#connection.run("list the credentials in", async (c) => {
      const found: string[] = [];
      for await (const batch of c.scanIterator({ MATCH: pattern, COUNT: 200 })) {
        for (const name of batch) found.push(name.slice(start));
      }
      return found;
    });
    return [...new Set(keys)].sort();
  }

  /**
   * Runs `fn` while holding the profile's lock on the server: waits (polling
   * with jitter) while another process holds it, extends it while `fn` runs,
   * and releases it only if it is still the holder's.
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached, or when the lock
   * stays taken for `lockTimeout` seconds.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = `${this.#prefix}lock:${checkKey(key)}`;
    const token = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const ttl = this.#lockTtlMs;
    const lease: Lease = {
      take: async () =>
        await this.#connection.run(
          "lock a credential in",
          (c) => c.set(lockKey, token, { condition: "NX", expiration: { type: "PX", value: ttl } }),
        ) !== null,
      extend: async () =>
        await this.#connection.run(
          "extend a lock in",
          (c) => c.eval(EXTEND, { keys: [lockKey], arguments: [token, String(ttl)] }),
        ) === 1,
      release: async () => {
        await this.#connection.run(
          "unlock a credential in",
          (c) => c.eval(DELETE_IF, { keys: [lockKey], arguments: [token] }),
        );
      },
    };
    return withLeaseLock(lease, {
      ttlMs: ttl,
      timeoutMs: this.#lockTimeoutMs,
      what: `profile "${key}" in the redis store "${this.#safe}"`,
      hint: `if no process is refreshing, delete the key "${lockKey}"`,
    }, fn);
  }

  /** Closes the connection; the store connects again if used after. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Closes the connection (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #credKey(key: string): string {
    return `${this.#prefix}cred:${checkKey(key)}`;
  }

  /** What a sealed value is bound to: this kind of store, its prefix and the profile. */
  #binding(key: string) {
    return { kind: this.kind, namespace: this.#prefix, profile: checkKey(key) };
  }
}

const shared = new StoreRegistry((url) => new RedisStore({ url }));

/**
 * The store that `store: "redis"` opens: one per URL in the process, so many
 * `Auth` objects share one connection.
 *
 * @param url The server's URL.
 * @returns The store.
 * @throws {AuthError} `CONFIG_INVALID` when the URL is missing or not a Redis URL.
 *
 * @example
 * ```ts
 * import { closeRedisStores, openRedisStore } from "@latchkey/latchkey/fleet";
 * const store = openRedisStore("redis://127.0.0.1:6379/0"); // connects on first use
 * if (store.kind !== "redis") throw new Error("not a redis store");
 * await closeRedisStores();
 * ```
 */
export function openRedisStore(url: string | undefined): RedisStore {
  if (!url) {
    throw new AuthError("CONFIG_INVALID", 'Cannot open the "redis" store: no Redis URL', {
      hint: "set LATCHKEY_REDIS_URL (or redisUrl), e.g. redis://127.0.0.1:6379/0",
    });
  }
  return shared.open(url);
}

/**
 * Closes the connections of the stores that `store: "redis"` opened (at the
 * end of a program or a test). They connect again if used after.
 *
 * @example
 * ```ts
 * import { closeRedisStores } from "@latchkey/latchkey/fleet";
 * await closeRedisStores(); // nothing open: a no-op
 * ```
 */
export function closeRedisStores(): Promise<void> {
  return shared.closeAll();
}
