/**
 * Helpers for the foundation tests: secret files, and `probe()`, which runs an `Auth` in a child
 * process with its own environment, HOME, XDG_CONFIG_HOME and current folder. (Temporary
 * folders, fake JWTs, loopback servers and assertions are in tests/support/.)
 *
 * `deno test --parallel` runs every test file in one process, so a test must never change the
 * environment, the current folder or the umask in-process: those would leak into the other
 * files. Tests that need them go through `probe()`; in-process `Auth`s use
 * {@linkcode NO_ENV_PREFIX}, `dotenv: false` and an explicit store.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { AuthErrorCode } from "../../src/errors.ts";
import { assertEquals } from "../support/assert.ts";
import { DENO_DIR } from "../support/deno_dir.ts";
import { tempDir } from "../support/files.ts";

/** A unique environment prefix, so an in-process `Auth` reads no variable another test set. */
export const NO_ENV_PREFIX = `LATCHKEY_FOUNDATION_TEST_${crypto.randomUUID().slice(0, 8)}_`;

/** What an `Auth` does in a child process with its own environment (see `fixtures/auth_probe.ts`). */
export interface ProbeScenario {
  /** `Auth` options as JSON; `$ROOT` in a string is the scenario's temporary root. */
  options?: Record<string, unknown>;
  /** `token`, `status`, `inspect`, `credential`, `fileStore`. */
  actions: string[];
  /** Environment variables (the child gets only these, HOME, XDG_CONFIG_HOME and PATH). */
  env?: Record<string, string>;
  /**
   * Files to create, by path relative to the root (`home/`, `xdg/` and `cwd/` exist; `cwd/` is
   * the child's current folder). A value is text or JSON, written 0600 unless `mode` says.
   */
  files?: Record<string, unknown>;
  /** Modes of some of those files. */
  modes?: Record<string, number>;
}

/** An error as the probe reports it. */
export interface ProbeError {
  /** The constructor's name, e.g. `LoginRequiredError`. */
  class: string;
  /** The `AuthError` code, if any. */
  code: AuthErrorCode | null;
  /** The message. */
  message: string;
  /** The hint, if any. */
  hint: string | null;
  /** Inspection, stack and cause chain joined: everything a log could show. */
  text: string;
}

/** One action's outcome. */
export type ProbeResult =
  // deno-lint-ignore no-explicit-any
  | { ok: true; value: any }
  | { ok: false; error: ProbeError };

/** A finished probe; paths under the root read `$ROOT/...`. */
export interface ProbeRun {
  /** One result per action. */
  results: ProbeResult[];
  /** Warnings Latchkey logged. */
  warnings: string[];
}

const repoRoot = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const probeScript = new URL("./fixtures/auth_probe.ts", import.meta.url).pathname;

/**
 * Runs an `Auth` scenario in a child process with a clean environment, its own HOME,
 * XDG_CONFIG_HOME and current folder, so nothing leaks between tests (`deno test --parallel`
 * runs all test files in one process, where environment and current folder are shared).
 *
 * @param scenario Options, actions, environment and files.
 * @returns The results, with the temporary root shown as `$ROOT`.
 */
export async function probe(scenario: ProbeScenario): Promise<ProbeRun> {
  await using root = await tempDir("latchkey-probe-");
  const fill = (text: string) => text.replaceAll("$ROOT", root.path);
  for (const dir of ["home", "xdg", "cwd"]) await Deno.mkdir(join(root.path, dir), { mode: 0o700 });
  for (const [name, content] of Object.entries(scenario.files ?? {})) {
    const path = join(root.path, name);
    await Deno.mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
    const text = typeof content === "string" ? content : JSON.stringify(content, null, 2);
    await writeSecretFile(path, fill(text), scenario.modes?.[name] ?? 0o600);
  }
  const env: Record<string, string> = {
    HOME: join(root.path, "home"),
    XDG_CONFIG_HOME: join(root.path, "xdg"),
    DENO_DIR,
    NO_COLOR: "1",
  };
  for (const name of ["PATH", "TMPDIR", "LANG"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(scenario.env ?? {})) env[name] = fill(value);
  const input = fill(
    JSON.stringify({ options: scenario.options ?? {}, actions: scenario.actions }),
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", join(repoRoot, "deno.json"), probeScript, input],
    cwd: join(root.path, "cwd"),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.code !== 0) throw new Error(`probe failed (${output.code}): ${stderr}`);
  return JSON.parse(stdout.replaceAll(root.path, "$ROOT"));
}

/**
 * The value of a successful probe action.
 *
 * @param result The action's result.
 * @returns Its value.
 */
// deno-lint-ignore no-explicit-any
export function ok(result: ProbeResult | undefined): any {
  if (!result?.ok) {
    throw new assert.AssertionError({
      message: `expected success, got ${
        JSON.stringify(result?.ok === false ? result.error : result)
      }`,
    });
  }
  return result.value;
}

/**
 * Asserts that a probe action failed with exactly this error class and code.
 *
 * @param result The action's result.
 * @param errorClass The class name, e.g. `LoginRequiredError`.
 * @param code The code.
 * @returns The error.
 */
export function failed(
  result: ProbeResult | undefined,
  errorClass: string,
  code: AuthErrorCode,
): ProbeError {
  if (!result || result.ok) {
    throw new assert.AssertionError({
      message: `expected ${errorClass}, got ${JSON.stringify(result)}`,
    });
  }
  assertEquals([result.error.class, result.error.code], [errorClass, code], result.error.message);
  return result.error;
}

/**
 * Writes a file with mode 0600 (as a credential file must be), creating its folder.
 *
 * @param path The file.
 * @param content Text, or a value written as JSON.
 * @param mode The mode.
 */
export async function writeSecretFile(
  path: string,
  content: unknown,
  mode = 0o600,
): Promise<void> {
  const text = typeof content === "string" ? content : JSON.stringify(content, null, 2) + "\n";
  await Deno.writeTextFile(path, text, { mode });
  await Deno.chmod(path, mode);
}
