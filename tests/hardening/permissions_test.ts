/**
 * Permissions, beyond `tests/foundation/permissions_test.ts` (which checks 0600/0700 on write,
 * one loose file mode, two loose folder modes and the basic symlink cases): every file mode and
 * every folder mode, a file loosened by someone else while an `Auth` holds it, the folder
 * repaired through `Auth`, and the symlink shapes an attacker or an accident produces — loops,
 * relative links out, a sibling folder whose name starts like the store's, a link to a loose
 * file — and what `logout` does with a link.
 */

import { join } from "node:path";
import { assert, assertEquals, assertRejectsWith } from "../support/assert.ts";
import {
  AuthError,
  Credential,
  FileStore,
  type Logger,
  setLogger,
  TokenFileStore,
} from "../../mod.ts";
import { Auth } from "../../mod.ts";
import { startMockProvider } from "../../testing.ts";
import { sandbox } from "./helpers.ts";
import { modeOf } from "../support/files.ts";

const credential = new Credential({
  accessToken: "access",
  refreshToken: "refresh",
  expiresAt: 2_000_000_000,
});

async function captureWarnings<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const warnings: string[] = [];
  const quiet: Logger = { warn: (m) => warnings.push(m), debug() {} };
  const previous = setLogger(quiet);
  try {
    return [await fn(), warnings];
  } finally {
    setLogger(previous);
  }
}

const octal = (mode: number) => mode.toString(8).padStart(4, "0");

Deno.test("every credential file mode that opens it to group or others is refused, every owner-only mode read", async () => {
  await using env = await sandbox();
  const store = new FileStore({ dir: join(env.root, "credentials") });
  await store.write("default", credential);
  const path = store.location("default");
  for (let mode = 0o400; mode <= 0o777; mode++) { // every mode the owner can read
    await Deno.chmod(path, mode);
    if ((mode & 0o077) === 0) {
      assertEquals((await store.read("default"))?.accessToken?.reveal(), "access", octal(mode));
    } else {
      const error = await assertRejectsWith(
        () => store.read("default"),
        AuthError,
        "INSECURE_PERMISSIONS",
      );
      assertEquals(
        error.message,
        `Refusing to use credential file "${path}": mode ${octal(mode)} lets other users read it`,
      );
      assertEquals(await modeOf(path), mode, "a refused file is left as it is");
    }
  }
});

Deno.test("every loose token file mode is refused by default and tightened to 0600 with one warning on request", async () => {
  await using env = await sandbox();
  const path = join(env.root, "token.json");
  for (let low = 0; low <= 0o077; low++) {
    await Deno.writeTextFile(path, JSON.stringify({ access_token: "a" }));
    await Deno.chmod(path, 0o600 | low);
    if (low === 0) {
      assertEquals((await new TokenFileStore(path).read())?.accessToken?.reveal(), "a");
      continue;
    }
    await assertRejectsWith(
      () => new TokenFileStore(path).read(),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    const [read, warnings] = await captureWarnings(() =>
      new TokenFileStore(path, { repairPermissions: true }).read()
    );
    assertEquals(read?.accessToken?.reveal(), "a");
    assertEquals(await modeOf(path), 0o600, octal(0o600 | low));
    assertEquals(warnings, [`tightened "${path}" to mode 0600: it was readable by other users`]);
  }
});

Deno.test("every loose credentials folder mode is tightened to 0700 on read with exactly one warning", async () => {
  await using env = await sandbox();
  const dir = join(env.root, "credentials");
  const store = new FileStore({ dir });
  await store.write("default", credential);
  for (let low = 0; low <= 0o077; low++) {
    await Deno.chmod(dir, 0o700 | low);
    const [read, warnings] = await captureWarnings(() => store.read("default"));
    assertEquals(read?.accessToken?.reveal(), "access");
    assertEquals(await modeOf(dir), 0o700, octal(0o700 | low));
    assertEquals(
      warnings,
      low === 0 ? [] : [`tightened folder "${dir}" to mode 0700: it was open to other users`],
    );
  }
});

Deno.test("Auth uses a profile whose credentials folder someone made 0777, after tightening it with a warning", async () => {
  await using env = await sandbox();
  const store = env.store();
  await store.write("loose", credential);
  await Deno.chmod(store.dir, 0o777);
  const [token, warnings] = await captureWarnings(() => new Auth(env.authOptions("loose")).token());
  assertEquals(token, "access");
  assertEquals(await modeOf(store.dir), 0o700);
  assertEquals(warnings, [
    `tightened folder "${env.credentialsDir}" to mode 0700: it was open to other users`,
  ]);
});

Deno.test("a credential file made group-readable while an Auth holds it is refused at the next refresh, before anything is sent", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({ accessTokenTtl: 3600 });
  const t = await provider.issueTokens({ scope: "openid offline_access" });
  const now = Date.now() / 1000;
  const store = env.store();
  await store.write(
    "held",
    new Credential({
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: now + 1.6,
      issuedAt: now - 3598,
      issuer: provider.issuer,
      clientId: "latchkey-cli",
    }),
  );
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    ...env.authOptions("held"),
    leeway: 1,
  });
  assertEquals(await auth.token(), t.access_token);
  const path = store.location("held");
  const before = await Deno.readTextFile(path);
  await Deno.chmod(path, 0o640);
  await new Promise((r) => setTimeout(r, 700)); // into the leeway: the next call refreshes
  await assertRejectsWith(() => auth.token(), AuthError, "INSECURE_PERMISSIONS");
  assertEquals(provider.counts.token.refresh_token, 0, "no refresh was sent");
  assertEquals([await Deno.readTextFile(path), await modeOf(path)], [before, 0o640]);
});

