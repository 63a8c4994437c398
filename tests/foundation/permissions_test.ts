/**
 * File modes: files Latchkey writes are 0600 and the folders it creates 0700 (parents
 * included); looser folders are tightened; a credential file others can read is refused with
 * `INSECURE_PERMISSIONS` and the `chmod` that fixes it; a symbolic link out of the store is
 * refused.
 */

import { join } from "node:path";
import { Credential } from "../../src/credential.ts";
import { AuthError } from "../../src/errors.ts";
import { writeFileAtomic } from "../../src/fs/secure.ts";
import { type Logger, setLogger } from "../../src/log.ts";
import { FileStore } from "../../src/store/file.ts";
import { TokenFileStore } from "../../src/store/token_file.ts";
import { failed, ok, probe, writeSecretFile } from "./helpers.ts";
import { assertEquals, assertRejectsWith } from "../support/assert.ts";
import { modeOf } from "../support/files.ts";

const credential = new Credential({ accessToken: "access", expiresAt: 2_000_000_000 });

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "latchkey-perm-" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function captureWarnings<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const warnings: string[] = [];
  const quiet: Logger = { warn: (message) => warnings.push(message), debug() {} };
  const previous = setLogger(quiet);
  try {
    return [await fn(), warnings];
  } finally {
    setLogger(previous);
  }
}

Deno.test("a written credential file is 0600 and every folder created for it is 0700", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir: join(dir, "a", "b", "credentials") });
    await store.write("default", credential);
    assertEquals(await modeOf(join(dir, "a")), 0o700);
    assertEquals(await modeOf(join(dir, "a", "b")), 0o700);
    assertEquals(await modeOf(join(dir, "a", "b", "credentials")), 0o700);
    assertEquals(await modeOf(store.location("default")), 0o600);
    await store.lock("default", () => Promise.resolve());
    assertEquals(await modeOf(join(dir, "a", "b", "credentials", "default.lock")), 0o600);
  });
});

Deno.test("the default store creates $XDG_CONFIG_HOME/latchkey/credentials with mode 0700", async () => {
  const { results: [written] } = await probe({ actions: ["fileStore"] });
  assertEquals(ok(written), {
    dir: "$ROOT/xdg/latchkey/credentials",
    path: "$ROOT/xdg/latchkey/credentials/default.json",
    modes: { "$ROOT/xdg/latchkey": 0o700, "$ROOT/xdg/latchkey/credentials": 0o700 },
    fileMode: 0o600,
  });
});

Deno.test("a rewrite replaces a looser file with a 0600 one", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "default.json");
    await writeSecretFile(path, "{}", 0o666);
    await writeFileAtomic(path, '{"access_token":"a"}');
    assertEquals(await modeOf(path), 0o600);
    const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(leftovers, ["default.json"]);
  });
});

Deno.test("a looser credentials folder is tightened to 0700 on write", async () => {
  await withTempDir(async (dir) => {
    const credentials = join(dir, "credentials");
    await Deno.mkdir(credentials);
    await Deno.chmod(credentials, 0o755);
    await new FileStore({ dir: credentials }).write("default", credential);
    assertEquals(await modeOf(credentials), 0o700);
  });
});

Deno.test("a looser credentials folder is tightened to 0700 on read, with a warning", async () => {
  await withTempDir(async (dir) => {
    const credentials = join(dir, "credentials");
    const store = new FileStore({ dir: credentials });
    await store.write("default", credential);
    await Deno.chmod(credentials, 0o775);
    const [read, warnings] = await captureWarnings(() => store.read("default"));
    assertEquals(read?.accessToken?.reveal(), "access");
    assertEquals(await modeOf(credentials), 0o700);
    assertEquals(warnings, [
      `tightened folder "${credentials}" to mode 0700: it was open to other users`,
    ]);
  });
});

Deno.test("a 0644 credential file is refused with INSECURE_PERMISSIONS and chmod 600", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir });
    await store.write("default", credential);
    const path = store.location("default");
    await Deno.chmod(path, 0o644);
    const error = await assertRejectsWith(
      () => store.read("default"),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    assertEquals(
      error.message,
      `Refusing to use credential file "${path}": mode 0644 lets other users read it`,
    );
    assertEquals(error.hint, `chmod 600 '${path}'`);
    assertEquals(await modeOf(path), 0o644, "a refused file is left alone");
  });
});

Deno.test("a group-writable (0620) credential file is refused too", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir });
    await store.write("default", credential);
    await Deno.chmod(store.location("default"), 0o620);
    await assertRejectsWith(() => store.read("default"), AuthError, "INSECURE_PERMISSIONS");
  });
});

Deno.test("Auth refuses a 0644 profile credential with INSECURE_PERMISSIONS", async () => {
  const file = "xdg/latchkey/credentials/default.json";
  const { results: [token] } = await probe({
    files: { [file]: { access_token: "a" } },
    modes: { [file]: 0o644 },
    actions: ["token"],
  });
  const error = failed(token, "AuthError", "INSECURE_PERMISSIONS");
  assertEquals(error.hint, `chmod 600 '$ROOT/${file}'`);
});

Deno.test("a 0644 token file is refused by default with the chmod that fixes it", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "token.json");
    await writeSecretFile(path, { access_token: "a" }, 0o644);
    const error = await assertRejectsWith(
      () => new TokenFileStore(path).read(),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    assertEquals(error.hint, `chmod 600 '${path}'`);
  });
});

Deno.test("a credential path that is a symlink out of the store is refused", async () => {
  await withTempDir(async (dir) => {
    const credentials = join(dir, "credentials");
    const outside = join(dir, "outside.json");
    await writeSecretFile(outside, { access_token: "planted" });
    const store = new FileStore({ dir: credentials });
    await store.write("work", credential);
    await Deno.symlink(outside, store.location("default"));
    const error = await assertRejectsWith(
      () => store.read("default"),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    assertEquals(
      error.message,
      `Refusing to use credential file "${
        store.location("default")
      }": it is a symbolic link that points outside "${credentials}"`,
    );
    await assertRejectsWith(
      () => store.write("default", credential),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    assertEquals(JSON.parse(await Deno.readTextFile(outside)), { access_token: "planted" });
  });
});

Deno.test("a dangling symlink in place of a credential file is refused", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir });
    await Deno.symlink(join(dir, "..", "nowhere.json"), store.location("default"));
    await assertRejectsWith(() => store.read("default"), AuthError, "INSECURE_PERMISSIONS");
  });
});

Deno.test("a symlink to another file inside the store is followed", async () => {
  await withTempDir(async (dir) => {
    const store = new FileStore({ dir });
    await store.write("work", credential);
    await Deno.symlink(store.location("work"), store.location("default"));
    assertEquals((await store.read("default"))?.accessToken?.reveal(), "access");
  });
});
