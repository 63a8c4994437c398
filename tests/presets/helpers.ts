// Shared set-up of the preset tests: each test file runs in its own child process (the
// presets read HOME, XDG_*, the current folder and variables, which `deno test --parallel`
// shares between all test files of its one process), an isolated HOME (over
// tests/support/home.ts: the current folder moves too, the variables the Python clients read
// are cleared, and warnings are captured), and captured stdout.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Logger, setLogger } from "../../src/log.ts";
import { type IsolatedHome, isolatedHome } from "../support/home.ts";

export { assert };

const CHILD_FLAG = "LATCHKEY_PRESETS_CHILD";
const repoRoot = new URL("../../", import.meta.url).pathname;

/** What a preset test is given. */
export type PresetTest = (
  name: string,
  fn: () => Promise<void>,
  options?: { ignore?: boolean },
) => void;

interface ChildResult {
  ok: boolean;
  detail: string;
}

async function runChild(moduleUrl: string): Promise<Map<number, ChildResult>> {
  const env: Record<string, string> = { [CHILD_FLAG]: "1", NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "XDG_CACHE_HOME", "DENO_DIR", "TMPDIR", "LANG"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--allow-all",
      "--no-check", // the parent has checked this very file
      "--reporter=tap",
      "--config",
      join(repoRoot, "deno.json"),
      new URL(moduleUrl).pathname,
    ],
    cwd: repoRoot,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(output.stdout).split("\n");
  const results = new Map<number, ChildResult>();
  for (let i = 0; i < lines.length; i++) {
    const match = /^(not )?ok (\d+) - /.exec(lines[i]!);
    if (!match) continue;
    let detail = "";
    if (match[1] && lines[i + 1]?.trim() === "---") {
      try {
        detail = JSON.parse(lines[i + 2]!.trim()).message;
      } catch {
        detail = lines[i + 2] ?? "";
      }
    }
    results.set(Number(match[2]), { ok: !match[1], detail });
  }
  if (results.size === 0) {
    results.set(0, { ok: false, detail: new TextDecoder().decode(output.stderr) });
  }
  return results;
}

/**
 * Declares the tests of one file. In `deno test` they run in a child process
 * of their own (one per file, started by the first test), where changing
 * HOME, the environment and the current folder touches nothing else; each
 * test here reports its result there.
 *
 * @param moduleUrl The test file's `import.meta.url`.
 * @returns `Deno.test` for these tests.
 */
export function presetTests(moduleUrl: string): PresetTest {
  if (Deno.env.get(CHILD_FLAG) === "1") {
    return (name, fn, options = {}) => Deno.test({ name, fn, ignore: options.ignore ?? false });
  }
  let child: Promise<Map<number, ChildResult>> | undefined;
  let count = 0;
  return (name, _fn, options = {}) => {
    const index = ++count;
    Deno.test({
      name,
      ignore: options.ignore ?? false,
      fn: async () => {
        child ??= runChild(moduleUrl);
        const results = await child;
        const result = results.get(index);
        if (!result) {
          throw new Error(`no result from the child process: ${results.get(0)?.detail ?? ""}`);
        }
        if (!result.ok) throw new Error(result.detail);
      },
    });
  };
}

/** Variables a preset reads; cleared in an isolated environment. */
const CLEARED =
  /^(DESCARTESLABS_|FREVA_|ANACONDA_CLOUD_|LATCHKEY_|BROWSER_SESSION$|SLURM_JOB_ID$|PBS_JOBID$|JOB_ID$|LSB_JOBID$|OAR_JOB_ID$|KUBERNETES_SERVICE_HOST$|JUPYTERHUB_USER$|XDG_CACHE_HOME$)/;

/** An isolated home of a preset test: {@linkcode IsolatedHome} with the warnings logged. */
export interface Home extends IsolatedHome {
  /** Warnings logged since the home was made. */
  warnings: string[];
}

/**
 * Points HOME and XDG_CONFIG_HOME at a fresh folder, moves into it, clears the
 * variables presets read and captures warnings.
 */
export async function presetHome(): Promise<Home> {
  const home = await isolatedHome({ prefix: "latchkey-presets-", clear: CLEARED, chdir: true });
  const warnings: string[] = [];
  const previous: Logger = setLogger({ warn: (m) => warnings.push(m), debug: () => {} });
  const restore = async () => {
    setLogger(previous);
    await home.restore();
  };
  return { ...home, warnings, restore, [Symbol.asyncDispose]: restore };
}

/** Writes a file with a given mode (as a Python client with umask 022 would: 0644). */
export async function writeFileWithMode(path: string, text: string, mode = 0o644): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
}

/** Runs `fn` with `console.log` captured; returns what it printed and returned. */
export async function captureStdout<T>(
  fn: () => T | Promise<T>,
): Promise<{ out: string; value: T }> {
  const original = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    const value = await fn();
    return { out: lines.join("\n"), value };
  } finally {
    console.log = original;
  }
}

/** Hex SHA-1, as Python's `hashlib.sha1(...).hexdigest()`. */
export async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return new Uint8Array(digest).toHex();
}
