/**
 * The file store: the store contract (`contract.ts`), then what is its own — the file's path and
 * JSON, key checks, a corrupt file, the cross-process lock around read-modify-write, and the
 * cleanup of a killed writer's temporary files.
 */

import { join } from "node:path";
import { Credential } from "../../src/credential.ts";
import { AuthError } from "../../src/errors.ts";
import { FileStore } from "../../src/store/file.ts";
import type { CredentialStore } from "../../src/store/types.ts";
import { writeSecretFile } from "../foundation/helpers.ts";
import { storeContract } from "./contract.ts";
import { assertEquals, assertRejectsWith, assertThrowsWith } from "../support/assert.ts";
import { fakeJwt } from "../support/jwt.ts";

const counterScript = new URL("./fixtures/lock_counter.ts", import.meta.url).pathname;

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-file-store-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

storeContract({
  name: "file store",
  async setup() {
    const dir = await Deno.makeTempDir({ prefix: "latchkey-file-store-" });
    return {
      open: () => new FileStore({ dir }),
      location: (key) => join(dir, `${key}.json`),
      [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
    };
  },
});

Deno.test("FileStore writes and reads back every field of a credential", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir: join(dir, "credentials") });
    const idToken = fakeJwt({ sub: "user-alice" });
    const credential = new Credential({
      accessToken: "access",
      refreshToken: "refresh",
      idToken,
      expiresAt: 2_000_000_000,
      issuedAt: 1_999_996_400,
      scope: "openid api",
      tokenType: "DPoP",
      issuer: "https://id.example.org",
      clientId: "cli",
    });
    await store.write("default", credential);
    const read = await store.read("default");
    assertEquals(read?.accessToken?.reveal(), "access");
    assertEquals(read?.refreshToken?.reveal(), "refresh");
    assertEquals(read?.idToken?.reveal(), idToken);
    assertEquals(read?.expiresAt, 2_000_000_000);
    assertEquals(read?.issuedAt, 1_999_996_400);
    assertEquals(read?.scope, "openid api");
    assertEquals(read?.tokenType, "DPoP");
    assertEquals(read?.issuer, "https://id.example.org");
    assertEquals(read?.clientId, "cli");
    assertEquals(read?.subject, "user-alice");
    assertEquals(store.location("default"), join(dir, "credentials", "default.json"));
    const json = JSON.parse(await Deno.readTextFile(store.location("default")));
    assertEquals(json.access_token, "access");
    assertEquals(json.expires_at, 2_000_000_000);
  });
});

Deno.test("FileStore reads a missing profile as undefined and deletes only what exists", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir: join(dir, "missing", "credentials") });
    assertEquals(await store.read("default"), undefined);
    assertEquals(await store.list(), []);
    assertEquals(await store.delete("default"), false);
    await store.write("work", new Credential({ accessToken: "w" }));
    await store.write("default", new Credential({ accessToken: "d" }));
    assertEquals(await store.list(), ["default", "work"]);
    assertEquals(await store.delete("work"), true);
    assertEquals(await store.list(), ["default"]);
    assertEquals(await store.read("work"), undefined);
  });
});

Deno.test("FileStore refuses a profile name that could escape its folder with TypeError", () => {
  const store = new FileStore({ dir: "/nonexistent" });
  for (const key of ["../evil", "a/b", "", ".hidden", "x".repeat(129)]) {
    const error = assertThrowsWith(() => store.location(key), TypeError);
    assertEquals(
      error.message,
      `Invalid profile name "${key}": use letters, digits, ".", "_" and "-" only`,
    );
  }
});

Deno.test("FileStore reports a corrupt credential file as BAD_TOKEN_FILE with its line", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir });
    await writeSecretFile(
      join(dir, "default.json"),
      '{\n  "access_token": "canary-cc33"\n  oops\n}',
    );
    const error = await assertRejectsWith(() => store.read("default"), AuthError, "BAD_TOKEN_FILE");
    assertEquals(
      error.message,
      `Cannot read token file "${join(dir, "default.json")}": not valid JSON at line 3`,
    );
  });
});

async function countUnderLock(stores: CredentialStore[], each: number, counter: string) {
  await Promise.all(stores.map(async (store) => {
    for (let i = 0; i < each; i++) {
      await store.lock("default", async () => {
        const n = Number(await Deno.readTextFile(counter));
        await new Promise((resolve) => setTimeout(resolve, 0));
        await Deno.writeTextFile(counter, String(n + 1));
      });
    }
  }));
}

Deno.test("two FileStore instances in one process lose no update under lock", async () => {
  await withTempDir(async (dir) => {
    const counter = join(dir, "counter.txt");
    await Deno.writeTextFile(counter, "0");
    await countUnderLock([new FileStore({ dir }), new FileStore({ dir })], 50, counter);
    assertEquals(await Deno.readTextFile(counter), "100");
  });
});

Deno.test("the unlocked control loses updates, so the lock test can fail", async () => {
  await withTempDir(async (dir) => {
    const counter = join(dir, "counter.txt");
    await Deno.writeTextFile(counter, "0");
    const noLock: Pick<CredentialStore, "lock"> = { lock: (_key, fn) => fn() };
    await countUnderLock([noLock, noLock] as CredentialStore[], 50, counter);
    const total = Number(await Deno.readTextFile(counter));
    assertEquals(total < 100, true, `expected lost updates without a lock, got ${total}`);
  });
});

Deno.test("two processes incrementing a counter under FileStore.lock lose no update", async () => {
  await withTempDir(async (dir) => {
    const counter = join(dir, "counter.txt");
    await Deno.writeTextFile(counter, "0");
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", counterScript, dir, "100"],
        cwd: new URL("../../", import.meta.url).pathname,
        stdout: "null",
        stderr: "piped",
      }).output();
    const results = await Promise.all([run(), run()]);
    for (const r of results) assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    assertEquals(await Deno.readTextFile(counter), "200");
  });
});

Deno.test("a lock is released when its critical section throws", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir });
    const boom = new Error("boom");
    const error = await assertRejectsWith(
      () => store.lock("default", () => Promise.reject(boom)),
      Error,
    );
    assertEquals(error, boom);
    assertEquals(await store.lock("default", () => Promise.resolve(42)), 42);
  });
});

Deno.test("a write removes temporary files a killed writer left more than a minute ago", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const old = `${dir}/.default.json.0000-dead.tmp`;
    const fresh = `${dir}/.default.json.1111-busy.tmp`;
    await Deno.writeTextFile(old, "secret");
    await Deno.writeTextFile(fresh, "secret");
    const longAgo = new Date(Date.now() - 5 * 60_000);
    await Deno.utime(old, longAgo, longAgo);
    await new FileStore({ dir }).write("default", new Credential({ accessToken: "t" }));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), [".default.json.1111-busy.tmp", "default.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
