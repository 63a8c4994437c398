import { createClient } from "redis";
import { AuthError } from "../../src/errors.ts";
import { importStoreKeys, sealCredential } from "../../src/store/encryption.ts";
import { type KvDatabase, KvStore } from "../../src/store/kv.ts";
import { closeRedisStores, openRedisStore, RedisStore } from "../../src/store/redis.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../assert.ts";
import { newStoreKey, overlaps, runLockWorkers, sampleCredential, sleep } from "./helpers.ts";
import { freePort, redisTest, startRedis } from "./redis_server.ts";
import { sealV1 } from "./seal_v1.ts";

async function rawClient(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  await client.connect();
  return client;
}

redisTest("redis store writes, reads, lists and deletes credentials", async () => {
  await using redis = await startRedis();
  await using store = new RedisStore({ url: redis.url, encryptionKey: false });
  assertEquals(store.kind, "redis");
  assertEquals(await store.read("alpha"), undefined);
  await store.write("alpha", sampleCredential("a"));
  await store.write("beta", sampleCredential("b"));
  const back = await store.read("alpha");
  assertEquals(back?.accessToken?.reveal(), "access-secret-a");
  assertEquals(back?.refreshToken?.reveal(), "refresh-secret-a");
  assertEquals(back?.idToken?.reveal(), "id-secret-a");
  assertEquals(back?.scope, "openid api");
  assertEquals(back?.expiresAt, sampleCredential("a").expiresAt);
  assertEquals(back?.issuer, "https://id.example.org");
  assertEquals(await store.list(), ["alpha", "beta"]);
  assertEquals(store.location("alpha"), `${redis.url}#latchkey:cred:alpha`);
  assertEquals(await store.delete("alpha"), true);
  assertEquals(await store.delete("alpha"), false);
  assertEquals(await store.list(), ["beta"]);
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

redisTest("redis store lock lets one of two processes in at a time", async () => {
  await using redis = await startRedis();
  const [a, b] = await runLockWorkers(["redis", redis.url], "counter", 15);
  assertEquals(a!.length + b!.length, 30);
  assertEquals(overlaps(a!, b!), 0);
  await using store = new RedisStore({ url: redis.url, encryptionKey: false });
  assertEquals((await store.read("counter"))?.scope, "30"); // no lost update
});

redisTest("redis store lock is released only by its holder", async () => {
  await using redis = await startRedis();
  await using store = new RedisStore({ url: redis.url, encryptionKey: false });
  const raw = await rawClient(redis.url);
  try {
    await store.lock("p", async () => {
      const mine = await raw.get("latchkey:lock:p");
      assert(mine !== null && /^[0-9a-f]{32}$/.test(mine));
      // Another process took the lock over (as after an expiry).
      await raw.set("latchkey:lock:p", "someone-else", { expiration: { type: "PX", value: 5000 } });
    });
    assertEquals(await raw.get("latchkey:lock:p"), "someone-else");
    await raw.del("latchkey:lock:p");
    await store.lock("p", () => Promise.resolve());
    assertEquals(await raw.get("latchkey:lock:p"), null); // released by its holder
  } finally {
    await raw.close();
  }
});

redisTest("redis store takes over the expired lock of a dead holder", async () => {
  await using redis = await startRedis();
  await using store = new RedisStore({ url: redis.url, encryptionKey: false });
  const raw = await rawClient(redis.url);
  try {
    await raw.set("latchkey:lock:p", "dead-holder", { expiration: { type: "PX", value: 400 } });
    const start = Date.now();
    const got = await store.lock("p", () => Promise.resolve("entered"));
    const waited = Date.now() - start;
    assertEquals(got, "entered");
    assert(waited >= 300 && waited < 3000, `waited ${waited} ms`);
  } finally {
    await raw.close();
  }
});

redisTest("redis store extends the lock while a live holder works past its TTL", async () => {
  await using redis = await startRedis();
  await using a = new RedisStore({ url: redis.url, encryptionKey: false, lockTtl: 0.3 });
  await using b = new RedisStore({ url: redis.url, encryptionKey: false, lockTtl: 0.3 });
  const order: string[] = [];
  const first = a.lock("p", async () => {
    order.push("a in");
    await sleep(1000);
    order.push("a out");
  });
  await sleep(50);
  await b.lock("p", () => Promise.resolve(order.push("b in")));
  await first;
  assertEquals(order, ["a in", "a out", "b in"]);
});

redisTest(
  "redis store gives up waiting for a lock after lockTimeout with STORE_UNAVAILABLE",
  async () => {
    await using redis = await startRedis();
    await using store = new RedisStore({ url: redis.url, encryptionKey: false, lockTimeout: 0.3 });
    const raw = await rawClient(redis.url);
    try {
      await raw.set("latchkey:lock:p", "busy", { expiration: { type: "PX", value: 5000 } });
      const error = await assertRejects(() => store.lock("p", () => Promise.resolve()), AuthError);
      assertEquals(error.code, "STORE_UNAVAILABLE");
    } finally {
      await raw.close();
    }
  },
);

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
  "redis store write over a credential read refuses with CONFLICTING_CREDENTIALS once another process replaced it",
  async () => {
    await using redis = await startRedis();
    await using a = new RedisStore({ url: redis.url, encryptionKey: false });
    await using b = new RedisStore({ url: redis.url, encryptionKey: false });
    await a.write("p", sampleCredential("0"));
    const c0 = await a.read("p");
    await b.write("p", sampleCredential("1"), { replaces: await b.read("p") });
    const late = await assertRejects(
      () => a.write("p", sampleCredential("2"), { replaces: c0 }),
      AuthError,
    );
    assertEquals(late.code, "CONFLICTING_CREDENTIALS");
    assert(!late.message.includes("secret"), late.message);
    assertEquals((await a.read("p"))?.accessToken?.reveal(), "access-secret-1");
    // Expecting no credential where one appeared: refused too.
    const appeared = await assertRejects(
      () => a.write("p", sampleCredential("2"), { replaces: null }),
      AuthError,
    );
    assertEquals(appeared.code, "CONFLICTING_CREDENTIALS");
    // Over the version read, and over its own write after: saved.
    const c1 = await a.read("p");
    const c2 = sampleCredential("2");
    await a.write("p", c2, { replaces: c1 });
    await a.write("p", sampleCredential("3"), { replaces: c2 });
    await a.write("q", sampleCredential("4"), { replaces: null });
    assertEquals((await b.read("p"))?.accessToken?.reveal(), "access-secret-3");
    assertEquals((await b.read("q"))?.accessToken?.reveal(), "access-secret-4");
  },
);

redisTest(
  "redis store delete ifHolds keeps a credential another process wrote since the read",
  async () => {
    await using redis = await startRedis();
    await using a = new RedisStore({ url: redis.url, encryptionKey: false });
    await using b = new RedisStore({ url: redis.url, encryptionKey: false });
    await a.write("p", sampleCredential("0"));
    const refused = await a.read("p");
    await b.write("p", sampleCredential("1"));
    assertEquals(await a.delete("p", { ifHolds: refused }), false);
    assertEquals((await a.read("p"))?.accessToken?.reveal(), "access-secret-1");
    assertEquals(await a.delete("p", { ifHolds: await a.read("p") }), true);
    assertEquals(await a.read("p"), undefined);
  },
);

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
