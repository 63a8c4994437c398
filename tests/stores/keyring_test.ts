// The keyring store (and the auto store) against a real Secret Service (gnome-keyring on a
// private session bus, `../real/helpers.ts`): the store contract (`contract.ts`), the CLI's
// login, token and logout on it, and broken keychains: none, a hanging one, a failing one.
import { join } from "node:path";
import {
  AuthError,
  Credential,
  credentialToTokenJson,
  FileStore,
  type Logger,
  setLogger,
} from "../../mod.ts";
import { anaconda } from "../../presets.ts";
import { startMockProvider } from "../../testing.ts";
import { AutoStore, keyringAnswers } from "../../src/store/auto.ts";
import { Keychain } from "../../src/store/keychain/keychain.ts";
import { KeyringStore } from "../../src/store/keyring.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import {
  allText,
  childEnv,
  latchkeyCommand,
  listFiles,
  programs,
  realTest,
  run,
  type SecretService,
  start,
  startSecretService,
} from "../real/helpers.ts";
import { storeContract } from "./contract.ts";
import { tempHome } from "../support/home.ts";

const SECRET_SERVICE = programs("dbus-run-session", "gnome-keyring-daemon", "secret-tool");
const LINUX = Deno.build.os === "linux";
const USER_CODE = /\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b/;

/** `secret-tool` with the private bus's address: a keychain command for in-process stores. */
async function secretToolFor(service: SecretService, dir: string): Promise<string> {
  const path = join(dir, "secret-tool-on-test-bus");
  const address = service.env.DBUS_SESSION_BUS_ADDRESS!.replaceAll("'", "'\\''");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nexport DBUS_SESSION_BUS_ADDRESS='${address}'\nunset DISPLAY\nexec secret-tool "$@"\n`,
    { mode: 0o700 },
  );
  return path;
}

/** A fake keychain tool: a shell script body; it logs argv and stdin under `dir`. */
async function fakeTool(dir: string, body: string): Promise<string> {
  const path = join(dir, "fake-secret-tool");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\necho "$@" >> '${dir}/argv.log'\n${body}\n`,
    { mode: 0o700 },
  );
  return path;
}

storeContract({
  name: "keyring store",
  test: (name, fn) => realTest(name, [SECRET_SERVICE], 60_000, fn),
  async setup() {
    const home = await tempHome();
    try {
      const service = await startSecretService(home);
      const command = await secretToolFor(service, home.path);
      const dir = join(home.configDir, "credentials");
      return {
        open: () => new KeyringStore({ keychain: new Keychain({ command }), dir }),
        location: () => undefined,
        async [Symbol.asyncDispose]() {
          await service[Symbol.asyncDispose]();
          await home[Symbol.asyncDispose]();
        },
      };
    } catch (error) {
      await home[Symbol.asyncDispose]();
      throw error;
    }
  },
});

function capture(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const logger: Logger = { warn: (m) => lines.push(m), debug: () => {} };
  const previous = setLogger(logger);
  return { lines, restore: () => setLogger(previous) };
}

function bigCredential(tag: string, issuer = "http://127.0.0.1:1"): Credential {
  return new Credential({
    accessToken: `access-${tag}-${"a".repeat(1500)}`,
    refreshToken: `refresh-${tag}-${"r".repeat(600)}`,
    idToken: `id-${tag}-${"i".repeat(3000)}`,
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    scope: "openid profile offline_access",
    issuer,
    clientId: "latchkey-cli",
  });
}

