// The permissions of the binary: one source of truth for `deno task cli` and `deno task compile`,
// nothing broader than needed, and a one-line message when one is missing.
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  cliTask,
  compileTask,
  DENO_FLAGS,
  ENV_VARIABLES,
  PERMISSION_FLAGS,
  PROGRAMS,
} from "../../cli/permissions.ts";
import { freva } from "../../presets.ts";
import { DENO, ROOT, runCli, show } from "./helpers.ts";
import { makeHome } from "../support/home.ts";

Deno.test("the cli and compile tasks use exactly the flags of cli/permissions.ts", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assertEquals(config.tasks.cli, cliTask(), "deno.json's cli task drifted from cliTask()");
  assertEquals(config.tasks.compile, compileTask(), "deno.json's compile task drifted");
  for (const task of [config.tasks.cli, config.tasks.compile] as string[]) {
    const words = task.split(/\s+/).map((w) => w.replace(/^'|'$/g, ""));
    for (const forbidden of ["-A", "--allow-all", "--allow-env", "--allow-run", "--allow-ffi"]) {
      assert(!words.includes(forbidden), `${forbidden} in "${task}"`);
    }
    assert(!words.some((w) => w.startsWith("--allow-import")), task);
    for (const flag of DENO_FLAGS) assert(words.includes(flag), `${flag} missing in "${task}"`);
  }
});

Deno.test("the permission lists name variables and programs, never everything", () => {
  assert(ENV_VARIABLES.includes("LATCHKEY_*") && ENV_VARIABLES.includes("HOME"));
  assert(ENV_VARIABLES.every((name) => /^[A-Z_]+\*?$/.test(name)));
  assertEquals([...PROGRAMS].sort(), ["open", "secret-tool", "security", "xdg-open"]);
  assert(PERMISSION_FLAGS.every((flag) => flag.startsWith("--allow-")));
});

Deno.test("--allow-env covers every variable the presets read, and the batch-job variables of freva", async () => {
  const covered = (name: string) =>
    ENV_VARIABLES.some((allowed) =>
      allowed.endsWith("*") ? name.startsWith(allowed.slice(0, -1)) : name === allowed
    );
  const read: string[] = [...freva.BATCH_VARIABLES, "BROWSER_SESSION"];
  for await (const entry of Deno.readDir(`${ROOT}src/presets`)) {
    const source = await Deno.readTextFile(`${ROOT}src/presets/${entry.name}`);
    // envGet("NAME"), and envGet(`PREFIX_${…}`) as the prefix plus a marker
    for (const m of source.matchAll(/envGet\(\s*"([A-Z0-9_]+)"/g)) read.push(m[1]!);
    for (const m of source.matchAll(/envGet\(\s*`([A-Z0-9_]+)\$\{/g)) read.push(`${m[1]!}X`);
    assert(!/Deno\.env\.get\(/.test(source), `${entry.name} reads Deno.env directly`);
  }
  for (
    const name of ["FREVA_TOKEN_FILE", "XDG_CACHE_HOME", "DESCARTESLABS_X", "ANACONDA_CLOUD_X"]
  ) {
    assert(read.includes(name), `the scan missed ${name}: ${read.join(", ")}`);
  }
  const missing = read.filter((name) => !covered(name));
  assertEquals(missing, [], "variables the presets read but --allow-env does not list");
});

Deno.test("deno task cli runs the CLI with those flags", async () => {
  await using home = await makeHome();
  const out = await new Deno.Command(DENO, {
    args: ["task", "-q", "--cwd", ROOT, "cli", "--version"],
    cwd: ROOT,
    clearEnv: true,
    env: home.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assert(stdout.startsWith("latchkey "), stdout);
});

Deno.test("a missing permission is one line naming the flag, exit 2, no stack trace", async () => {
  await using home = await makeHome();
  const flags = DENO_FLAGS.map((flag) =>
    flag.startsWith("--allow-env=") ? flag.replace(",XDG_CONFIG_HOME", "") : flag
  );
  const result = await runCli(home, ["status"], { flags });
  assertEquals(result.code, 2, show(result));
  const lines = result.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, show(result));
  assertStringIncludes(lines[0]!, "--allow-env=XDG_CONFIG_HOME");
  assertStringIncludes(lines[0]!, "permission denied");

  const noNet = DENO_FLAGS.filter((flag) => flag !== "--allow-net");
  const fetched = await runCli(home, [
    "login",
    "--issuer",
    "http://127.0.0.1:45678",
    "--client-id",
    "x",
    "--store",
    "file",
  ], { flags: noNet });
  assertEquals(fetched.code, 2, show(fetched));
  assertEquals(fetched.stderr.trimEnd().split("\n").length, 1, show(fetched));
  assertStringIncludes(fetched.stderr, "missing --allow-net");
});

Deno.test("without HOME, XDG_CONFIG_HOME is enough; with neither, an error naming HOME (exit 2)", async () => {
  // systemd services run without HOME: the library no longer asks the password database.
  await using home = await makeHome();
  const withXdg = await runCli(home, ["profiles", "--json"], { env: { HOME: "" } });
  assertEquals(withXdg.code, 0, show(withXdg));
  const neither = await runCli(home, ["profiles", "--json"], {
    env: { HOME: "", XDG_CONFIG_HOME: "" },
  });
  assertEquals(neither.code, 2, show(neither));
  assertStringIncludes(neither.stderr, '"HOME" is not set');
  assert(!neither.stderr.includes("permission denied"), show(neither));
});
