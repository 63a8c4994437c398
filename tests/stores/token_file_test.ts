/**
 * The token file store: the store contract (`contract.ts`; one credential whatever the key; its
 * lock tests in a child with its own config folder, `fixtures/token_file_lock.ts`), then
 * the three token file formats (`src/token_formats.ts`) it reads and writes — detected from
 * content, read, written back in the same format with unknown keys kept, and refused with
 * `BAD_TOKEN_FILE` when they match none, naming the file and never a secret.
 */

import { join } from "node:path";
import { Auth } from "../../src/auth.ts";
import { Credential } from "../../src/credential.ts";
import { AuthError } from "../../src/errors.ts";
import { TokenFileStore } from "../../src/store/token_file.ts";
import { detectTokenFile, tokenFileMaterial } from "../../src/token_formats.ts";
import { writeSecretFile } from "../foundation/helpers.ts";
import { storeContract } from "./contract.ts";
import { tokenFileContract } from "./fixtures/token_file_storage.ts";
import {
  assertEquals,
  assertExcludes,
  assertRejectsWith,
  assertStringIncludes,
  assertThrowsWith,
} from "../support/assert.ts";
import { modeOf } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

storeContract(tokenFileContract(false));

Deno.test("token file store passes the contract's lock tests in a child with its own config folder", async () => {
  // The lock file lives under $XDG_CONFIG_HOME/latchkey/locks: a child gets a throwaway one.
  const config = await Deno.makeTempDir({ prefix: "latchkey-token-file-lock-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "--allow-all",
        "--lock=tests/deno.lock",
        "--filter",
        "lock",
        new URL("./fixtures/token_file_lock.ts", import.meta.url).pathname,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      env: { XDG_CONFIG_HOME: config, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, text);
    assertStringIncludes(text, "ok | 2 passed");
    // One lock file for each test's token file, in the child's config folder.
    const locks = await Array.fromAsync(Deno.readDir(join(config, "latchkey", "locks")));
    assertEquals(locks.length, 2);
  } finally {
    await Deno.remove(config, { recursive: true });
  }
});

async function tempFile(name: string, content: unknown, mode = 0o600): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-token-file-" });
  const path = join(dir, name);
  await writeSecretFile(path, content, mode);
  return path;
}