realTest(
  "latchkey login --store keyring keeps the credential in the Secret Service only; token and logout use it",
  [SECRET_SERVICE],
  120_000,
  async (t) => {
    await using home = await tempHome();
    await using service = await startSecretService(home);
    await using provider = await startMockProvider({ deviceInterval: 0.2 });
    const latchkey = latchkeyCommand();
    console.log(
      `  (latchkey via ${latchkey.label}; Secret Service up in ${service.startMs.toFixed(0)} ms)`,
    );
    const env = childEnv(service.env);
    const secretTool = (...args: string[]) => run("secret-tool", args, { env, timeoutMs: 10_000 });

    let accessToken = "";
    await t.step("login with the device flow saves one keyring item", async () => {
      await using login = start(Deno.execPath(), [
        ...latchkey.args,
        "login",
        "--issuer",
        provider.issuer,
        "--client-id",
        "latchkey-cli",
        "--scope",
        "openid profile offline_access",
        "--api",
        provider.issuer,
        "--flow",
        "device",
        "--store",
        "keyring",
        "--no-browser",
        "--timeout",
        "60",
      ], { env });
      const code = (await login.waitForStderr(USER_CODE))[1]!;
      provider.approveDevice(code);
      const done = await login.done;
      assertEquals(done.code, 0, done.stderr);
      const item = await secretTool("lookup", "service", "latchkey", "profile", "default");
      assertEquals(item.code, 0, item.stderr);
      const json = JSON.parse(item.stdout);
      accessToken = json.access_token;
      assert(accessToken.length > 20 && typeof json.refresh_token === "string");
      assertEquals(json.issuer, provider.issuer);
      const attributes = await secretTool("search", "--all", "service", "latchkey");
      assertStringIncludes(attributes.stderr, "attribute.profile = default");
      assertStringIncludes(attributes.stderr, `attribute.issuer = ${provider.issuer}`);
    });

    await t.step("no credential file was written, and no file holds the token", async () => {
      const files = await listFiles(home.configDir);
      assert(!files.some((f) => f.endsWith(".json") && f.startsWith("credentials/")), files.join());
      assert(!(await allText(home.path)).includes(accessToken), "the token is in a file");
    });

    await t.step("status reports the keyring as the source", async () => {
      const status = await run(Deno.execPath(), [...latchkey.args, "status", "--json"], { env });
      assertEquals(status.code, 0, status.stderr);
      const json = JSON.parse(status.stdout);
      assertEquals(json.source, "keyring");
      assert(!status.stdout.includes(accessToken));
    });

    await t.step("token prints the keyring's access token", async () => {
      const token = await run(Deno.execPath(), [...latchkey.args, "token"], { env });
      assertEquals(token.code, 0, token.stderr);
      assertEquals(token.stdout.trim(), accessToken);
    });

    await t.step("logout removes the item", async () => {
      const logout = await run(Deno.execPath(), [...latchkey.args, "logout"], { env });
      assertEquals(logout.code, 0, logout.stderr);
      const item = await secretTool("lookup", "service", "latchkey", "profile", "default");
      assertEquals([item.code, item.stdout, item.stderr.trim()], [1, "", ""]);
      assertEquals(provider.counts.revoke > 0, true);
    });

    await t.step(
      "login with the default store (auto) settles on the answering keyring",
      async () => {
        await Deno.remove(join(home.configDir, "config.json")).catch(() => {});
        await using login = start(Deno.execPath(), [
          ...latchkey.args,
          "login",
          "--issuer",
          provider.issuer,
          "--client-id",
          "latchkey-cli",
          "--no-browser",
          "--timeout",
          "60",
        ], { env });
        provider.approveDevice((await login.waitForStderr(USER_CODE))[1]!);
        const done = await login.done;
        assertEquals(done.code, 0, done.stderr);
        assert(!/keyring/i.test(done.stderr.replace("keyring store", "")), done.stderr);
        const item = await secretTool("lookup", "service", "latchkey", "profile", "default");
        assertEquals(item.code, 0, item.stderr);
        const status = await run(Deno.execPath(), [...latchkey.args, "status", "--json"], { env });
        assertEquals(JSON.parse(status.stdout).source, "keyring", status.stderr);
        assertEquals((await run(Deno.execPath(), [...latchkey.args, "logout"], { env })).code, 0);
      },
    );
  },
);

