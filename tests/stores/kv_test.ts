/**
 * The kv store: the store contract (`contract.ts`, with its lease lock and fencing), then what is
 * its own — the database file, encryption at rest, sealed values from elsewhere or of the first
 * format, and the errors of a database it cannot open or of Deno KV being off.
 */

import { AuthError } from "../../src/errors.ts";
import { importStoreKeys, sealCredential } from "../../src/store/encryption.ts";
import { type KvDatabase, KvStore } from "../../src/store/kv.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { newStoreKey, sampleCredential } from "../fleet/helpers.ts";
import { sealV1 } from "../fleet/seal_v1.ts";
import { storeContract } from "./contract.ts";

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

storeContract({
  name: "kv store",
  lease: true,
  fenced: true,
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "latchkey-kv-" });
    const path = `${dir}/fleet.kv`;
    const opened: KvStore[] = [];
    const open = (settings = {}) => {
      const store = new KvStore({ path, encryptionKey: false, ...settings });
      opened.push(store);
      return store;
    };
    await open().list(); // creates the file 0600 before the raw handle opens it
    const raw = await openRaw(path);
    const lock = (key: string) => ["latchkey", "lock", key];
    return {
      open,
      location: (key) => `${path}#latchkey/cred/${key}`,
      workers: ["kv", path],
      lease: {
        async plant(key, holder, ms) {
          await raw.set(lock(key), { holder, expiresAt: Date.now() + ms });
        },
        async holder(key) {
          return ((await raw.get(lock(key))).value as { holder: string } | null)?.holder ?? null;
        },
        async clear(key) {
          await raw.delete(lock(key));
        },
      },
      async [Symbol.asyncDispose]() {
        raw.close();
        for (const store of opened) await store.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  },
});

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
