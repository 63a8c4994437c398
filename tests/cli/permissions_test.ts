// The permissions of the binary: one source of truth for `deno task cli` and `deno task compile`,
// nothing broader than needed, and a one-line message when one is missing.
import { assert, assertEquals, assertStringIncludes } from "../assert.ts";
import {
  cliTask,
  compileTask,
  DENO_FLAGS,
  ENV_VARIABLES,
  PERMISSION_FLAGS,
  PROGRAMS,
} from "../../cli/permissions.ts";
import { DENO, makeHome, ROOT, runCli, show } from "./helpers.ts";

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

Deno.test("without HOME the home folder comes from the system (--allow-sys=homedir)", async () => {
  await using home = await makeHome();
  // Read-only: `profiles` only reads config.json under the real home folder, if there is one.
  const result = await runCli(home, ["profiles", "--json"], {
    env: { HOME: "", XDG_CONFIG_HOME: "" },
  });
  assertEquals(result.code, 0, show(result));
  assert(!result.stderr.includes("permission denied"), show(result));
});