realTest(
  "KeyringStore and the auto store on a real Secret Service: whole credentials, issuer attribute, conflicts",
  [SECRET_SERVICE],
  60_000,
  async (t) => {
    await using home = await tempHome();
    await using service = await startSecretService(home);
    const dir = join(home.configDir, "credentials");
    const keychain = new Keychain({ command: await secretToolFor(service, home.path) });
    const keyring = new KeyringStore({ keychain, dir });
    const file = new FileStore({ dir });

    await t.step(
      "a login with auto settles on the keyring: it answers and takes a write",
      async () => {
        assertEquals(await keyringAnswers(keychain), true);
        assertEquals(await keyring.list(), []); // the probe item is gone
      },
    );

    await t.step("a credential with refresh and ID tokens (5 kB) is stored whole", async () => {
      const credential = bigCredential("one");
      await keyring.write("work", credential);
      const back = await keyring.read("work");
      assertEquals(credentialToTokenJson(back!), credentialToTokenJson(credential));
      assertEquals(await keyring.list(), ["work"]);
    });

    await t.step("a new issuer replaces the item instead of adding one", async () => {
      await keyring.write("work", bigCredential("two", "http://127.0.0.1:2"));
      const env = childEnv(service.env);
      const found = await run("secret-tool", ["search", "--all", "service", "latchkey"], { env });
      assertEquals(found.stderr.match(/attribute\.profile = work/g)?.length, 1, found.stderr);
      assertStringIncludes(found.stderr, "attribute.issuer = http://127.0.0.1:2");
      assertEquals((await keyring.read("work"))?.accessToken?.reveal().slice(0, 10), "access-two");
    });

    await t.step(
      "auto: the same credential in the file and the keyring is no conflict",
      async () => {
        await file.write("work", bigCredential("two", "http://127.0.0.1:2"));
        const auto = new AutoStore({ keychain, dir });
        const read = await auto.read("work");
        assertEquals(read?.refreshToken?.reveal().slice(0, 11), "refresh-two");
        assertEquals(auto.kind, "file");
      },
    );

    await t.step("auto: different credentials in the file and the keyring conflict", async () => {
      await file.write("work", bigCredential("three"));
      const auto = new AutoStore({ keychain, dir });
      const error = await assertRejects(() => auto.read("work"), AuthError);
      assertEquals(error.code, "CONFLICTING_CREDENTIALS");
      assert(!error.message.includes("access-"), "the message holds a token");
      assert(await auto.delete("work"));
      assertEquals(await keyring.read("work"), undefined);
      assertEquals(await file.read("work"), undefined);
    });

    await t.step(
      "auto: a new credential goes to the keyring, and the store then reports kind keyring",
      async () => {
        const auto = new AutoStore({ keychain, dir });
        await auto.write("home", bigCredential("four"));
        assertEquals(auto.kind, "keyring");
        assertEquals(await file.read("home"), undefined);
        const fresh = new AutoStore({ keychain, dir });
        assertEquals((await fresh.read("home"))?.scope, "openid profile offline_access");
        assertEquals(fresh.kind, "keyring");
        assertEquals(fresh.location("home"), undefined);
        await fresh.delete("home");
      },
    );
  },
);

realTest(
  "anaconda's SystemKeyring on a real Secret Service: Python keyring's layout, one item per user, Latchkey's items untouched",
  [SECRET_SERVICE],
  60_000,
  async () => {
    await using home = await tempHome();
    await using service = await startSecretService(home);
    const tool = await secretToolFor(service, home.path);
    const env = childEnv(service.env);
    const latchkey = new KeyringStore({
      keychain: new Keychain({ command: tool }),
      dir: join(home.configDir, "credentials"),
    });
    await latchkey.write("work", bigCredential("kept"));
    // What Python's keyring (anaconda-cloud-auth) writes: its items also carry `application`.
    const python = await run("secret-tool", [
      "store",
      "--label=Password for 'id.anaconda.cloud' on 'Anaconda Cloud'",
      "service",
      "Anaconda Cloud",
      "username",
      "id.anaconda.cloud",
      "application",
      "Python keyring library",
    ], { env, stdin: "cHl0aG9u" });
    assertEquals(python.code, 0, python.stderr);

    const keyring = new anaconda.SystemKeyring({ command: tool });
    assertEquals(await keyring.get("Anaconda Cloud", "id.anaconda.cloud"), "cHl0aG9u");
    await keyring.set("Anaconda Cloud", "id.anaconda.cloud", "bGF0Y2hrZXk=");
    assertEquals(await keyring.get("Anaconda Cloud", "id.anaconda.cloud"), "bGF0Y2hrZXk=");
    const found = await run("secret-tool", ["search", "--all", "service", "Anaconda Cloud"], {
      env,
    });
    assertEquals(found.stderr.match(/attribute\.username = id\.anaconda\.cloud/g)?.length, 1);
    assert(!found.stderr.includes("attribute.application"), found.stderr);
    assert(!found.stderr.includes("attribute.profile"), found.stderr);
    assertStringIncludes(
      found.stdout,
      "label = Password for 'id.anaconda.cloud' on 'Anaconda Cloud'",
    );
    assertStringIncludes(found.stdout, "secret = bGF0Y2hrZXk=");

    assertEquals(await keyring.delete("Anaconda Cloud", "id.anaconda.cloud"), true);
    assertEquals(await keyring.delete("Anaconda Cloud", "id.anaconda.cloud"), false);
    assertEquals(await keyring.get("Anaconda Cloud", "id.anaconda.cloud"), undefined);
    assertEquals((await latchkey.read("work"))?.accessToken?.reveal().slice(0, 11), "access-kept");
    assertEquals(await latchkey.list(), ["work"]);
  },
);

