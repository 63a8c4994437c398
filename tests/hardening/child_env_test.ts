// The programs Latchkey starts — the opener (and the browser behind it) and the keychain tool —
// get none of the secret variables of the CLI's environment, and no secret in their argv. The
// fakes on PATH record each child's environment and argv in a folder, so a child that lives for
// a few milliseconds is seen too (the process-tree check at spawn cannot see it).
import { startMockProvider } from "../../testing.ts";
import { childEnvironment, secretEnvNames } from "../../src/secret_env.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { writeFakeSecretTool } from "../presets/fake_secret_tool.ts";
import { DENO, ROOT, runCli, show, watchArgv } from "../cli/helpers.ts";
import { type Home, makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

const SCOPE = "openid profile offline_access";

/** Each secret variable of the CLI's environment, set to a canary. */
function secretVariables(): Record<string, string> {
  return {
    LATCHKEY_CLIENT_SECRET: canary("client-secret"),
    LATCHKEY_STORE_KEY: canary("store-key"),
    LATCHKEY_REFRESH_TOKEN: canary("refresh-token"),
    LATCHKEY_TOKEN: canary("token"),
    LATCHKEY_CLIENT_KEY: canary("client-key"),
    DENO_KV_ACCESS_TOKEN: canary("kv-access-token"),
    DESCARTESLABS_CLIENT_SECRET: canary("dl-client-secret"),
    DESCARTESLABS_REFRESH_TOKEN: canary("dl-refresh-token"),
    ANACONDA_CLOUD_API_KEY: canary("anaconda-api-key"),
  };
}

/** A recording stand-in for `program`: dumps env and argv into `$CHILD_DUMPS`, then runs `then`. */
async function recorder(home: Home, program: string, then: string): Promise<void> {
  await Deno.mkdir(`${home.dir}/rec`, { recursive: true });
  await Deno.writeTextFile(
    `${home.dir}/rec/${program}`,
    `#!/bin/sh\nmkdir -p "$CHILD_DUMPS"\nenv > "$CHILD_DUMPS/${program}.$$.env"\n` +
      `printf '%s\\n' "$0" "$@" > "$CHILD_DUMPS/${program}.$$.argv"\nexec ${then} "$@"\n`,
    { mode: 0o755 },
  );
}

/** Every dump: `[file name, content]`. */
async function dumps(home: Home): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const entry of Deno.readDir(`${home.dir}/dumps`)) {
    out.push([entry.name, await Deno.readTextFile(`${home.dir}/dumps/${entry.name}`)]);
  }
  return out.sort();
}

function assertNoCanary(found: [string, string][], secrets: Record<string, string>): void {
  for (const [file, text] of found) {
    for (const [name, value] of Object.entries(secrets)) {
      assert(!text.includes(value), `${name} reached a child (${file})`);
    }
  }
}

async function homeWithRecorders(): Promise<Home & { env: Record<string, string> }> {
  const home = await makeHome();
  await writeFakeSecretTool(`${home.dir}/fake`);
  await recorder(home, "xdg-open", `"$REAL_OPENER"`);
  await recorder(home, "secret-tool", `"${home.dir}/fake/secret-tool"`);
  const browser = `${home.dir}/browser.sh`;
  await Deno.writeTextFile(
    browser,
    `#!/bin/sh\nmkdir -p "$CHILD_DUMPS"\nenv > "$CHILD_DUMPS/browser.$$.env"\n` +
      `exec "${DENO}" run -q --allow-net "${ROOT}tests/cli/browser_fixture.ts" "$1"\n`,
    { mode: 0o755 },
  );
  await Deno.writeTextFile(`${home.dir}/opener.sh`, '#!/bin/sh\nexec "$BROWSER" "$@"\n', {
    mode: 0o755,
  });
  home.env.PATH = `${home.dir}/rec:${home.env.PATH}`;
  home.env.CHILD_DUMPS = `${home.dir}/dumps`;
  home.env.REAL_OPENER = `${home.dir}/opener.sh`;
  home.env.BROWSER = browser;
  return home;
}