Deno.test("a symbolic link loop in place of a credential file is refused on read and write", async () => {
  await using env = await sandbox();
  const store = new FileStore({ dir: join(env.root, "credentials") });
  await store.write("other", credential);
  const path = store.location("default");
  await Deno.symlink(path, path);
  await assertRejectsWith(() => store.read("default"), AuthError, "INSECURE_PERMISSIONS");
  await assertRejectsWith(
    () => store.write("default", credential),
    AuthError,
    "INSECURE_PERMISSIONS",
  );
});

Deno.test("a relative link out of the store and a link into a look-alike sibling folder are refused", async () => {
  await using env = await sandbox();
  const dir = join(env.root, "credentials");
  const store = new FileStore({ dir });
  await store.write("other", credential);
  const lookalike = join(env.root, "credentials-evil");
  await Deno.mkdir(lookalike, { mode: 0o700 });
  const links: [string, string][] = [
    ["up", "../planted.json"],
    ["sibling", "../credentials-evil/x.json"],
  ];
  for (const [name, target] of links) {
    const planted = join(dir, target);
    await Deno.writeTextFile(planted, JSON.stringify({ access_token: "planted" }), { mode: 0o600 });
    await Deno.chmod(planted, 0o600);
    await Deno.symlink(target, store.location(name));
    const error = await assertRejectsWith(
      () => store.read(name),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    assert(error.message.includes("points outside"), error.message);
    await assertRejectsWith(() => store.write(name, credential), AuthError, "INSECURE_PERMISSIONS");
    assertEquals(JSON.parse(await Deno.readTextFile(planted)), { access_token: "planted" });
  }
});

Deno.test("a link inside the store to a group-readable file is refused for the target's mode", async () => {
  await using env = await sandbox();
  const store = new FileStore({ dir: join(env.root, "credentials") });
  await store.write("real", credential);
  await Deno.chmod(store.location("real"), 0o644);
  await Deno.symlink(store.location("real"), store.location("default"));
  const error = await assertRejectsWith(
    () => store.read("default"),
    AuthError,
    "INSECURE_PERMISSIONS",
  );
  assert(error.message.includes("mode 0644"), error.message);
});

Deno.test("Auth refuses a profile credential linked out of the store, and logout removes only the link", async () => {
  await using env = await sandbox();
  const outside = join(env.root, "outside.json");
  await Deno.writeTextFile(outside, JSON.stringify({ access_token: "planted" }), { mode: 0o600 });
  await Deno.chmod(outside, 0o600);
  const store = env.store();
  await store.write("other", credential);
  await Deno.symlink(outside, store.location("linked"));
  const auth = new Auth(env.authOptions("linked"));
  await assertRejectsWith(() => auth.token(), AuthError, "INSECURE_PERMISSIONS");
  const result = await auth.logout();
  assertEquals(result.deleted, true);
  assertEquals(await Deno.lstat(store.location("linked")).catch(() => undefined), undefined);
  assertEquals(JSON.parse(await Deno.readTextFile(outside)), { access_token: "planted" });
  assertEquals((await store.read("other"))?.accessToken?.reveal(), "access");
});
