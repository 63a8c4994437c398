/**
 * The `redis` fleet store: one credential per profile on a Redis server that
 * many machines share, with a refresh lock so that exactly one of them
 * refreshes and the others adopt its result.
 *
 * Keys (with the default prefix `latchkey:`):
 * - `latchkey:cred:<profile>`: the credential (see `encryption.ts` for the
 *   value's format);
 * - `latchkey:lock:<profile>`: the refresh lock, taken with
 *   `SET key <random token> NX PX <ttl>`, extended by its holder while it
 *   works, and released by a compare-and-delete script, so only the holder
 *   ever releases it. A holder that dies blocks the others for at most the
 *   lock TTL (10 s by default).
 *
 * The connection is opened on first use, does not keep the process alive
 * when idle, and is not reconnected in the background: a failed command
 * drops it, and the next one connects again. Every failure to reach the
 * server is an `AuthError` with the code `STORE_UNAVAILABLE`; nothing in the
 * store is deleted because of one.
 *
 * @module
 */

import { createClient, ErrorReply, type RedisClientType } from "redis";
import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import {
  importStoreKeys,
  openCredential,
  sealCredential,
  type StoreKeyring,
  storeKeysFromEnv,
} from "./encryption.ts";
import { checkKey, type CredentialStore } from "./types.ts";

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
   * Seconds to wait for a lock before giving up with `TIMEOUT`.
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

type Client = RedisClientType;

/** Deletes the lock only when it still holds the caller's token. */
const RELEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`;

/** Extends the lock only when it still holds the caller's token. */
const EXTEND = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`;

