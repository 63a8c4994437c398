/**
 * Fleet credential stores: one login shared by many machines, on Redis or
 * Deno KV. A separate entry point so that the Redis client is loaded only by
 * programs that use it (`store: "redis"` and `store: "kv"` also load these
 * lazily through `Auth`).
 *
 * @example Share one profile through Deno KV (run with --unstable-kv)
 * ```ts ignore
 * import { Auth } from "@latchkey/latchkey";
 * const auth = new Auth({ store: "kv", kvPath: "/var/lib/app/latchkey.kv", profile: "workers" });
 * await auth.token();
 * ```
 *
 * @module
 */

export type { Credential, CredentialStore } from "./mod.ts";
export {
  closeRedisStores,
  openRedisStore,
  parseRedisUrl,
  RedisStore,
  type RedisStoreOptions,
} from "./src/store/redis.ts";
export {
  closeKvStores,
  type KvAtomic,
  type KvDatabase,
  type KvKey,
  KvStore,
  type KvStoreOptions,
  openKvStore,
} from "./src/store/kv.ts";
