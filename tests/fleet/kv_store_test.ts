import { AuthError } from "../../src/errors.ts";
import { importStoreKeys, sealCredential } from "../../src/store/encryption.ts";
import { type KvDatabase, KvStore } from "../../src/store/kv.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../assert.ts";
import { newStoreKey, overlaps, runLockWorkers, sampleCredential, sleep } from "./helpers.ts";
import { sealV1 } from "./seal_v1.ts";

if (typeof (Deno as { openKv?: unknown }).openKv !== "function") {
  throw new Error("The kv store tests need Deno KV: run deno test with --unstable-kv");
}

function openRaw(path: string): Promise<KvDatabase> {
  return (Deno as unknown as { openKv(path: string): Promise<KvDatabase> }).openKv(path);
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-kv-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("kv store writes, reads, lists and deletes credentials in a database file", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using store = new KvStore({ path, encryptionKey: false });
    assertEquals(store.kind, "kv");
    assertEquals(await store.read("alpha"), undefined);
    await store.write("alpha", sampleCredential("a"));
    await store.write("beta", sampleCredential("b"));
    const back = await store.read("alpha");
    assertEquals(back?.accessToken?.reveal(), "access-secret-a");
    assertEquals(back?.refreshToken?.reveal(), "refresh-secret-a");
    assertEquals(back?.expiresAt, sampleCredential("a").expiresAt);
    assertEquals(await store.list(), ["alpha", "beta"]);
    assertEquals(store.location("alpha"), `${path}#latchkey/cred/alpha`);
    assertEquals(await store.delete("alpha"), true);
    assertEquals(await store.delete("alpha"), false);
    assertEquals(await store.list(), ["beta"]);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    await store.close();
    const raw = await openRaw(path);
    try {
      const entry = await raw.get(["latchkey", "cred", "beta"]);
      assertEquals(JSON.parse(entry.value as string).access_token, "access-secret-b");
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv store lock lets one of two processes in at a time", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    const [a, b] = await runLockWorkers(["kv", path], "counter", 15);
    assertEquals(a!.length + b!.length, 30);
    assertEquals(overlaps(a!, b!), 0);
    await using store = new KvStore({ path, encryptionKey: false });
    assertEquals((await store.read("counter"))?.scope, "30"); // no lost update
  });
});

Deno.test("kv store lock is released only by its holder", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using store = new KvStore({ path, encryptionKey: false });
    await store.list(); // creates the file 0600 before the raw handle opens it
    const raw = await openRaw(path);
    try {
      const key = ["latchkey", "lock", "p"];
      await store.lock("p", async () => {
        const mine = (await raw.get(key)).value as { holder: string };
        assert(/^[0-9a-f]{32}$/.test(mine.holder));
        await raw.set(key, { holder: "someone-else", expiresAt: Date.now() + 5000 });
      });
      assertEquals(((await raw.get(key)).value as { holder: string }).holder, "someone-else");
      await raw.delete(key);
      await store.lock("p", () => Promise.resolve());
      assertEquals((await raw.get(key)).versionstamp, null); // released by its holder
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv store takes over the expired lock of a dead holder", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using store = new KvStore({ path, encryptionKey: false });
    await store.list();
    const raw = await openRaw(path);
    try {
      await raw.set(["latchkey", "lock", "p"], { holder: "dead", expiresAt: Date.now() + 400 });
      const start = Date.now();
      assertEquals(await store.lock("p", () => Promise.resolve("entered")), "entered");
      const waited = Date.now() - start;
      assert(waited >= 300 && waited < 3000, `waited ${waited} ms`);
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv store extends the lock while a live holder works past its TTL", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using a = new KvStore({ path, encryptionKey: false, lockTtl: 0.3 });
    await using b = new KvStore({ path, encryptionKey: false, lockTtl: 0.3 });
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
});

Deno.test("kv store gives up waiting for a lock after lockTimeout with STORE_UNAVAILABLE", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using store = new KvStore({ path, encryptionKey: false, lockTimeout: 0.3 });
    await store.list();
    const raw = await openRaw(path);
    try {
      await raw.set(["latchkey", "lock", "p"], { holder: "busy", expiresAt: Date.now() + 5000 });
      const error = await assertRejects(() => store.lock("p", () => Promise.resolve()), AuthError);
      assertEquals(error.code, "STORE_UNAVAILABLE");
    } finally {
      raw.close();
    }
  });
});

