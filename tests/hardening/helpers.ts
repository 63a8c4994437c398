/**
 * Shared parts of the hardening suite: run counts, the scans that look for canary secrets
 * (tests/support/canary.ts), typed-error checks, sandboxes that leave the process's environment
 * alone, child processes with a start barrier, and properties run in a child process that is
 * killed when it hangs.
 *
 * @module
 */

import nodeAssert from "node:assert/strict";
import { join } from "node:path";
import {
  AUTH_ERROR_CODES,
  AuthError,
  type AuthErrorCode,
  type AuthOptions,
  FileStore,
} from "../../mod.ts";
import { CANARIES } from "../support/canary.ts";
import { DENO_DIR } from "../support/deno_dir.ts";

/** The repository root (for `--config` of child processes). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** Whether this is a CI run (`CI=true`). */
export const CI: boolean = Deno.env.get("CI") === "true";

/**
 * Runs of a property: `FUZZ_RUNS` when set, else `ci` under `CI=true`, else `local`.
 *
 * @param ci Runs in CI.
 * @param local Runs locally.
 * @returns The number of runs.
 */
export function fuzzRuns(ci: number, local: number): number {
  const forced = Number(Deno.env.get("FUZZ_RUNS"));
  if (Number.isInteger(forced) && forced > 0) return forced;
  return CI ? ci : local;
}

/**
 * Everything an error shows: message, hint, `String()`, `Deno.inspect` (stack, fields, cause
 * chain) and `JSON.stringify` of each error in the cause chain.
 *
 * @param error What was thrown.
 * @returns The text.
 */
export function errorText(error: unknown): string {
  const parts = [Deno.inspect(error, { depth: 10, showHidden: true }), String(error)];
  for (let e: unknown = error, n = 0; e instanceof Error && n < 10; e = e.cause, n++) {
    parts.push(e.message, e.stack ?? "", JSON.stringify(e));
    if (e instanceof AuthError) parts.push(e.hint ?? "");
  }
  return parts.join("\n");
}

/**
 * The canaries (or other secrets) found in a text.
 *
 * @param text The text.
 * @param secrets What must not appear.
 * @returns The secrets found.
 */
export function leaksIn(text: string, secrets: Iterable<string> = CANARIES): string[] {
  return [...secrets].filter((s) => s.length >= 4 && text.includes(s));
}

/**
 * Asserts that a text holds none of the secrets.
 *
 * @param text The text.
 * @param what What the text is, for the message.
 * @param secrets What must not appear.
 */
export function assertNoLeak(
  text: string,
  what: string,
  secrets: Iterable<string> = CANARIES,
): void {
  const found = leaksIn(text, secrets);
  if (found.length) {
    throw new nodeAssert.AssertionError({
      message: `${what} holds ${found.map((s) => `"${s}"`).join(", ")}: ${text.slice(0, 2000)}`,
    });
  }
}

/**
 * Why an error is not an acceptable outcome of bad input: it must be an `AuthError` with a known
 * code (and, when given, one of `codes`), and show no secret.
 *
 * @param error What was thrown.
 * @param codes The codes allowed here; any known code when absent.
 * @param secrets What must not appear.
 * @returns A complaint, or `undefined` when the error is fine.
 */
export function badError(
  error: unknown,
  codes?: readonly AuthErrorCode[],
  secrets: Iterable<string> = CANARIES,
): string | undefined {
  if (!(error instanceof AuthError)) {
    return `not an AuthError: ${
      error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)
    }\n${error instanceof Error ? error.stack : ""}`;
  }
  if (!AUTH_ERROR_CODES.includes(error.code)) return `unknown code "${error.code}"`;
  if (codes && !codes.includes(error.code)) {
    return `code ${error.code} not in ${codes.join(", ")}: ${error.message}`;
  }
  const found = leaksIn(errorText(error), secrets);
  if (found.length) return `error shows ${found.join(", ")}: ${error.message}`;
  return undefined;
}

/**
 * Throws when {@linkcode badError} complains.
 *
 * @param error What was thrown.
 * @param codes The codes allowed here.
 * @param secrets What must not appear.
 */
export function assertTypedError(
  error: unknown,
  codes?: readonly AuthErrorCode[],
  secrets: Iterable<string> = CANARIES,
): void {
  const complaint = badError(error, codes, secrets);
  if (complaint) throw new nodeAssert.AssertionError({ message: complaint });
}

/**
 * Rejects when a promise takes longer than `ms`.
 *
 * @param promise The promise.
 * @param ms The limit in milliseconds.
 * @param what What is awaited, for the message.
 * @returns The promise's value.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A temporary folder tree for one test; removed by `await using`.
 *
 * `deno test --parallel` runs test files as workers of one process, so the environment, the
 * current folder and the umask are shared with whatever other file runs at the same time.
 * A sandbox therefore changes none of them: stores get explicit folders, `Auth` gets an
 * environment prefix of its own (so no other test's `LATCHKEY_*` variables reach it) and no
 * `.env`, and child processes get their own `HOME` and `XDG_CONFIG_HOME`.
 */
export interface Sandbox extends AsyncDisposable {
  /** The temporary root. */
  root: string;
  /** `HOME` of child processes. */
  home: string;
  /** `XDG_CONFIG_HOME` of child processes. */
  xdg: string;
  /** `$XDG_CONFIG_HOME/latchkey` of child processes. */
  latchkeyDir: string;
  /** The credentials folder: the default file store's folder for child processes. */
  credentialsDir: string;
  /** An environment prefix no other test uses. */
  envPrefix: string;
  /** The environment a child process needs to see this sandbox as its home. */
  childEnv: Record<string, string>;
  /** A file store on {@linkcode credentialsDir}. */
  store(): FileStore;
  /**
   * `Auth` options that keep an instance inside the sandbox: the file store, the profile, the
   * private environment prefix, no `.env`.
   */
  authOptions(profile: string): AuthOptions;
}