Deno.test({
  name: "auto reads a file credential without running any keyring tool",
  ignore: !LINUX,
  async fn() {
    await using home = await tempHome();
    const dir = join(home.configDir, "credentials");
    const tool = await fakeTool(home.path, "exit 0");
    const auto = new AutoStore({ keychain: new Keychain({ command: tool }), dir });
    await new FileStore({ dir }).write("default", bigCredential("file"));
    assertEquals((await auto.read("default"))?.accessToken?.reveal().slice(0, 11), "access-file");
    assertEquals(auto.kind, "file");
    assertEquals(await Deno.readTextFile(join(home.path, "argv.log")).catch(() => ""), "");
  },
});

Deno.test({
  name: "the secret goes to the keyring tool on stdin, never in its arguments",
  ignore: !LINUX,
  async fn() {
    await using home = await tempHome();
    const tool = await fakeTool(home.path, `cat >> '${home.path}/stdin.log'\nexit 0`);
    const store = new KeyringStore({
      keychain: new Keychain({ command: tool }),
      dir: join(home.configDir, "credentials"),
    });
    await store.write("default", bigCredential("argv"));
    const argv = await Deno.readTextFile(join(home.path, "argv.log"));
    assertStringIncludes(argv, "store --label=Latchkey: default service latchkey profile default");
    assert(!argv.includes("access-argv") && !argv.includes("refresh-argv"));
    assertStringIncludes(await Deno.readTextFile(join(home.path, "stdin.log")), "access-argv");
  },
});

// A stand-in for macOS `security`: `-i` reads add-generic-password lines from stdin, the
// other commands read and delete the items it keeps as files; every argv is logged.
const FAKE_SECURITY = String.raw`store="$DIR/items"; mkdir -p "$store"
case "$1" in
  -i)
    while IFS= read -r line; do
      [ "$line" = quit ] && break
      eval "set -- $line"
      shift; svc=; acct=; secret=
      while [ $# -gt 0 ]; do
        case "$1" in -s) svc=$2; shift ;; -a) acct=$2; shift ;; -w) secret=$2; shift ;; esac
        shift
      done
      printf '%s' "$secret" > "$store/$svc@$acct"
    done ;;
  find-generic-password)
    [ -f "$store/$3@$5" ] || { echo "security: The specified item could not be found in the keychain." >&2; exit 44; }
    cat "$store/$3@$5"; echo ;;
  delete-generic-password)
    [ -f "$store/$3@$5" ] || exit 44
    rm "$store/$3@$5" ;;
  dump-keychain)
    for f in "$store"/*@*; do
      [ -f "$f" ] || continue; b=$(basename "$f")
      printf 'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>="%s"\n    "svce"<blob>="%s"\n' "$(echo "$b" | cut -d@ -f2)" "$(echo "$b" | cut -d@ -f1)"
    done ;;
esac`;

Deno.test({
  name:
    "the macOS path (through a stand-in security): packed secret on stdin, read back whole, too large refused",
  ignore: !LINUX,
  async fn() {
    await using home = await tempHome();
    const tool = await fakeTool(home.path, `DIR='${home.path}'\n${FAKE_SECURITY}`);
    const keychain = new Keychain({ command: tool, os: "darwin" });
    const store = new KeyringStore({ keychain, dir: join(home.configDir, "credentials") });
    const credential = bigCredential("mac");
    await store.write("work", credential);
    assertEquals(
      credentialToTokenJson((await store.read("work"))!),
      credentialToTokenJson(credential),
    );
    assertEquals(await store.list(), ["work"]);
    const argv = await Deno.readTextFile(join(home.path, "argv.log"));
    assert(!argv.includes("access-mac") && !argv.includes("lk1:"), argv);
    assert(await store.delete("work"));
    assertEquals(await store.read("work"), undefined);

    // Random tokens do not compress: past what one `security -i` line holds, nothing runs.
    const random = () => crypto.getRandomValues(new Uint8Array(2400)).toBase64();
    const huge = new Credential({ accessToken: random(), refreshToken: random(), expiresAt: 2e9 });
    const before = await Deno.readTextFile(join(home.path, "argv.log"));
    const error = await assertRejects(() => store.write("big", huge), AuthError);
    assertEquals(error.code, "KEYRING_UNAVAILABLE");
    assertStringIncludes(error.message, "too large");
    assertEquals(await Deno.readTextFile(join(home.path, "argv.log")), before);
  },
});

