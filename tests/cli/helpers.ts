// Shared set-up for the CLI tests: every test drives `cli.ts` in a subprocess with exactly the
// flags of `deno task cli` (cli/permissions.ts), an isolated HOME (tests/support/home.ts's
// makeHome), no LATCHKEY_* variables and a cleared environment. Every run checks that no canary
// secret shows up in the child's argv (/proc/<pid>/cmdline, descendants included, looked at every
// 50 ms while it runs, so the programs it starts are seen too) or in its output, unless the test
// says stdout may hold one (`token`, `refresh`).
import { type Credential, credentialFromTokenJson, FileStore, type Profile } from "../../mod.ts";
import type { IssuedTokens, MockProvider } from "../../testing.ts";
import { DENO_FLAGS } from "../../cli/permissions.ts";
import { assert } from "../support/assert.ts";
import { type Home, makeHome } from "../support/home.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CLI = `${ROOT}cli.ts`;
export const DENO = Deno.execPath();
const isLinux = Deno.build.os === "linux";

/** What a finished CLI run left behind. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode spawnCli} and {@linkcode runCli}. */
export interface RunOptions {
  /** Variables added to the home's environment. */
  env?: Record<string, string>;
  /** Written to stdin, then stdin is closed; without it stdin is `null`. */
  stdin?: string | Uint8Array;
  /** Keep stdin open for the test to write ({@linkcode CliProcess.write}). */
  interactive?: boolean;
  /** Secrets that must appear nowhere: argv, stderr, and stdout unless allowed. */
  secrets?: string[];
  /** The command prints a secret on stdout on purpose (`token`, `refresh`). */
  stdoutMayHoldSecrets?: boolean;
  /** Deno flags instead of the task's. */
  flags?: readonly string[];
  /** The program and arguments that wrap `deno` (e.g. `script` for a pseudo terminal). */
  wrap?: (command: string[]) => string[];
  /** Kill the child after this long, so a hang fails the test instead of the suite. */
  killAfterMs?: number;
}

/** A running CLI. */
export interface CliProcess {
  /** The child's process id. */
  pid: number;
  /** What it wrote on stderr (and, for wrapped runs, on the terminal) so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Writes to stdin (interactive runs). */
  write(text: string): Promise<void>;
  /** Closes stdin (interactive runs). */
  closeStdin(): Promise<void>;
  /** Sends a signal. */
  kill(signal: Deno.Signal): void;
  /** Waits for the exit and checks the output for secrets. */
  finish(): Promise<RunResult>;
}

/** The argv of a process and of all its descendants (Linux). */
export function processTreeArgv(pid: number): string[] {
  if (!isLinux) return [];
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch {
      // gone
    }
  }
  const out: string[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    try {
      out.push(Deno.readTextFileSync(`/proc/${p}/cmdline`).replaceAll("\0", " "));
    } catch {
      // gone
    }
    queue.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Asserts that no secret is in the argv of the process tree. */
export function assertArgvClean(pid: number, secrets: readonly string[]): void {
  for (const argv of processTreeArgv(pid)) {
    for (const secret of secrets) {
      assert(!argv.includes(secret), `a secret is in the argv of a child: ${argv.slice(0, 80)}…`);
    }
  }
}

/** A watch over a process tree's argv, from {@linkcode watchArgv}. */
export interface ArgvWatch {
  /** Stops watching; returns each argv seen that held a secret (cut short). */
  stop(): string[];
}

/**
 * Looks at the argv of a process tree every `intervalMs` until stopped, so the children it
 * starts later (an opener, a keychain tool) are seen too, not only the tree at spawn.
 */
export function watchArgv(pid: number, secrets: readonly string[], intervalMs = 50): ArgvWatch {
  const seen: string[] = [];
  const look = () => {
    for (const argv of processTreeArgv(pid)) {
      if (secrets.some((secret) => argv.includes(secret))) seen.push(argv.slice(0, 80));
    }
  };
  look();
  const timer = secrets.length && isLinux ? setInterval(look, intervalMs) : undefined;
  return {
    stop() {
      clearInterval(timer);
      return seen;
    },
  };
}

/** Asserts that no secret is in the output, and no stack trace. */
export function assertOutputClean(result: RunResult, options: RunOptions = {}): void {
  for (const secret of options.secrets ?? []) {
    assert(!result.stderr.includes(secret), `a secret is on stderr:\n${result.stderr}`);
    if (!options.stdoutMayHoldSecrets) {
      assert(!result.stdout.includes(secret), `a secret is on stdout:\n${result.stdout}`);
    }
  }
  assert(
    !/^\s+at .+:\d+:\d+\)?$/m.test(result.stderr),
    `a stack trace on stderr:\n${result.stderr}`,
  );
}

