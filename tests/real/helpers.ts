// Shared set-up for the tests with real parts (a Secret Service, Chromium, Jupyter):
// finding the parts, skipping (or, under CI=true, failing) when one is missing, running
// Latchkey as a separate process, and timing (the throwaway HOME is tests/support/home.ts's
// tempHome).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TempHome } from "../support/home.ts";

/** The repository root. */
export const ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Under CI a missing part fails its test instead of skipping it. */
export const CI: boolean = Deno.env.get("CI") === "true";

/** The Python with Debian's Jupyter packages (not a pyenv one on PATH). */
export const PYTHON = "/usr/bin/python3";

/** Debian's Chromium. */
export const CHROMIUM: string = Deno.env.get("LATCHKEY_TEST_CHROMIUM") ?? "/usr/bin/chromium";

/** The flags Chromium needs on a closed, headless machine as root. */
export const CHROMIUM_ARGS: string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Where a program is on PATH (or the path itself when absolute), without running it. */
export function which(command: string): string | undefined {
  const candidates = command.includes("/")
    ? [command]
    : (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).map((d) => join(d, command));
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** What is missing of a real part, or `undefined` when it is all there. */
export type Probe = () => string | undefined;

/** Programs that must be installed. */
export function programs(...names: string[]): Probe {
  return () => {
    const missing = names.filter((name) => which(name) === undefined);
    return missing.length ? `not installed: ${missing.join(", ")}` : undefined;
  };
}

/** Python modules that must import under {@linkcode PYTHON}. */
export function pythonModules(...modules: string[]): Probe {
  return () => {
    if (!which(PYTHON)) return `not installed: ${PYTHON}`;
    const out = new Deno.Command(PYTHON, {
      args: ["-c", `import ${modules.join(", ")}`],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (out.success) return undefined;
    return `Python modules missing (${modules.join(", ")}): ` +
      new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
  };
}

/**
 * A command that must run and succeed, such as `script --version` (which only
 * util-linux's `script` accepts). `Deno.Command` throws at once, not in its
 * promise, when the program is missing: the probe catches both.
 */
export function commandSucceeds(argv: [string, ...string[]], what: string): Probe {
  return () => {
    const [command, ...args] = argv;
    try {
      const out = new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync();
      return out.success ? undefined : `${what} does not work: ${argv.join(" ")} failed`;
    } catch (error) {
      return `not installed: ${what} (${error instanceof Error ? error.name : String(error)})`;
    }
  };
}

/** util-linux's `script`, which gives the CLI a pseudo terminal in the terminal tests. */
export const SCRIPT: Probe = commandSucceeds(["script", "--version"], "util-linux script");

/** What is missing of `needs`, joined; `undefined` when it is all there. */
export function missingParts(needs: Probe[]): string | undefined {
  const missing = needs.map((probe) => probe()).filter((m): m is string => m !== undefined);
  return missing.length ? missing.join("; ") : undefined;
}

function missingUnderCi(why: string): Error {
  return new Error(`A real part is missing under CI: ${why}; run .ci/install-real-parts.sh`);
}

/** Says a test is skipped, in the line `tests/run.ts` collects. */
function skipping(name: string, why: string): void {
  console.error(`skipping "${name}": ${why} (install with .ci/install-real-parts.sh)`);
}

/**
 * Whether a step needing `needs` can run: `false` when a part is missing
 * (the caller skips the step), except under `CI=true`, where a missing part
 * throws, naming it.
 *
 * @param name The step, as the skip line names it.
 */
export function partsPresent(name: string, ...needs: Probe[]): boolean {
  const why = missingParts(needs);
  if (why === undefined) return true;
  if (CI) throw missingUnderCi(why);
  skipping(name, why);
  return false;
}

/**
 * Registers a plain `Deno.test` that needs parts of the machine (a program
 * such as `script`): skipped with a message when one is missing, except under
 * `CI=true`, where it runs and fails, naming it. Unlike {@linkcode realTest}
 * it keeps its options and has no deadline or timing line of its own.
 */
export function partTest(
  definition: Omit<Deno.TestDefinition, "ignore"> & { needs: Probe[] },
): void {
  const { needs, fn, ...rest } = definition;
  const why = missingParts(needs);
  if (why !== undefined && !CI) {
    skipping(rest.name, why);
    Deno.test({ ...rest, name: `${rest.name} [skipped: ${why}]`, ignore: true, fn() {} });
    return;
  }
  Deno.test({
    ...rest,
    async fn(t) {
      if (why !== undefined) throw missingUnderCi(why);
      await fn(t);
    },
  });
}

/** The Deno test context, minus what the real tests do not use. */
type Fn = (t: Deno.TestContext) => Promise<void>;

/**
 * Registers a test that needs real parts. Without them it is skipped with a
 * message (its name says why), except under `CI=true`, where it runs and
 * fails, naming what is missing and the script that installs it. Its duration
 * is printed as a `timing:` line, and it fails when it runs past `timeoutMs`.
 */
export function realTest(
  name: string,
  needs: Probe[],
  timeoutMs: number,
  fn: Fn,
): void {
  const why = missingParts(needs);
  if (why !== undefined && !CI) {
    skipping(name, why);
    Deno.test({ name: `${name} [skipped: ${why}]`, ignore: true, fn() {} });
    return;
  }
  Deno.test({
    name,
    async fn(t) {
      if (why !== undefined) throw missingUnderCi(why);
      const started = performance.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Test "${name}" did not finish within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([fn(t), deadline]);
      } finally {
        clearTimeout(timer);
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        console.log(`timing: ${name}: ${seconds} s`);
      }
    },
  });
}

/** The environment of a child: this one without Latchkey, D-Bus or display variables, plus `extra`. */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(Deno.env.toObject())) {
    if (/^(LATCHKEY_|DBUS_|DISPLAY$|WAYLAND_|BROWSER$|JUPYTER|XDG_)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

/** What a finished child printed. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds. */
  ms: number;
}

/** A running child whose stderr can be watched while it runs. */
export interface Running extends AsyncDisposable {
  /** Resolves with the first match of `pattern` in stderr (so far or later). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the child exits. */
  done: Promise<Ran>;
}

/**
 * Starts a program with its stdout and stderr collected; `waitForStderr` sees
 * stderr as it arrives. Disposing kills the child if it still runs.
 */
export function start(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; stdin?: string },
): Running {
  const started = performance.now();
  const child = new Deno.Command(command, {
    args,
    env: options.env,
    clearEnv: true,
    cwd: options.cwd ?? ROOT,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    writer.write(new TextEncoder().encode(options.stdin)).then(() => writer.close()).catch(
      () => {},
    );
  }
  let stderr = "";
  const waiters = new Set<() => void>();
  const readStderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      for (const wake of waiters) wake();
    }
  })();
  const readStdout = new Response(child.stdout).text();
  let exited = false;
  const done = (async () => {
    const [status, stdout] = await Promise.all([child.status, readStdout, readStderr]);
    exited = true;
    for (const wake of waiters) wake();
    return { code: status.code, stdout, stderr, ms: performance.now() - started };
  })();
  return {
    done,
    waitForStderr(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = stderr.match(pattern);
          if (match) return finish(() => resolve(match));
          if (exited) {
            finish(() => reject(new Error(`Exited before printing ${pattern}: ${stderr}`)));
          }
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`No ${pattern} within ${timeoutMs} ms: ${stderr}`))),
          timeoutMs,
        );
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
    async [Symbol.asyncDispose]() {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }
      await done;
    },
  };
}