Deno.test({
  name: "the opener and the browser it starts get none of the secret variables, nor in argv",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const secrets = secretVariables();
    // a confidential native client: the login authenticates with LATCHKEY_CLIENT_SECRET
    await using provider = await startMockProvider({
      clients: [{
        clientId: "latchkey-cli",
        clientSecret: secrets.LATCHKEY_CLIENT_SECRET!,
        redirectUris: ["http://127.0.0.1/callback"], // any port (RFC 8252 §7.3)
      }],
    });
    await using home = await homeWithRecorders();
    // login ignores a token in the environment only when asked for a fresh login
    const result = await runCli(home, [
      "login",
      "--flow",
      "browser",
      "--force",
      "--issuer",
      provider.issuer,
      "--client-id",
      "latchkey-cli",
      "--scope",
      SCOPE,
      "--api",
      provider.issuer,
      "--store",
      "file",
      "--timeout",
      "30",
    ], {
      // Without LATCHKEY_CLIENT_KEY: beside the client secret it would be refused (a client
      // authenticates one way). The keychain tool's test below starts with it set.
      env: { ...secrets, LATCHKEY_CLIENT_KEY: "" },
      secrets: Object.values(secrets),
    });
    assertEquals(result.code, 0, show(result));
    const found = await dumps(home);
    assertEquals(found.map(([file]) => file.split(".")[0]), ["browser", "xdg-open", "xdg-open"]);
    // the children inherit the rest of the environment
    const envs = found.filter(([file]) => file.endsWith(".env"));
    assert(envs.every(([, text]) => text.includes(`CHILD_DUMPS=${home.dir}/dumps`)), "inherited");
    assertNoCanary(found, secrets);
  },
});

Deno.test({
  name: "the keychain tool gets none of the secret variables, nor any secret in argv",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using home = await homeWithRecorders();
    // the variables that would make the credential come from the environment stay out
    // (LATCHKEY_CLIENT_SECRET too: with it the saved token is the environment's cache entry)
    const {
      LATCHKEY_TOKEN: _t,
      LATCHKEY_REFRESH_TOKEN: _r,
      LATCHKEY_CLIENT_SECRET: _s,
      ...secrets
    } = secretVariables();
    const token = canary("saved-token");
    const env = { ...secrets, FAKE_KEYRING_DIR: `${home.dir}/keyring`, LATCHKEY_STORE: "keyring" };
    const all = [...Object.values(secrets), token];
    const saved = await runCli(home, ["save-token"], { env, stdin: token, secrets: all });
    assertEquals(saved.code, 0, show(saved));
    // a second process reads it back (the fake tool stores each attribute set apart, so the
    // lookup need not find it: what matters here is what the tool is started with)
    await runCli(home, ["status", "--json"], { env, secrets: all });
    const found = await dumps(home);
    assert(found.some(([file]) => file.startsWith("secret-tool.")), "secret-tool ran");
    assertNoCanary(found, { ...secrets, token });
  },
});

Deno.test("every secret variable of the CLI's environment is in the one list", () => {
  const names = secretEnvNames();
  for (const name of Object.keys(secretVariables())) assert(names.includes(name), name);
});

Deno.test("a child environment blanks the secrets it cannot remove and keeps the rest", () => {
  Deno.env.set("LATCHKEY_TOKEN", "a-token-for-the-parent-only");
  try {
    const { env, clearEnv } = childEnvironment({ LC_ALL: "C", LATCHKEY_CLIENT_SECRET: "x" });
    // this test runs with --allow-all: the child's whole environment, without the secrets
    assert(clearEnv, "the whole environment is readable here");
    assertEquals(env.LC_ALL, "C");
    assertEquals(env.PATH, Deno.env.get("PATH"));
    assert(!("LATCHKEY_TOKEN" in env) && !("LATCHKEY_CLIENT_SECRET" in env), "no secret");
  } finally {
    Deno.env.delete("LATCHKEY_TOKEN");
  }
});

Deno.test({
  name: "the argv watcher sees a secret in the argv of a short-lived grandchild",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const secret = canary("argv");
    const child = new Deno.Command("sh", {
      args: ["-c", `sleep 0.3; sh -c 'sleep 0.3' ${secret}; true`],
    }).spawn();
    const watch = watchArgv(child.pid, [secret]);
    await child.status;
    const seen = watch.stop();
    assert(seen.length > 0, "the watcher saw the grandchild's argv");
  },
});

Deno.test("once hidden, a secret variable is read by Latchkey but inherited by no child", async () => {
  const { hideSecretEnvironment, secretEnvGet } = await import("../../src/secret_env.ts");
  const { envGet } = await import("../../src/env.ts");
  const secret = canary("hidden-refresh-token");
  Deno.env.set("LATCHKEY_REFRESH_TOKEN", secret);
  try {
    assert(hideSecretEnvironment().includes("LATCHKEY_REFRESH_TOKEN"), "taken out");
    assertEquals(Deno.env.get("LATCHKEY_REFRESH_TOKEN"), undefined);
    assertEquals(secretEnvGet("LATCHKEY_REFRESH_TOKEN"), secret);
    assertEquals(envGet("LATCHKEY_REFRESH_TOKEN"), secret); // what the resolver reads with
    // a child started with no environment option at all
    const out = await new Deno.Command("env", { stdout: "piped" }).output();
    assert(!new TextDecoder().decode(out.stdout).includes(secret), "the child inherited it");
  } finally {
    Deno.env.delete("LATCHKEY_REFRESH_TOKEN");
  }
});
