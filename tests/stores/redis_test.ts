/**
 * The redis store (against a real redis-server, `../fleet/redis_server.ts`): the store contract
 * (`contract.ts`, with its lease lock and fencing), then what is its own — its key layout,
 * encryption at rest and key rotation, sealed values from elsewhere or of the first format, a
 * server that goes down or never ran, and its URL.
 */

import { createClient } from "redis";
import { AuthError } from "../../src/errors.ts";
import { importStoreKeys, sealCredential } from "../../src/store/encryption.ts";
import { type KvDatabase, KvStore } from "../../src/store/kv.ts";
import { closeRedisStores, openRedisStore, RedisStore } from "../../src/store/redis.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { newStoreKey, sampleCredential } from "../fleet/helpers.ts";
import { freePort, redisTest, startRedis } from "../fleet/redis_server.ts";
import { sealV1 } from "../fleet/seal_v1.ts";
import { storeContract } from "./contract.ts";

async function rawClient(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return client;
}

storeContract({
  name: "redis store",
  test: redisTest,
  lease: true,
  fenced: true,
  async setup() {
    const redis = await startRedis();
    const raw = await rawClient(redis.url);
    const opened: RedisStore[] = [];
    const lock = (key: string) => `latchkey:lock:${key}`;
    return {
      open(settings = {}) {
        const store = new RedisStore({ url: redis.url, encryptionKey: false, ...settings });
        opened.push(store);
        return store;
      },
      location: (key) => `${redis.url}#latchkey:cred:${key}`,
      workers: ["redis", redis.url],
      lease: {
        async plant(key, holder, ms) {
          await raw.set(lock(key), holder, { expiration: { type: "PX", value: ms } });
        },
        holder: (key) => raw.get(lock(key)),
        async clear(key) {
          await raw.del(lock(key));
        },
      },
      async [Symbol.asyncDispose]() {
        await raw.close();
        for (const store of opened) await store.close();
        await redis.stop();
      },
    };
  },
});

redisTest("redis store keys each profile as latchkey:cred:<profile>", async () => {
  await using redis = await startRedis();
  await using store = new RedisStore({ url: redis.url, encryptionKey: false });
  await store.write("shared", sampleCredential());
  const raw = await rawClient(redis.url);
  try {
    const value = await raw.get("latchkey:cred:shared");
    assert(value !== null);
    assertEquals(JSON.parse(value).access_token, "access-secret-1");
  } finally {
    await raw.close();
  }
});

redisTest("redis store encrypts values at rest with the store key", async () => {
  await using redis = await startRedis();
  const key = newStoreKey();
  await using store = new RedisStore({ url: redis.url, encryptionKey: key });
  await store.write("secret", sampleCredential());
  const raw = await rawClient(redis.url);
  try {
    const value = (await raw.get("latchkey:cred:secret"))!;
    assert(value.startsWith("latchkey:aes-256-gcm:v2:"), value.slice(0, 30));
    for (const secret of ["access-secret-1", "refresh-secret-1", "id-secret-1", "openid api"]) {
      assert(!value.includes(secret), `the raw value holds ${secret}`);
    }
    assertEquals((await store.read("secret"))?.refreshToken?.reveal(), "refresh-secret-1");

    // Another key, no key, or a value moved to another profile: a clear error.
    await using wrongKey = new RedisStore({ url: redis.url, encryptionKey: newStoreKey() });
    const wrong = await assertRejects(() => wrongKey.read("secret"), AuthError);
    assertEquals(wrong.code, "CONFIG_INVALID");
    assertStringIncludes(wrong.message, "another key");
    assert(!wrong.message.includes("secret-1"));
    await using noKey = new RedisStore({ url: redis.url, encryptionKey: false });
    assertEquals(
      (await assertRejects(() => noKey.read("secret"), AuthError)).code,
      "CONFIG_INVALID",
    );
    await raw.set("latchkey:cred:moved", value);
    const moved = await assertRejects(() => store.read("moved"), AuthError);
    assertStringIncludes(moved.message, "decryption failed");

    // A plaintext value is refused while a key is set (nobody can plant a credential).
    await noKey.write("plain", sampleCredential());
    const plain = await assertRejects(() => store.read("plain"), AuthError);
    assertStringIncludes(plain.message, "unencrypted");

    // Key rotation: the new key first, the old one still opens old values.
    await using rotated = new RedisStore({
      url: redis.url,
      encryptionKey: `${newStoreKey()},${key}`,
    });
    assertEquals((await rotated.read("secret"))?.accessToken?.reveal(), "access-secret-1");
  } finally {
    await raw.close();
  }
});

