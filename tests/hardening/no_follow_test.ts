/**
 * No-follow opens: the file store's lock file and credential files are opened without following a
 * symbolic link, and what was opened is checked on the open descriptor, not by path beforehand.
 * A planted link (to a file or to nothing) is refused without touching its target; a file swapped
 * for a link, a looser file or a FIFO between the store's check and its open is refused; so is one
 * swapped between the two opens `openNoFollow` makes. The swaps are made deterministic by wrapping
 * `Deno.lstat`, `Deno.realPath` or `Deno.open` for the length of one test (each test file runs in
 * its own worker, and the tests of a file one after the other).
 */

import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertRejectsWith,
  assertStringIncludes,
} from "../support/assert.ts";
import { Credential } from "../../src/credential.ts";
import { AuthError } from "../../src/errors.ts";
import { openNoFollow, readIfExistsNoFollow, withFileLock } from "../../src/fs/secure.ts";
import { type Renewer, Session } from "../../src/session.ts";
import { FileStore } from "../../src/store/file.ts";
import { within } from "./helpers.ts";

const credential = new Credential({
  accessToken: "access",
  refreshToken: "refresh",
  expiresAt: 2_000_000_000,
});

const PLANTED = JSON.stringify({ access_token: "planted" });

interface Layout extends AsyncDisposable {
  /** The store's folder. */
  dir: string;
  /** A file outside the store, 0600, holding {@linkcode PLANTED}. */
  outside: string;
  store: FileStore;
}