function seconds(value: number | undefined, fallback: number, name: string): number {
  const s = value ?? fallback;
  if (!Number.isFinite(s) || s <= 0) {
    throw new RangeError(`Invalid "${name}": expected a positive number of seconds, got ${value}`);
  }
  return s;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses a Redis URL and returns it without credentials, for messages.
 *
 * @param url The URL.
 * @returns The parsed URL and its safe form.
 * @throws {AuthError} `CONFIG_INVALID` for anything but `redis:` or `rediss:`.
 *
 * @example
 * ```ts
 * import { parseRedisUrl } from "@latchkey/latchkey/fleet";
 * const { safe } = parseRedisUrl("redis://:s3cret@127.0.0.1:6379/0");
 * console.assert(!safe.includes("s3cret"));
 * ```
 */
export function parseRedisUrl(url: string): { url: URL; safe: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new AuthError(
      "CONFIG_INVALID",
      "Invalid Redis URL: expected redis://host[:port][/db] or rediss://…",
      { hint: "set LATCHKEY_REDIS_URL (or redisUrl), e.g. redis://127.0.0.1:6379/0" },
    );
  }
  const db = /^\/\d+$/.test(parsed.pathname) ? parsed.pathname : "/0";
  const safe = `${parsed.protocol}//${parsed.hostname}:${parsed.port || "6379"}${db}`;
  return { url: parsed, safe };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A jittered, growing wait between lock attempts: 10–30 ms at first, at most 150–450 ms. */
function backoff(attempt: number): number {
  const base = Math.min(300, 20 * 1.5 ** attempt);
  return base * (0.5 + Math.random());
}

/**
 * Keeps credentials on a Redis server. Safe to share among any number of
 * processes and machines. Open it with `store: "redis"` and `redisUrl` (or
 * `LATCHKEY_REDIS_URL`), or construct it to pass as `store`; call
 * {@linkcode RedisStore.prototype.close} (or `await using`) when done.
 *
 * @example
 * ```ts ignore
 * import { Auth, RedisStore } from "@latchkey/latchkey";
 * await using store = new RedisStore({ url: "redis://127.0.0.1:6379/0" });
 * const auth = new Auth({ store, profile: "batch", issuer: "https://id.example.org", clientId: "jobs" });
 * await auth.token();
 * ```
 */
export class RedisStore implements CredentialStore, AsyncDisposable {
  /** Always `redis`. */
  readonly kind = "redis" as const;
  #url: URL;
  #safe: string;
  #prefix: string;
  #lockTtlMs: number;
  #lockTimeoutMs: number;
  #timeoutMs: number;
  #keyOption: string | false | undefined;
  #keys: Promise<StoreKeyring | undefined> | undefined;
  #client: Promise<Client> | undefined;
  #busy = 0;

  /**
   * Creates the store; nothing is connected or opened until first use.
   *
   * @param options The server and the lock settings.
   * @throws {AuthError} `CONFIG_INVALID` for a URL that is not `redis:` or `rediss:`.
   * @throws {RangeError} For a non-positive time.
   */
  constructor(options: RedisStoreOptions) {
    const { url, safe } = parseRedisUrl(options.url);
    this.#url = url;
    this.#safe = safe;
    this.#prefix = options.prefix ?? "latchkey:";
    this.#lockTtlMs = seconds(options.lockTtl, 10, "lockTtl") * 1000;
    this.#lockTimeoutMs = seconds(options.lockTimeout, 30, "lockTimeout") * 1000;
    this.#timeoutMs = seconds(options.timeout, 5, "timeout") * 1000;
    this.#keyOption = options.encryptionKey;
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
    const value = await this.#run("read a credential from", (c) => c.get(this.#credKey(key)));
    if (value === null) return undefined;
    return await openCredential(value, await this.#storeKeys(), {
      profile: key,
      where: `redis store "${this.#safe}"`,
    });
  }

  /**
   * Saves a profile's credential, replacing any other.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const value = await sealCredential(credential, await this.#storeKeys(), { profile: key });
    await this.#run("save a credential to", (c) => c.set(this.#credKey(key), value));
  }

  /**
   * Forgets a profile's credential.
   *
   * @param key The profile name.
   * @returns Whether there was a credential.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached.
   */
  async delete(key: string): Promise<boolean> {
    return (await this.#run("delete a credential from", (c) => c.del(this.#credKey(key)))) > 0;
  }

  /**
   * Lists the profiles that hold a credential.
   *
   * @returns The profiles (and cache keys) that hold a credential.
   */
  async list(): Promise<string[]> {
    const pattern = `${this.#prefix.replace(/[*?[\]\\]/g, "\\$&")}cred:*`;
    const start = this.#prefix.length + "cred:".length;
    const keys = await this.#run("list the credentials in", async (c) => {
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
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached; `TIMEOUT` when
   * the lock stays taken for `lockTimeout` seconds.
   */
  async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = `${this.#prefix}lock:${checkKey(key)}`;
    const token = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const ttl = this.#lockTtlMs;
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (let attempt = 0;; attempt++) {
      const taken = await this.#run(
        "lock a credential in",
        (c) => c.set(lockKey, token, { condition: "NX", expiration: { type: "PX", value: ttl } }),
      );
      if (taken !== null) break;
      if (Date.now() >= deadline) {
        throw new AuthError(
          "STORE_UNAVAILABLE",
          `Cannot lock profile "${key}" in the redis store "${this.#safe}": another process held the lock for ${
            this.#lockTimeoutMs / 1000
          } s`,
          { hint: `if no process is refreshing, delete the key "${lockKey}"` },
        );
      }
      await sleep(backoff(attempt));
    }
    const extend = setInterval(() => {
      this.#run(
        "extend a lock in",
        (c) => c.eval(EXTEND, { keys: [lockKey], arguments: [token, String(ttl)] }),
      )
        .then((kept) => {
          if (kept === 0) logger().debug(`lost the redis lock of profile "${key}" (expired)`);
        })
        .catch(() => {}); // the lock expires on its own
    }, this.#lockTtlMs / 3);
    Deno.unrefTimer(extend);
    try {
      return await fn();
    } finally {
      clearInterval(extend);
      await this.#run(
        "unlock a credential in",
        (c) => c.eval(RELEASE, { keys: [lockKey], arguments: [token] }),
      ).catch((error) => {
        logger().debug(`could not release the redis lock of profile "${key}": ${error.message}`);
      });
    }
  }

  /** Closes the connection; the store connects again if used after. */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    const c = await client.catch(() => undefined);
    if (!c?.isOpen) return;
    await c.close().catch(() => c.destroy());
  }

  /** Closes the connection (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #credKey(key: string): string {
    return `${this.#prefix}cred:${checkKey(key)}`;
  }

  #storeKeys(): Promise<StoreKeyring | undefined> {
    if (!this.#keys) {
      const option = this.#keyOption;
      this.#keys = option === false
        ? Promise.resolve(undefined)
        : option !== undefined
        ? importStoreKeys(option)
        : storeKeysFromEnv();
      this.#keys.then((keys) => {
        if (!keys && this.#url.protocol === "redis:" && !isLoopback(this.#url.hostname)) {
          logger().warn(
            `credentials in the redis store "${this.#safe}" travel and rest unencrypted: use rediss:// or set LATCHKEY_STORE_KEY`,
          );
        }
      }, () => {
        this.#keys = undefined; // a bad key is reported on every use, not cached
      });
    }
    return this.#keys;
  }

  #unavailable(action: string, cause: unknown): AuthError {
    const detail = cause instanceof Error && cause.message ? cause.message : String(cause);
    return new AuthError(
      "STORE_UNAVAILABLE",
      `Cannot ${action} the redis store "${this.#safe}": ${detail}`,
      {
        cause,
        hint:
          "check that the Redis server is running and LATCHKEY_REDIS_URL is right; the stored credential is kept, and a valid access token stays usable",
      },
    );
  }

  /** The connected client: the current one while it is ready, else a new one. */
  async #connect(): Promise<Client> {
    for (let attempt = 0;; attempt++) {
      const pending = this.#client ??= this.#newClient();
      const client = await pending;
      if (client.isReady || attempt > 0) return client;
      if (this.#client === pending) this.#client = undefined; // it died since: connect again
    }
  }

  #newClient(): Promise<Client> {
    const client: Client = createClient({
      url: this.#url.href,
      disableOfflineQueue: true,
      socket: { connectTimeout: this.#timeoutMs, reconnectStrategy: false },
    });
    client.on("error", () => {}); // the command that fails reports it; nothing is logged here
    const connecting = (async () => {
      try {
        await client.connect();
      } catch (error) {
        client.destroy();
        throw error;
      }
      client.unref(); // an idle connection never keeps the process alive
      return client;
    })();
    connecting.catch(() => {
      if (this.#client === connecting) this.#client = undefined;
    });
    return connecting;
  }

  async #run<T>(action: string, fn: (client: Client) => Promise<T>): Promise<T> {
    let client: Client | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.#timeoutMs / 1000} s`)),
          this.#timeoutMs,
        );
      });
      client = await Promise.race([this.#connect(), timeout]);
      if (this.#busy++ === 0) client.ref();
      try {
        return await Promise.race([fn(client), timeout]);
      } finally {
        if (--this.#busy === 0 && client.isOpen) client.unref();
      }
    } catch (error) {
      if (error instanceof AuthError) throw error;
      // A broken or stuck connection is closed; the next call connects again.
      if (!(error instanceof ErrorReply) && client?.isOpen) client.destroy();
      throw this.#unavailable(action, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

const shared = new Map<string, RedisStore>();

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
 * console.assert(store.kind === "redis");
 * await closeRedisStores();
 * ```
 */
export function openRedisStore(url: string | undefined): RedisStore {
  if (!url) {
    throw new AuthError("CONFIG_INVALID", 'Cannot open the "redis" store: no Redis URL', {
      hint: "set LATCHKEY_REDIS_URL (or redisUrl), e.g. redis://127.0.0.1:6379/0",
    });
  }
  let store = shared.get(url);
  if (!store) {
    store = new RedisStore({ url });
    shared.set(url, store);
  }
  return store;
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
export async function closeRedisStores(): Promise<void> {
  const stores = [...shared.values()];
  shared.clear();
  await Promise.all(stores.map((store) => store.close()));
}