async function cleanup(path: string): Promise<void> {
  await Deno.remove(join(path, ".."), { recursive: true });
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("an OAuth token file with expires_at round-trips with unknown keys kept", async () => {
  const path = await tempFile("oauth.json", {
    access_token: "old-access",
    refresh_token: "old-refresh",
    token_type: "Bearer",
    scope: "openid profile",
    expires_at: 1_900_000_000,
    custom: { nested: [1, 2] },
  });
  try {
    const store = new TokenFileStore(path);
    const read = await store.read();
    assertEquals(read?.accessToken?.reveal(), "old-access");
    assertEquals(read?.refreshToken?.reveal(), "old-refresh");
    assertEquals(read?.expiresAt, 1_900_000_000);
    assertEquals(read?.scope, "openid profile");

    await store.write(
      "",
      new Credential({
        accessToken: "new-access",
        refreshToken: "new-refresh",
        expiresAt: 1_900_003_600,
        issuedAt: 1_900_000_000,
        scope: "openid profile",
      }),
    );
    const json = await readJson(path);
    assertEquals(json.access_token, "new-access");
    assertEquals(json.refresh_token, "new-refresh");
    assertEquals(json.expires_at, 1_900_003_600);
    assertEquals(json.token_type, "Bearer");
    assertEquals(json.custom, { nested: [1, 2] });
    assertEquals("expires" in json, false);
    assertEquals(detectTokenFile(json, path).format, "oauth");
    assertEquals(await modeOf(path), 0o600);
    const again = await new TokenFileStore(path).read();
    assertEquals(again?.accessToken?.reveal(), "new-access");
    assertEquals(again?.expiresAt, 1_900_003_600);
  } finally {
    await cleanup(path);
  }
});

Deno.test("an OAuth token file with expires keeps expires (not expires_at) on write", async () => {
  const path = await tempFile("freva.json", {
    access_token: "old",
    refresh_token: "r1",
    expires: 1_800_000_000,
    refresh_expires: 1_900_000_000,
  });
  try {
    const store = new TokenFileStore(path);
    assertEquals((await store.read())?.expiresAt, 1_800_000_000);
    await store.write(
      "",
      new Credential({ accessToken: "new", refreshToken: "r2", expiresAt: 1_800_000_300 }),
    );
    const json = await readJson(path);
    assertEquals(json.expires, 1_800_000_300);
    assertEquals("expires_at" in json, false);
    assertEquals(json.refresh_expires, 1_900_000_000);
    assertEquals(json.access_token, "new");
    assertEquals(json.refresh_token, "r2");
    assertEquals((await new TokenFileStore(path).read())?.expiresAt, 1_800_000_300);
  } finally {
    await cleanup(path);
  }
});

Deno.test("an OAuth token file with expires_in counts from the file's write time", async () => {
  const path = await tempFile("relative.json", {
    access_token: "old",
    refresh_token: "r1",
    expires_in: 3600,
    not_before_policy: 0,
  });
  try {
    const written = 1_700_000_000;
    await Deno.utime(path, written, written);
    const store = new TokenFileStore(path);
    const read = await store.read();
    assertEquals(read?.expiresAt, written + 3600);
    assertEquals(read?.issuedAt, written);

    const now = nowSeconds();
    await store.write(
      "",
      new Credential({ accessToken: "new", expiresAt: now + 600, issuedAt: now }),
    );
    const json = await readJson(path);
    assertEquals(detectTokenFile(json, path).format, "oauth");
    assertEquals(json.access_token, "new");
    assertEquals(typeof json.expires_in, "number");
    assertEquals(json.not_before_policy, 0);
    assertEquals(json.refresh_token, undefined, "a credential without a refresh token drops it");
    const again = await new TokenFileStore(path).read();
    assertEquals(again?.expiresAt, now + 600);
  } finally {
    await cleanup(path);
  }
});

Deno.test("writing a credential without an expiry drops the file's stale expiry", async () => {
  for (const key of ["expires_at", "expires", "expires_in"]) {
    const path = await tempFile("stale.json", { access_token: "old", [key]: 1000 });
    try {
      const store = new TokenFileStore(path);
      await store.read();
      await store.write("", new Credential({ accessToken: "new-without-expiry" }));
      const again = await new TokenFileStore(path).read();
      assertEquals(again?.accessToken?.reveal(), "new-without-expiry");
      assertEquals(again?.expiresAt, undefined, `stale "${key}" survived the write`);
      assertEquals(again?.isExpired(), false);
    } finally {
      await cleanup(path);
    }
  }
});

Deno.test("a secret JSON file with the default key round-trips with other keys kept", async () => {
  const path = await tempFile("cave-secret.json", {
    token: "old-token",
    server: "https://global.daf-apis.com",
    other_token: "untouched",
  });
  try {
    const store = new TokenFileStore(path);
    const read = await store.read();
    assertEquals(read?.accessToken?.reveal(), "old-token");
    assertEquals(read?.expiresAt, undefined);
    await store.write("", new Credential({ accessToken: "new-token" }));
    assertEquals(await readJson(path), {
      token: "new-token",
      server: "https://global.daf-apis.com",
      other_token: "untouched",
    });
  } finally {
    await cleanup(path);
  }
});

Deno.test("a secret JSON file with a custom tokenKey round-trips under that key", async () => {
  const path = await tempFile("chunkedgraph-secret.json", {
    token: "not-mine",
    chunkedgraph_token: "old-token",
  });
  try {
    const store = new TokenFileStore(path, { tokenKey: "chunkedgraph_token" });
    assertEquals((await store.read())?.accessToken?.reveal(), "old-token");
    await store.write("", new Credential({ accessToken: "new-token" }));
    assertEquals(await readJson(path), { token: "not-mine", chunkedgraph_token: "new-token" });
    assertEquals(
      detectTokenFile(await readJson(path), path, { tokenKey: "chunkedgraph_token" }).format,
      "secret",
    );
  } finally {
    await cleanup(path);
  }
});

Deno.test("a token_info file with refresh_token round-trips with jwt_token updated", async () => {
  const path = await tempFile("token_info.json", {
    client_id: "dl-client",
    refresh_token: "old-refresh",
    jwt_token: "old-jwt",
    name: "Alice",
  });
  try {
    const store = new TokenFileStore(path);
    const read = await store.read();
    assertEquals(read?.accessToken?.reveal(), "old-jwt");
    assertEquals(read?.refreshToken?.reveal(), "old-refresh");
    assertEquals(read?.clientId, "dl-client");
    assertEquals(store.clientId, "dl-client");
    await store.write(
      "",
      new Credential({ accessToken: "new-jwt", refreshToken: "new-refresh", expiresAt: 2e9 }),
    );
    assertEquals(await readJson(path), {
      client_id: "dl-client",
      refresh_token: "new-refresh",
      jwt_token: "new-jwt",
      name: "Alice",
    });
  } finally {
    await cleanup(path);
  }
});

Deno.test("a token_info file with client_secret keeps that key for the rotated secret", async () => {
  const path = await tempFile("token_info.json", {
    client_id: "dl-client",
    client_secret: "old-secret",
  });
  try {
    const store = new TokenFileStore(path);
    const read = await store.read();
    assertEquals(read?.accessToken, undefined);
    assertEquals(read?.refreshToken?.reveal(), "old-secret");
    await store.write("", new Credential({ accessToken: "jwt", refreshToken: "new-secret" }));
    assertEquals(await readJson(path), {
      client_id: "dl-client",
      client_secret: "new-secret",
      jwt_token: "jwt",
    });
  } finally {
    await cleanup(path);
  }
});

Deno.test("a token_info file whose client_secret equals refresh_token is accepted", () => {
  const data = { client_id: "c", client_secret: "same", refresh_token: "same" };
  const file = detectTokenFile(data, "info.json");
  assertEquals(file.format, "token_info");
  const material = tokenFileMaterial(file, "info.json", 0);
  assertEquals(material.credential.refreshToken?.reveal(), "same");
  assertEquals(material.clientId, "c");
});

Deno.test("a file in none of the formats is BAD_TOKEN_FILE naming the file, not the secret", async () => {
  const path = await tempFile("mystery.json", { password: "canary-7d1f0e", user: "alice" });
  try {
    const error = await assertRejectsWith(
      () => new TokenFileStore(path).read(),
      AuthError,
      "BAD_TOKEN_FILE",
    );
    assertEquals(
      error.message,
      `Cannot read token file "${path}": no "access_token", "refresh_token", "token" or "jwt_token" key (not a known token file format)`,
    );
    assertExcludes(error.message, "canary-7d1f0e");
    assertExcludes(Deno.inspect(error), "canary-7d1f0e", "inspected error");
  } finally {
    await cleanup(path);
  }
});

Deno.test("a key of the wrong type is BAD_TOKEN_FILE naming the key, not the value", () => {
  const error = assertThrowsWith(
    () => detectTokenFile({ access_token: "canary-3e9a", expires_at: "soon" }, "t.json"),
    AuthError,
    "BAD_TOKEN_FILE",
  );
  assertEquals(
    error.message,
    'Cannot read token file "t.json": key "expires_at" must be a number of seconds',
  );
  const empty = assertThrowsWith(
    () => detectTokenFile({ token: "" }, "s.json"),
    AuthError,
    "BAD_TOKEN_FILE",
  );
  assertEquals(
    empty.message,
    'Cannot read token file "s.json": key "token" must be a non-empty string',
  );
});

Deno.test("invalid JSON is BAD_TOKEN_FILE naming the file and the line", async () => {
  const cases: [string, number][] = [
    ['{\n  "access_token": "canary-aa11",\n  "expires_at": oops\n}\n', 3],
    ['{\n  "access_token": "canary-aa11",\n  "scope": "x",\n}\n', 4],
    ['{\n  "access_token": "canary-aa11\n}\n', 2],
    ['{\n  "access_token": "canary-aa11"\n  "refresh_token": "r"\n}\n', 3],
    ['{\n  "access_token": "canary-aa11",\n', 3],
    ["", 1],
  ];
  for (const [text, line] of cases) {
    const path = await tempFile("broken.json", text);
    try {
      const error = await assertRejectsWith(
        () => new TokenFileStore(path).read(),
        AuthError,
        "BAD_TOKEN_FILE",
      );
      assertEquals(
        error.message,
        `Cannot read token file "${path}": not valid JSON at line ${line}`,
        JSON.stringify(text),
      );
      assertExcludes(Deno.inspect(error), "canary-aa11", "inspected error");
    } finally {
      await cleanup(path);
    }
  }
});

Deno.test("a JSON value that is not an object is BAD_TOKEN_FILE", async () => {
  const path = await tempFile("array.json", '["canary-bb22"]');
  try {
    const error = await assertRejectsWith(
      () => new TokenFileStore(path).read(),
      AuthError,
      "BAD_TOKEN_FILE",
    );
    assertEquals(
      error.message,
      `Cannot read token file "${path}": expected a JSON object at line 1`,
    );
  } finally {
    await cleanup(path);
  }
});

Deno.test("a missing token file reads as no credential and write creates it as OAuth JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "new.json");
    const store = new TokenFileStore(path);
    assertEquals(await store.read(), undefined);
    assertEquals(await store.list(), []);
    await store.write("", new Credential({ accessToken: "a", refreshToken: "r", expiresAt: 2e9 }));
    const json = await readJson(path);
    assertEquals(detectTokenFile(json, path).format, "oauth");
    assertEquals([json.access_token, json.refresh_token, json.expires_at], ["a", "r", 2e9]);
    assertEquals(await modeOf(path), 0o600);
    assertEquals(await store.list(), [""]);
    assertEquals(await store.delete(), true);
    assertEquals(await store.delete(), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a token file readable by others is refused, or tightened when repair is asked", async () => {
  const path = await tempFile("loose.json", { token: "t" }, 0o644);
  try {
    const error = await assertRejectsWith(
      () => new TokenFileStore(path).read(),
      AuthError,
      "INSECURE_PERMISSIONS",
    );
    assertEquals(error.hint, `chmod 600 '${path}'`);
    const { setLogger } = await import("../../src/log.ts");
    const warnings: string[] = [];
    const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
    try {
      const store = new TokenFileStore(path, { repairPermissions: true });
      assertEquals((await store.read())?.accessToken?.reveal(), "t");
    } finally {
      setLogger(previous);
    }
    assertEquals(await modeOf(path), 0o600);
    assertEquals(warnings, [`tightened "${path}" to mode 0600: it was readable by other users`]);
  } finally {
    await cleanup(path);
  }
});

Deno.test("every text JSON.parse refuses is BAD_TOKEN_FILE at a line no earlier than the damage", async () => {
  const { fc } = await import("../test_deps.ts");
  const { parseJsonObject } = await import("../../src/util/json_object.ts");
  fc.assert(
    fc.property(
      fc.json(),
      fc.nat(),
      fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\n", "x", "\\", "\u0001", "-", "0"),
      (json, at, junk) => {
        const pretty = JSON.stringify({ key: JSON.parse(json) }, null, 2);
        const cut = at % (pretty.length + 1);
        const text = pretty.slice(0, cut) + junk + pretty.slice(cut);
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        try {
          parseJsonObject(text, "f.json");
          return valid;
        } catch (error) {
          if (!(error instanceof AuthError) || error.code !== "BAD_TOKEN_FILE") return false;
          if (valid) return /expected a JSON object/.test(error.message);
          const line = Number(/: not valid JSON at line (\d+)$/.exec(error.message)?.[1]);
          // The text before the junk is a valid prefix, so the error is at or after it.
          const junkLine = pretty.slice(0, cut).split("\n").length;
          return line >= junkLine && line <= text.split("\n").length;
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a token file with only an absolute expiry is renewed within the default leeway", async () => {
  const now = nowSeconds();
  const path = await tempFile("freva.json", {
    access_token: "opaque",
    refresh_token: "r",
    expires: now + 100,
  });
  try {
    await Deno.utime(path, now - 3500, now - 3500);
    const credential = await new TokenFileStore(path).read();
    assertEquals(credential?.issuedAt, now - 3500, "the lifetime counts from the file's mtime");
    assertEquals(credential?.leeway(), 300);
    assertEquals(credential?.needsRefresh(), true, "100 s left is within the 300 s leeway");
    assertEquals(credential?.isExpired(), false);
  } finally {
    await cleanup(path);
  }
});

Deno.test("a JWT's own iat wins over the file's mtime for the lifetime", async () => {
  const now = nowSeconds();
  const { fakeJwt } = await import("../support/jwt.ts");
  const path = await tempFile("jwt.json", {
    access_token: fakeJwt({ iat: now - 60, exp: now + 60 }),
    expires_at: now + 60,
  });
  try {
    await Deno.utime(path, now - 3000, now - 3000);
    const credential = await new TokenFileStore(path).read();
    assertEquals([credential?.issuedAt, credential?.leeway()], [now - 60, 60]);
  } finally {
    await cleanup(path);
  }
});

Deno.test("a token file written into a missing folder creates it with mode 0700", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "new", "folder", "secret.json");
    await new TokenFileStore(path, { tokenKey: "token" }).write(
      "",
      new Credential({ accessToken: "t" }),
    );
    assertEquals(await modeOf(join(dir, "new")), 0o700);
    assertEquals(await modeOf(join(dir, "new", "folder")), 0o700);
    assertEquals(await modeOf(path), 0o600);
    assertEquals((await new TokenFileStore(path).read())?.accessToken?.reveal(), "t");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Auth.save with a token file in use writes the credential there, in the file's format", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "cave-secret.json");
  await writeSecretFile(path, JSON.stringify({ token: "old", server: "x" }));
  const auth = new Auth({ tokenFile: path, dotenv: false, envPrefix: [], store: "memory" });
  await auth.save(new Credential({ accessToken: "new" }));
  assertEquals(JSON.parse(await Deno.readTextFile(path)), { token: "new", server: "x" });
  await Deno.remove(dir, { recursive: true });
});