async function layout(): Promise<Layout> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "latchkey-no-follow-" }));
  const dir = join(root, "credentials");
  await Deno.mkdir(dir, { mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const outside = join(root, "outside.json");
  await Deno.writeTextFile(outside, PLANTED, { mode: 0o600 });
  await Deno.chmod(outside, 0o600);
  const longAgo = new Date(Date.now() - 3_600_000);
  await Deno.utime(outside, longAgo, longAgo);
  return {
    dir,
    outside,
    store: new FileStore({ dir }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Content, mode and modification time: what "left untouched" means. */
async function fingerprint(path: string): Promise<[string, number | null, number | undefined]> {
  const info = await Deno.stat(path);
  return [await Deno.readTextFile(path), info.mode, info.mtime?.getTime()];
}

/** Replaces one `Deno` function for the length of `fn`. */
async function patched<K extends "lstat" | "realPath" | "open", T>(
  name: K,
  replacement: (original: typeof Deno[K]) => typeof Deno[K],
  fn: () => Promise<T>,
): Promise<T> {
  const original = Deno[name];
  (Deno as Record<K, typeof Deno[K]>)[name] = replacement(original.bind(Deno) as typeof Deno[K]);
  try {
    return await fn();
  } finally {
    (Deno as Record<K, typeof Deno[K]>)[name] = original;
  }
}

Deno.test("a lock file that is a symbolic link out of the store is refused, its target untouched", async () => {
  await using env = await layout();
  const lock = join(env.dir, "default.lock");
  await Deno.symlink(env.outside, lock);
  const before = await fingerprint(env.outside);
  let ran = false;
  const error = await assertRejectsWith(
    () => env.store.lock("default", () => Promise.resolve(ran = true)),
    AuthError,
    "INSECURE_PERMISSIONS",
  );
  assertEquals(error.message, `Refusing to use lock file "${lock}": it is a symbolic link`);
  assertEquals(ran, false, "the critical section did not run");
  assertEquals(await fingerprint(env.outside), before);
});

Deno.test("a dangling lock file link is refused and its target is not created", async () => {
  await using env = await layout();
  const target = join(env.dir, "..", "created-by-the-lock.txt");
  await Deno.symlink(target, join(env.dir, "default.lock"));
  await assertRejectsWith(
    () => env.store.lock("default", () => Promise.resolve()),
    AuthError,
    "INSECURE_PERMISSIONS",
  );
  assertEquals(await Deno.lstat(target).catch(() => undefined), undefined);
});

Deno.test("a renewal is refused, with no provider call, when the lock file is a link", async () => {
  await using env = await layout();
  await env.store.write(
    "default",
    new Credential({ accessToken: "old", refreshToken: "r", expiresAt: 1 }),
  );
  await Deno.symlink(env.outside, join(env.dir, "default.lock"));
  let calls = 0;
  const renewer: Renewer = {
    canRenew: () => true,
    renew: () => Promise.resolve(new Credential({ accessToken: `new-${++calls}` })),
  };
  const session = new Session({ store: env.store, key: "default", renewer });
  await assertRejectsWith(() => session.credential(), AuthError, "INSECURE_PERMISSIONS");
  assertEquals(calls, 0);
  assertEquals(await Deno.readTextFile(env.outside), PLANTED);
});

Deno.test("a lock file swapped for a link between the no-follow open and the locking open is refused", async () => {
  await using env = await layout();
  const lock = join(env.dir, "default.lock");
  const before = await fingerprint(env.outside);
  let swapped = false;
  const error = await patched("open", (open) => async (path, options) => {
    if (String(path) === lock && !swapped) {
      swapped = true;
      await Deno.remove(lock);
      await Deno.symlink(env.outside, lock);
    }
    return await open(path, options);
  }, () =>
    assertRejectsWith(
      () => withFileLock(lock, () => Promise.resolve()),
      AuthError,
      "INSECURE_PERMISSIONS",
    ));
  assert(swapped, "the swap happened");
  assertEquals(
    error.message,
    `Refusing to use lock file "${lock}": it was replaced while it was being opened`,
  );
  assertEquals(await fingerprint(env.outside), before);
});

Deno.test("a credential file swapped for a link out of the store after its check is refused", async () => {
  await using env = await layout();
  await env.store.write("default", credential);
  const path = env.store.location("default");
  let swapped = false;
  const error = await patched("lstat", (lstat) => async (p) => {
    const info = await lstat(p); // the check sees the regular file…
    if (String(p) === path && !swapped) {
      swapped = true; // …which is then replaced by a link before the open
      await Deno.remove(path);
      await Deno.symlink(env.outside, path);
    }
    return info;
  }, () => assertRejectsWith(() => env.store.read("default"), AuthError, "INSECURE_PERMISSIONS"));
  assert(swapped, "the swap happened");
  assertEquals(
    error.message,
    `Refusing to use credential file "${path}": it is a symbolic link`,
  );
  assertEquals(await Deno.readTextFile(env.outside), PLANTED);
});

Deno.test("the target of a link inside the store swapped for a link out of it after resolution is refused", async () => {
  await using env = await layout();
  await env.store.write("work", credential);
  const work = env.store.location("work");
  await Deno.symlink(work, env.store.location("default"));
  let swapped = false;
  await patched("realPath", (realPath) => async (p) => {
    const resolved = await realPath(p);
    if (resolved === work && !swapped) {
      swapped = true;
      await Deno.remove(work);
      await Deno.symlink(env.outside, work);
    }
    return resolved;
  }, () => assertRejectsWith(() => env.store.read("default"), AuthError, "INSECURE_PERMISSIONS"));
  assert(swapped, "the swap happened");
});

Deno.test("a credential file swapped for a group-readable one after its check is refused for the mode of what was opened", async () => {
  await using env = await layout();
  await env.store.write("default", credential);
  const path = env.store.location("default");
  const loose = join(env.dir, "..", "loose.json");
  await Deno.writeTextFile(loose, PLANTED);
  await Deno.chmod(loose, 0o644);
  let swapped = false;
  const error = await patched("lstat", (lstat) => async (p) => {
    const info = await lstat(p); // 0600 when checked
    if (String(p) === path && !swapped) {
      swapped = true;
      await Deno.rename(loose, path);
    }
    return info;
  }, () => assertRejectsWith(() => env.store.read("default"), AuthError, "INSECURE_PERMISSIONS"));
  assert(swapped, "the swap happened");
  assertStringIncludes(error.message, "mode 0644");
});

Deno.test("a FIFO in place of a credential file is refused at once, not waited on", async () => {
  if (Deno.build.os === "windows") return;
  await using env = await layout();
  const path = env.store.location("default");
  const made = await new Deno.Command("mkfifo", { args: [path] }).output().catch(() => undefined);
  if (!made?.success) return; // no mkfifo here: nothing to test with
  const read = env.store.read("default");
  try {
    const error = await within(
      assertRejectsWith(() => read, AuthError, "INSECURE_PERMISSIONS"),
      2_000,
      "reading a FIFO",
    );
    assertEquals(
      error.message,
      `Refusing to use credential file "${path}": it is not a regular file`,
    );
  } catch (error) {
    (await Deno.open(path, { write: true })).close(); // unblock a reader stuck on the FIFO
    await read.catch(() => {});
    throw error;
  }
});

Deno.test("openNoFollow opens a regular file, and readIfExistsNoFollow reads a missing one as undefined", async () => {
  await using env = await layout();
  using file = await openNoFollow(env.outside);
  assertEquals((await file.stat()).isFile, true);
  assertEquals(await readIfExistsNoFollow(join(env.dir, "missing.json")), undefined);
  assertEquals((await readIfExistsNoFollow(env.outside))?.text, PLANTED);
  await assertRejectsWith(() => openNoFollow(env.dir), AuthError, "INSECURE_PERMISSIONS");
});