Deno.test({
  name:
    "the macOS path for Python keyring's items (through a stand-in security): the raw value, read back as it is",
  ignore: !LINUX,
  async fn() {
    await using home = await tempHome();
    const tool = await fakeTool(home.path, `DIR='${home.path}'\n${FAKE_SECURITY}`);
    const keyring = new anaconda.SystemKeyring({ command: tool, os: "darwin" });
    const value = "eyJhcGlfa2V5IjogImsifQ==";
    await keyring.set("Anaconda Cloud", "id.anaconda.cloud", value);
    const item = join(home.path, "items", "Anaconda Cloud@id.anaconda.cloud");
    assertEquals(await Deno.readTextFile(item), value); // what Python's keyring reads
    assertEquals(await keyring.get("Anaconda Cloud", "id.anaconda.cloud"), value);
    const argv = await Deno.readTextFile(join(home.path, "argv.log"));
    assert(!argv.includes(value), argv);
    assert(await keyring.delete("Anaconda Cloud", "id.anaconda.cloud"));
    assertEquals(await keyring.get("Anaconda Cloud", "id.anaconda.cloud"), undefined);

    // A raw value must be a bare word on the `security -i` line: anything else is refused
    // before the tool runs.
    const before = await Deno.readTextFile(join(home.path, "argv.log"));
    const error = await assertRejects(
      () => keyring.set("Anaconda Cloud", "id.anaconda.cloud", 'not "bare"'),
      AuthError,
    );
    assertEquals(error.code, "KEYRING_UNAVAILABLE");
    assertStringIncludes(error.hint ?? "", 'keyring: "file"');
    assertEquals(await Deno.readTextFile(join(home.path, "argv.log")), before);
  },
});

Deno.test({
  name:
    "a hanging keyring tool is killed after 3 s: keyring fails and keeps the credential, auto saves to the file",
  ignore: !LINUX,
  sanitizeResources: true,
  sanitizeOps: true,
  async fn() {
    await using home = await tempHome();
    const dir = join(home.configDir, "credentials");
    // `sleep` in a child of the shell keeps the pipes open after the shell is killed.
    const tool = await fakeTool(home.path, "cat >/dev/null; sleep 10; exit 0");
    const keychain = new Keychain({ command: tool });
    const keyring = new KeyringStore({ keychain, dir });
    const credential = bigCredential("hang");

    let started = performance.now();
    const error = await assertRejects(() => keyring.write("default", credential), AuthError);
    const writeMs = performance.now() - started;
    assertEquals(error.code, "KEYRING_UNAVAILABLE");
    assertStringIncludes(error.message, "did not answer within 3 s");
    assertStringIncludes(error.message, "kept in memory");
    assert(writeMs >= 2900 && writeMs < 4500, `took ${writeMs} ms`);
    // not lost: this process still has it (and the next read tries to save it again)
    started = performance.now();
    assertEquals(
      (await keyring.read("default"))?.accessToken?.reveal(),
      credential.accessToken?.reveal(),
    );
    assert(performance.now() - started < 4500);

    const log = capture();
    try {
      const auto = new AutoStore({ keychain: new Keychain({ command: tool }), dir });
      started = performance.now();
      await auto.write("default", credential);
      const autoMs = performance.now() - started;
      assert(autoMs < 4500, `took ${autoMs} ms`);
      assertEquals(auto.kind, "file");
      assertEquals(
        (await new FileStore({ dir }).read("default"))?.idToken?.reveal(),
        credential.idToken?.reveal(),
      );
      // later calls do not wait for the keychain again, and do not warn again
      started = performance.now();
      assertEquals(await auto.read("other"), undefined);
      assert(performance.now() - started < 500);
      assertEquals(log.lines.length, 1, log.lines.join("\n"));
      assertStringIncludes(log.lines[0]!, "did not answer within 3 s");
      assertStringIncludes(log.lines[0]!, "using the file store");
    } finally {
      log.restore();
    }
  },
});