redisTest(
  "redis store refuses a sealed value copied under another prefix or into the kv store",
  async () => {
    await using redis = await startRedis();
    const key = newStoreKey();
    await using store = new RedisStore({ url: redis.url, encryptionKey: key });
    await using other = new RedisStore({ url: redis.url, encryptionKey: key, prefix: "other:" });
    await store.write("p", sampleCredential());
    const raw = await rawClient(redis.url);
    const kv = await (Deno as unknown as { openKv(path: string): Promise<KvDatabase> })
      .openKv(":memory:");
    try {
      const value = (await raw.get("latchkey:cred:p"))!;
      await raw.set("other:cred:p", value);
      const moved = await assertRejects(() => other.read("p"), AuthError);
      assertEquals(moved.code, "CONFIG_INVALID");
      assertStringIncludes(moved.message, "decryption failed");
      await kv.set(["latchkey", "cred", "p"], value);
      await using kvStore = new KvStore({ kv, encryptionKey: key });
      const crossed = await assertRejects(() => kvStore.read("p"), AuthError);
      assertEquals(crossed.code, "CONFIG_INVALID");
      assertStringIncludes(crossed.message, "decryption failed");
      // Sealed for the other prefix, it opens there.
      await other.write("p", sampleCredential("2"));
      assertEquals((await other.read("p"))?.accessToken?.reveal(), "access-secret-2");
    } finally {
      kv.close();
      await raw.close();
    }
  },
);

redisTest(
  "redis store opens a value sealed in the first format and reseals it on the next write",
  async () => {
    await using redis = await startRedis();
    const key = newStoreKey();
    const keys = await importStoreKeys(key);
    await using store = new RedisStore({ url: redis.url, encryptionKey: key });
    const raw = await rawClient(redis.url);
    try {
      const text = await sealCredential(sampleCredential("old"), undefined, {
        kind: "redis",
        namespace: "latchkey:",
        profile: "p",
      });
      await raw.set("latchkey:cred:p", await sealV1(text, keys.current, "p"));
      const old = await store.read("p");
      assertEquals(old?.refreshToken?.reveal(), "refresh-secret-old");
      await store.write("p", sampleCredential("new"), { replaces: old });
      const value = (await raw.get("latchkey:cred:p"))!;
      assert(value.startsWith("latchkey:aes-256-gcm:v2:"), value.slice(0, 30));
      assertEquals((await store.read("p"))?.refreshToken?.reveal(), "refresh-secret-new");
    } finally {
      await raw.close();
    }
  },
);

redisTest(
  "redis store reports STORE_UNAVAILABLE while the server is down, then recovers",
  async () => {
    await using redis = await startRedis();
    await using store = new RedisStore({ url: redis.url, encryptionKey: false, timeout: 1 });
    await store.write("p", sampleCredential());
    await redis.kill();
    for (const action of [() => store.read("p"), () => store.lock("p", () => Promise.resolve())]) {
      const start = Date.now();
      const error = await assertRejects(action, AuthError);
      assertEquals(error.code, "STORE_UNAVAILABLE");
      assertStringIncludes(error.message, `redis store "${redis.url}"`);
      assertStringIncludes(error.hint ?? "", "Redis server is running");
      assert(Date.now() - start < 2500, "failed fast");
    }
    await redis.restart();
    await store.write("p", sampleCredential("2"));
    assertEquals((await store.read("p"))?.accessToken?.reveal(), "access-secret-2");
  },
);

Deno.test("redis store reports STORE_UNAVAILABLE for a server that never ran", async () => {
  await using store = new RedisStore({ url: `redis://127.0.0.1:${freePort()}`, timeout: 1 });
  const error = await assertRejects(() => store.list(), AuthError);
  assertEquals(error.code, "STORE_UNAVAILABLE");
});

Deno.test("redis store refuses a URL that is not redis: or rediss:", async () => {
  for (const url of ["http://127.0.0.1:6379", "not a url"]) {
    let caught: unknown;
    try {
      new RedisStore({ url });
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof AuthError && caught.code === "CONFIG_INVALID");
  }
  const error = await assertRejects(
    () => Promise.resolve().then(() => openRedisStore("")),
    AuthError,
  );
  assertEquals(error.code, "CONFIG_INVALID");
  await closeRedisStores();
});

Deno.test("redis store never shows the URL's password", async () => {
  await using store = new RedisStore({ url: "redis://user:hunter2@127.0.0.1:1/3" });
  assertEquals(store.url, "redis://127.0.0.1:1/3");
  assert(!store.location("p").includes("hunter2"));
});
