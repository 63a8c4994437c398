/**
 * `deno task test`: every test file in its own `deno test` process, as many at
 * a time as there are cores, then the doc tests (`deno test --doc`) of every
 * entry point and module.
 *
 * Why not one `deno test --parallel`: its modules share one process, so one
 * file's `HOME`, `LATCHKEY_*` variables and current folder leak into the
 * others. The isolated HOME each file sets up is real only in a process of
 * its own.
 *
 * Each file's output is printed whole when it ends; the last line adds up the
 * files' own summaries: `ok | N passed | N failed | N ignored`.
 */

const root = new URL("..", import.meta.url).pathname;
// Test files give their children a throwaway HOME; the Deno cache must stay this
// machine's (a HOME-relative cache would fetch every npm package again).
const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
const denoDir = Deno.env.get("DENO_DIR") ??
  JSON.parse(new TextDecoder().decode(info.stdout)).denoDir as string;
const jobs = Number(Deno.env.get("DENO_JOBS") ?? navigator.hardwareConcurrency ?? 2);
const only = Deno.args.length ? Deno.args : undefined;

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "fixtures") out.push(...await testFiles(path));
    else if (entry.isFile && /_test\.ts$/.test(entry.name)) out.push(path);
  }
  return out;
}

// Long files first, so that the two cores finish together.
const long = /cross_process|concurrency|soak|real\/|crash|fleet|stores\/(kv|redis|keyring)|cli\//;
const weight = (f: string) => long.test(f) ? 0 : 1;
const files = (only ?? await testFiles(`${root}tests`)).sort((a, b) => weight(a) - weight(b));
const runs: { name: string; args: string[] }[] = files.map((f) => ({
  name: f.replace(root, ""),
  // The tests' own lockfile: it also pins the test-only packages (tests/test_deps.ts), which
  // deno.lock must not name, since `deno task` installs all of deno.lock first.
  args: ["test", "--allow-all", "--unstable-kv", "--lock=tests/deno.lock", f],
}));
if (!only) {
  runs.push({
    name: "doc examples",
    args: [
      "test",
      "--allow-all",
      "--unstable-kv",
      "--doc",
      "mod.ts",
      "testing.ts",
      "presets.ts",
      "fleet.ts",
      "src/",
    ],
  });
}

const totals = { passed: 0, failed: 0, ignored: 0 };
const broken: string[] = [];
/** The tests skipped for a missing system part (tests/real/helpers.ts `realTest`), with why. */
const skipped: string[] = [];
let next = 0;
let done = 0;
const started = Date.now();

async function worker() {
  while (next < runs.length) {
    const run = runs[next++]!;
    const t0 = Date.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: run.args,
      cwd: root,
      env: { NO_COLOR: "1", DENO_DIR: denoDir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const summary = text.match(
      /^(ok|FAILED) \| (\d+) passed.*?\| (\d+) failed(?:.*?\| (\d+) ignored)?/m,
    );
    if (summary) {
      totals.passed += Number(summary[2]);
      totals.failed += Number(summary[3]);
      totals.ignored += Number(summary[4] ?? 0);
    }
    if (!out.success || !summary) broken.push(run.name);
    for (const line of text.matchAll(/^skipping "(.+)": (.+) \(install with (.+)\)$/gm)) {
      skipped.push(`${line[1]} (${line[2]})`);
    }
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    // progress: files done of all, and the time so far, so a long run shows how far it is
    const progress = `${++done}/${runs.length}, ${Math.round((Date.now() - started) / 1000)} s in`;
    console.log(`\n──── [${progress}] ${run.name} (${seconds} s) ────\n${text.trimEnd()}`);
  }
}

await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (skipped.length) {
  console.log(
    `\nskipped for a missing system part (install them with .ci/install-real-parts.sh; ` +
      `under CI=true they fail instead):\n${skipped.map((s) => `  - ${s}`).join("\n")}`,
  );
}
if (broken.length) console.log(`\nfiles that failed: ${broken.join(", ")}`);
const verdict = broken.length || totals.failed ? "FAILED" : "ok";
console.log(
  `\n${verdict} | ${totals.passed} passed | ${totals.failed} failed | ${totals.ignored} ignored (${seconds}s)`,
);
Deno.exit(verdict === "ok" ? 0 : 1);