Deno.test({
  name: "store keyring without a session bus fails with KEYRING_UNAVAILABLE and a hint, within 3 s",
  ignore: !LINUX || programs("secret-tool")() !== undefined,
  async fn() {
    await using home = await tempHome();
    // secret-tool itself, with no D-Bus session and no display to autolaunch one
    const tool = join(home.path, "secret-tool-no-bus");
    await Deno.writeTextFile(
      tool,
      '#!/bin/sh\nunset DBUS_SESSION_BUS_ADDRESS DISPLAY\nexec secret-tool "$@"\n',
      { mode: 0o700 },
    );
    const store = new KeyringStore({
      keychain: new Keychain({ command: tool }),
      dir: join(home.configDir, "credentials"),
    });
    const started = performance.now();
    const error = await assertRejects(() => store.read("default"), AuthError);
    assert(performance.now() - started < 3000);
    assertEquals(error.code, "KEYRING_UNAVAILABLE");
    assertStringIncludes(error.hint ?? "", "libsecret-tools");
    assertStringIncludes(error.hint ?? "", "--store file");
  },
});

Deno.test({
  name: "a missing keyring tool is KEYRING_UNAVAILABLE naming the package to install",
  async fn() {
    const store = new KeyringStore({
      keychain: new Keychain({ command: "/nonexistent/secret-tool", os: "linux" }),
      dir: await Deno.makeTempDir(),
    });
    const error = await assertRejects(() => store.read("default"), AuthError);
    assertEquals(error.code, "KEYRING_UNAVAILABLE");
    assertStringIncludes(error.message, "is not installed");
    assertStringIncludes(error.hint ?? "", "apt install libsecret-tools");
  },
});

realTest(
  "latchkey login with the auto store and no Secret Service saves to the file with one warning",
  [programs("secret-tool")],
  90_000,
  async () => {
    await using home = await tempHome();
    await using provider = await startMockProvider({ deviceInterval: 0.2 });
    const latchkey = latchkeyCommand();
    const env = childEnv(home.env); // no DBUS_SESSION_BUS_ADDRESS, no DISPLAY
    await using login = start(Deno.execPath(), [
      ...latchkey.args,
      "login",
      "--issuer",
      provider.issuer,
      "--client-id",
      "latchkey-cli",
      "--scope",
      "openid offline_access",
      "--no-browser",
      "--timeout",
      "60",
    ], { env });
    provider.approveDevice((await login.waitForStderr(USER_CODE))[1]!);
    const done = await login.done;
    assertEquals(done.code, 0, done.stderr);
    const warnings = done.stderr.split("\n").filter((l) =>
      /warning/i.test(l) && /keyring/i.test(l)
    );
    assertEquals(warnings.length, 1, done.stderr);
    assertStringIncludes(warnings[0]!, "file");
    const saved = await new FileStore({ dir: join(home.configDir, "credentials") }).read("default");
    assert(saved?.refreshToken !== undefined);
    const status = await run(Deno.execPath(), [...latchkey.args, "status", "--json"], { env });
    assertEquals(JSON.parse(status.stdout).source, "file", status.stderr);
    const token = await run(Deno.execPath(), [...latchkey.args, "token"], { env });
    assertEquals(token.stdout.trim(), saved.accessToken?.reveal(), token.stderr);
    assert(!/keyring/i.test(token.stderr), `token ran a keyring tool: ${token.stderr}`);

    // The same machine with the keyring store asked for explicitly: an error with a hint.
    const keyringEnv = { ...env, LATCHKEY_STORE: "keyring" };
    const refused = await run(Deno.execPath(), [...latchkey.args, "token"], { env: keyringEnv });
    assert(refused.code !== 0, refused.stderr);
    assertStringIncludes(refused.stderr, "keyring");
    assertStringIncludes(refused.stderr, "libsecret-tools");
    assertStringIncludes(refused.stderr, "--store file");
    assert(refused.ms < 3000 + 5000, `took ${refused.ms} ms`); // 3 s at most, plus Deno's start
  },
);