Deno.test("kv store encrypts values at rest with the store key", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    const key = newStoreKey();
    await using store = new KvStore({ path, encryptionKey: key });
    await store.write("secret", sampleCredential());
    await store.close();
    const bytes = await Deno.readFile(path).catch(() => new Uint8Array());
    const wal = await Deno.readFile(`${path}-wal`).catch(() => new Uint8Array());
    const onDisk = new TextDecoder().decode(bytes) + new TextDecoder().decode(wal);
    assert(!onDisk.includes("access-secret-1") && !onDisk.includes("refresh-secret-1"));
    const raw = await openRaw(path);
    try {
      const value = (await raw.get(["latchkey", "cred", "secret"])).value as string;
      assert(value.startsWith("latchkey:aes-256-gcm:v2:"));
      assert(!value.includes("access-secret-1"));
    } finally {
      raw.close();
    }
    assertEquals((await store.read("secret"))?.accessToken?.reveal(), "access-secret-1");
    await using wrongKey = new KvStore({ path, encryptionKey: newStoreKey() });
    const wrong = await assertRejects(() => wrongKey.read("secret"), AuthError);
    assertEquals(wrong.code, "CONFIG_INVALID");
    assertStringIncludes(wrong.message, `kv store "${path}"`);
    await using noKey = new KvStore({ path, encryptionKey: false });
    assertEquals(
      (await assertRejects(() => noKey.read("secret"), AuthError)).code,
      "CONFIG_INVALID",
    );
  });
});

Deno.test("kv store write over a credential read refuses with CONFLICTING_CREDENTIALS once another process replaced it", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using a = new KvStore({ path, encryptionKey: false });
    await using b = new KvStore({ path, encryptionKey: false });
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
  });
});

Deno.test("kv store delete ifHolds keeps a credential another process wrote since the read", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/fleet.kv`;
    await using a = new KvStore({ path, encryptionKey: false });
    await using b = new KvStore({ path, encryptionKey: false });
    await a.write("p", sampleCredential("0"));
    const refused = await a.read("p");
    await b.write("p", sampleCredential("1"));
    assertEquals(await a.delete("p", { ifHolds: refused }), false);
    assertEquals((await a.read("p"))?.accessToken?.reveal(), "access-secret-1");
    assertEquals(await a.delete("p", { ifHolds: await a.read("p") }), true);
    assertEquals(await a.read("p"), undefined);
  });
});

Deno.test("kv store refuses a sealed value copied from the redis store", async () => {
  const key = newStoreKey();
  const kv = await openRaw(":memory:");
  try {
    // What the redis store (prefix "latchkey:") seals for profile "p".
    const value = await sealCredential(sampleCredential(), await importStoreKeys(key), {
      kind: "redis",
      namespace: "latchkey:",
      profile: "p",
    });
    await kv.set(["latchkey", "cred", "p"], value);
    await using store = new KvStore({ kv, encryptionKey: key });
    const crossed = await assertRejects(() => store.read("p"), AuthError);
    assertEquals(crossed.code, "CONFIG_INVALID");
    assertStringIncludes(crossed.message, "decryption failed");
    await store.write("p", sampleCredential("2"));
    assertEquals((await store.read("p"))?.accessToken?.reveal(), "access-secret-2");
  } finally {
    kv.close();
  }
});

Deno.test("kv store opens a value sealed in the first format and reseals it on the next write", async () => {
  const key = newStoreKey();
  const keys = await importStoreKeys(key);
  const kv = await openRaw(":memory:");
  try {
    const text = await sealCredential(sampleCredential("old"), undefined, {
      kind: "kv",
      namespace: "latchkey",
      profile: "p",
    });
    await kv.set(["latchkey", "cred", "p"], await sealV1(text, keys.current, "p"));
    await using store = new KvStore({ kv, encryptionKey: key });
    const old = await store.read("p");
    assertEquals(old?.refreshToken?.reveal(), "refresh-secret-old");
    await store.write("p", sampleCredential("new"), { replaces: old });
    const value = (await kv.get(["latchkey", "cred", "p"])).value as string;
    assert(value.startsWith("latchkey:aes-256-gcm:v2:"), value.slice(0, 30));
    assertEquals((await store.read("p"))?.refreshToken?.reveal(), "refresh-secret-new");
  } finally {
    kv.close();
  }
});

Deno.test("kv store reports STORE_UNAVAILABLE when the database cannot be opened", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/not-a-folder`, "");
    await using store = new KvStore({ path: `${dir}/not-a-folder/fleet.kv` });
    const error = await assertRejects(() => store.read("p"), AuthError);
    assertEquals(error.code, "STORE_UNAVAILABLE");
    assert(error.hint);
  });
});

Deno.test("kv store tells to run with --unstable-kv when Deno KV is off", async () => {
  const code = `
    const { KvStore } = await import(${
    JSON.stringify(new URL("../../src/store/kv.ts", import.meta.url).href)
  });
    try { await new KvStore({ path: ":memory:" }).read("p"); } catch (e) { console.log(e.code, e.hint); }
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertStringIncludes(text, "STORE_UNAVAILABLE");
  assertStringIncludes(text, "--unstable-kv");
});