/** Starts the CLI. */
export function spawnCli(home: Home, args: string[], options: RunOptions = {}): CliProcess {
  const command = [DENO, "run", ...(options.flags ?? DENO_FLAGS), CLI, ...args];
  const argv = options.wrap ? options.wrap(command) : command;
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    cwd: home.cwd,
    clearEnv: true,
    env: { ...home.env, ...options.env },
    stdin: options.stdin !== undefined || options.interactive ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const secrets = options.secrets ?? [];
  assertArgvClean(child.pid, secrets);
  const argvWatch = watchArgv(child.pid, secrets);
  let killed = false;
  const watchdog = setTimeout(() => {
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }, options.killAfterMs ?? 60_000);

  let stderr = "";
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = stderr.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  const collect = async (stream: ReadableStream<Uint8Array>, into: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) into(text);
  };
  let stdout = "";
  const stderrDone = collect(child.stderr, (text) => {
    stderr += text;
    check();
  });
  const stdoutDone = collect(child.stdout, (text) => {
    stdout += text;
    if (options.wrap) {
      stderr += text; // a pseudo terminal merges both
      check();
    }
  });
  const writer = options.stdin !== undefined || options.interactive
    ? child.stdin.getWriter()
    : undefined;
  const initial = options.stdin === undefined ? Promise.resolve() : (async () => {
    await writer!.write(
      typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin,
    );
    await writer!.close().catch(() => {});
  })().catch(() => {});

  return {
    pid: child.pid,
    output: () => stderr,
    waitFor(pattern, timeoutMs = 20_000) {
      const match = stderr.match(pattern);
      if (match) return Promise.resolve(match);
      const { promise, resolve, reject } = Promise.withResolvers<RegExpMatchArray>();
      const waiter = { pattern, resolve };
      waiters.push(waiter);
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`timed out waiting for ${pattern} in:\n${stderr}`));
      }, timeoutMs);
      return promise.finally(() => clearTimeout(timer));
    },
    async write(text) {
      await writer!.write(new TextEncoder().encode(text));
    },
    async closeStdin() {
      await writer!.close().catch(() => {});
    },
    kill(signal) {
      child.kill(signal);
    },
    async finish() {
      const status = await child.status;
      clearTimeout(watchdog);
      const argvSeen = argvWatch.stop();
      assert(argvSeen.length === 0, `a secret is in the argv of a child: ${argvSeen[0]}…`);
      await Promise.all([stdoutDone, stderrDone, initial]);
      if (options.interactive) await writer!.close().catch(() => {});
      const result = { code: status.code, stdout, stderr };
      assert(!killed, `the CLI did not finish in time:\n${show(result)}`);
      assertOutputClean(result, options);
      if (!options.wrap) {
        assert(
          !(result.stderr + result.stdout).includes("\x1b["),
          `escape codes off a terminal:\n${show(result)}`,
        );
      }
      return result;
    },
  };
}

/** Runs the CLI to its end. */
export async function runCli(
  home: Home,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return await spawnCli(home, args, options).finish();
}

/** Formats a result for assertion messages. */
export function show(result: RunResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/** Writes `config.json` with these profiles. */
export async function writeConfig(
  home: Home,
  profiles: Record<string, Profile>,
  defaultProfile?: string,
): Promise<void> {
  await Deno.mkdir(`${home.config}/latchkey`, { recursive: true, mode: 0o700 });
  const config = { ...(defaultProfile ? { default: defaultProfile } : {}), profiles };
  await Deno.writeTextFile(`${home.config}/latchkey/config.json`, JSON.stringify(config), {
    mode: 0o600,
  });
}

/** The profile of the mock's public client, in the file store. */
export function mockProfile(provider: MockProvider): Profile {
  return {
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    scope: "openid profile offline_access",
    apiOrigins: [provider.issuer],
    store: "file",
  };
}

/**
 * A home where `profile` is logged in to the mock as alice (tokens minted by the provider).
 *
 * @returns The home and the tokens.
 */
export async function loggedInHome(
  provider: MockProvider,
  options: { profile?: string; ttl?: number } = {},
): Promise<{ home: Home; tokens: IssuedTokens; credentialPath: string }> {
  const home = await makeHome();
  const profile = options.profile ?? "default";
  await writeConfig(home, { [profile]: mockProfile(provider) });
  const tokens = await provider.issueTokens({
    username: "alice",
    clientId: "latchkey-cli",
    scope: "openid profile offline_access",
    ...(options.ttl !== undefined ? { ttl: options.ttl } : {}),
  });
  const credential: Credential = credentialFromTokenJson(
    { ...tokens, issuer: provider.issuer, client_id: "latchkey-cli" },
  );
  const store = new FileStore({ dir: `${home.config}/latchkey/credentials` });
  await store.write(profile, credential);
  return { home, tokens, credentialPath: store.location(profile) };
}

/** The secrets of issued tokens (access, refresh, id). */
export function tokenSecrets(tokens: IssuedTokens): string[] {
  const t = tokens as unknown as Record<string, unknown>;
  return ["access_token", "refresh_token", "id_token"]
    .map((key) => t[key])
    .filter((value): value is string => typeof value === "string");
}