/** Runs a program to its end (killed after `timeoutMs`). */
export async function run(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; stdin?: string; timeoutMs?: number },
): Promise<Ran> {
  await using child = start(command, args, options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`${command} ${args.join(" ")} ran past ${options.timeoutMs ?? 60_000} ms`),
        ),
      options.timeoutMs ?? 60_000,
    );
  });
  try {
    return await Promise.race([child.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * How Latchkey is run as a separate process: the CLI (`cli.ts`, the same
 * program `deno task cli` runs) when it is there, else `driver.ts`, a small
 * stand-in on the library that takes the same commands and flags.
 */
export function latchkeyCommand(): { label: string; args: string[] } {
  const cli = join(ROOT, "cli.ts");
  const useCli = Deno.env.get("LATCHKEY_REAL_DRIVER") !== "library" && exists(cli);
  if (!useCli) {
    const driver = join(ROOT, "tests", "real", "driver.ts");
    return {
      label: "driver.ts (library)",
      args: ["run", "--allow-all", "-q", "--no-prompt", driver],
    };
  }
  // The permissions of `deno task cli` (the compiled binary's), not --allow-all.
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const task: string = config.tasks?.cli ?? "deno run --allow-all cli.ts";
  const words = [...task.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const at = words.indexOf("cli.ts");
  if (words[0] !== "deno" || words[1] !== "run" || at < 0) {
    throw new Error(`Cannot read the "cli" task of deno.json: ${task}`);
  }
  return {
    label: "cli.ts (task permissions)",
    args: [...words.slice(1, at), cli, ...words.slice(at + 1)],
  };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Lists the files under a folder (relative paths), for "nothing was written" checks. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (sub: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(join(dir, sub)));
    } catch {
      return;
    }
    for (const entry of entries) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(rel);
      else out.push(rel);
    }
  };
  await walk("");
  return out.sort();
}

/** Every file's text under a folder, concatenated (for "no secret leaked" checks). */
export async function allText(dir: string): Promise<string> {
  let text = "";
  for (const rel of await listFiles(dir)) {
    text += await Deno.readTextFile(join(dir, rel)).catch(() => "");
  }
  return text;
}

/**
 * A session bus with an unlocked gnome-keyring (secrets component only) under
 * `dbus-run-session`, with a throwaway HOME; `env` reaches it from a child.
 */
export interface SecretService extends AsyncDisposable {
  /** The child environment: the HOME's variables and `DBUS_SESSION_BUS_ADDRESS`. */
  env: Record<string, string>;
  /** Milliseconds it took to start. */
  startMs: number;
}

const KEYRING_SCRIPT = `set -euo pipefail
printf '%s' latchkey-test-password | gnome-keyring-daemon --unlock --components=secrets --daemonize >/dev/null
printf 'DBUS_SESSION_BUS_ADDRESS=%s\\n' "$DBUS_SESSION_BUS_ADDRESS"
read -r _ || true
`;

/**
 * Starts a private Secret Service. The login keyring gets a throwaway
 * password (gnome-keyring does not create one from an empty password without
 * a prompt, and there is no display for a prompt here).
 */
export async function startSecretService(home: TempHome): Promise<SecretService> {
  const started = performance.now();
  const child = new Deno.Command("dbus-run-session", {
    args: ["--", "bash", "-c", KEYRING_SCRIPT],
    env: childEnv(home.env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let stderr = "";
  const readStderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let address: string | undefined;
  const deadline = Date.now() + 15_000;
  while (address === undefined && Date.now() < deadline) {
    const { done, value } = await lines.read();
    if (done) break;
    buffered += value;
    address = /^DBUS_SESSION_BUS_ADDRESS=(.+)$/m.exec(buffered)?.[1];
  }
  const close = async () => {
    await stdin.close().catch(() => {});
    await lines.cancel().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }, 5_000);
    await child.status;
    clearTimeout(timer);
    await readStderr;
  };
  if (address === undefined) {
    await close();
    throw new Error(`Cannot start gnome-keyring under dbus-run-session: ${stderr}`);
  }
  const env = { ...home.env, DBUS_SESSION_BUS_ADDRESS: address };
  return { env, startMs: performance.now() - started, [Symbol.asyncDispose]: close };
}
