/**
 * Leaks (library part): every library entry point — the `Auth` constructor, `token`, `fetch`,
 * `status`, `login` (client credentials, device, password), `logout`, `credential`, token file
 * reads, and the errors they throw — runs with known canary secrets (from options, the
 * environment, `.env` and token files) while the provider echoes secrets back in its error
 * answers, as some do. Nothing shows a canary or a token the provider issued: not the thrown
 * errors, `Deno.inspect` or `JSON.stringify` output, prompts and results, not what the process
 * printed on stdout and stderr (prompts, warnings, debug lines), and not the non-secret files
 * Latchkey wrote (config.json, lock files).
 *
 * The scenario runs in a child process (`fixtures/leak_scenario.ts`): it sets environment
 * variables and a current folder, which test files running in parallel would otherwise share.
 */

import { join, relative } from "node:path";
import { assert } from "../support/assert.ts";
import { assertNoLeak, ROOT, sandbox } from "./helpers.ts";
import { DENO_DIR } from "../support/deno_dir.ts";

/** Files Latchkey wrote that are not meant to hold secrets (all but credential files). */
async function nonSecretFiles(latchkeyDir: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (!relative(latchkeyDir, path).startsWith("credentials/")) {
        out.push([path, await Deno.readTextFile(path)]);
      }
    }
  };
  await walk(latchkeyDir);
  return out;
}

Deno.test("no library entry point shows a canary or an issued token in errors, output, logs or files", async () => {
  await using env = await sandbox();
  const script = new URL("./fixtures/leak_scenario.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", join(ROOT, "deno.json"), script, env.root],
    env: { ...env.childEnv, DENO_DIR, NO_COLOR: "1" },
    clearEnv: true,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `the scenario failed:\n${stderr}`);
  const report = JSON.parse(await Deno.readTextFile(join(env.root, "report.json"))) as {
    secrets: string[];
    shown: [string, string][];
    logs: string[];
  };
  assert(report.secrets.length > 12, "issued tokens were collected as secrets");
  assert(stderr.includes("To sign in, visit"), "the device prompt was printed");
  assert(stderr.includes("latchkey: warning: could not renew"), "the warning was printed");
  const files = await nonSecretFiles(env.latchkeyDir);
  assert(files.some(([path]) => path.endsWith("config.json")), "config.json was written");
  for (const [what, text] of report.shown) assertNoLeak(text, what, report.secrets);
  for (const line of report.logs) assertNoLeak(line, "a log line", report.secrets);
  assertNoLeak(stdout, "stdout", report.secrets);
  assertNoLeak(stderr, "stderr", report.secrets);
  for (const [path, text] of files) assertNoLeak(text, `file ${path}`, report.secrets);
});