let sandboxes = 0;

/**
 * Makes a {@linkcode Sandbox}.
 *
 * @returns The sandbox.
 */
export async function sandbox(): Promise<Sandbox> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "latchkey-hard-" }));
  const home = join(root, "home");
  const xdg = join(root, "xdg");
  for (const dir of [home, xdg]) await Deno.mkdir(dir, { mode: 0o700 });
  await Deno.chmod(root, 0o700);
  const latchkeyDir = join(xdg, "latchkey");
  const credentialsDir = join(latchkeyDir, "credentials");
  const envPrefix = `LKHARD${Deno.pid}X${++sandboxes}_`;
  const store = () => new FileStore({ dir: credentialsDir });
  return {
    root,
    home,
    xdg,
    latchkeyDir,
    credentialsDir,
    envPrefix,
    childEnv: { HOME: home, XDG_CONFIG_HOME: xdg, DENO_DIR },
    store,
    authOptions: (profile) => ({ store: store(), profile, envPrefix, dotenv: false }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Text written to `console.*` while {@linkcode captureConsole} was active. */
export interface CapturedConsole extends Disposable {
  /** Every line, as `method: text`. */
  lines: string[];
}

/**
 * Replaces `console.log/info/warn/error/debug/trace` with recorders until disposal.
 *
 * @returns What was written.
 */
export function captureConsole(): CapturedConsole {
  const methods = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const saved = methods.map((m) => [m, console[m]] as const);
  const lines: string[] = [];
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      lines.push(
        `${m}: ${
          args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { depth: 10 })).join(" ")
        }`,
      );
    };
  }
  return {
    lines,
    [Symbol.dispose]() {
      for (const [m, fn] of saved) console[m] = fn;
    },
  };
}

/** A child Deno process started with `deno run -A --config <repo>/deno.json`. */
export interface Child {
  /** The process. */
  process: Deno.ChildProcess;
  /** Resolves with the first line the child prints that equals `line` (rejects at EOF). */
  waitFor(line: string): Promise<void>;
  /** Every line printed so far. */
  lines: string[];
  /** Writes a line to the child's stdin. */
  send(line: string): Promise<void>;
}

/**
 * Spawns a fixture script as a child process with piped stdin and stdout.
 *
 * @param script The script's path.
 * @param args Its arguments.
 * @param env Extra environment.
 * @returns The child.
 */
export function spawnChild(
  script: string,
  args: string[],
  env: Record<string, string>,
): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(ROOT, "deno.json"),
      `--lock=${join(ROOT, "tests/deno.lock")}`,
      script,
      ...args,
    ],
    // A clean environment: other test files of this process may have set LATCHKEY_* variables.
    env: { DENO_DIR, NO_COLOR: "1", ...env },
    clearEnv: true,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  (async () => {
    let buffer = "";
    for await (const chunk of process.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let at: number;
      while ((at = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 1);
        lines.push(line);
        for (const w of waiters.filter((w) => w.line === line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
    for (const w of waiters.splice(0)) w.reject(new Error(`child exited before "${w.line}"`));
  })().catch(() => {});
  const writer = process.stdin.getWriter();
  return {
    process,
    lines,
    waitFor(line) {
      if (lines.includes(line)) return Promise.resolve();
      return new Promise((resolve, reject) => waiters.push({ line, resolve, reject }));
    },
    async send(line) {
      await writer.write(new TextEncoder().encode(`${line}\n`));
    },
  };
}

/** What a property run in a child process reports. */
export interface PropertyReport {
  /** Whether every run passed. */
  ok: boolean;
  /** The failure (fast-check's report with the counterexample and seed). */
  message?: string;
  /** How many runs were made. */
  runs: number;
  /** How long it took, in milliseconds. */
  ms: number;
}

/**
 * Runs a property of `fixtures/properties.ts` in a child process, so that even a synchronous
 * infinite loop in the code under test ends in a failure (the child is killed) instead of a hang.
 * (A child rather than a worker: `deno test` would type-check a worker's module graph again.)
 *
 * @param name The property's name.
 * @param runs How many inputs to try.
 * @param limitMs The wall-clock limit for all runs.
 * @returns The report.
 */
export async function runProperty(
  name: string,
  runs: number,
  limitMs: number,
): Promise<PropertyReport> {
  const script = new URL("./fixtures/properties.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(ROOT, "deno.json"),
      `--lock=${join(ROOT, "tests/deno.lock")}`,
      script,
      name,
      String(runs),
    ],
    env: { DENO_DIR, NO_COLOR: "1", TMPDIR: Deno.env.get("TMPDIR") ?? "/tmp" },
    clearEnv: true,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (out.signal === "SIGKILL") {
    throw new nodeAssert.AssertionError({
      message: `property "${name}" hung: no result within ${limitMs} ms`,
    });
  }
  let report: PropertyReport;
  try {
    report = JSON.parse(stdout.split("\n").at(-1) ?? "");
  } catch {
    throw new nodeAssert.AssertionError({
      message: `property "${name}" crashed (exit ${out.code}):\n${stdout}\n${stderr}`,
    });
  }
  if (!report.ok) {
    throw new nodeAssert.AssertionError({
      message: `property "${name}" failed:\n${report.message}`,
    });
  }
  return report;
}
