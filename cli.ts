/**
 * The `latchkey` command line: a thin shell over the public API of `mod.ts`.
 * It parses the arguments, runs one command (each loaded only when used) and
 * maps errors to the exit codes of the contract: 0 ok · 1 login required,
 * denied or expired, or an HTTP error status · 2 usage or bad input ·
 * 3 provider or network failure · 130 interrupted.
 *
 * In the repository, `deno task cli ARGS` runs it with the permissions of the
 * compiled binary (`deno task compile`); see `cli/permissions.ts`.
 *
 * @example
 * ```sh
 * deno task cli login --issuer https://id.example.org --client-id my-cli --api https://api.example.org
 * deno task cli fetch /v1/me
 * ```
 *
 * @module
 */

import meta from "./deno.json" with { type: "json" };
import { AuthError, hideSecretEnvironment, readConfig, setLogger } from "./mod.ts";
import { loadParser, parseCommandLine, splitCommand, usageError } from "./cli/args.ts";
import { type Command, commandHelp, type Context } from "./cli/command.ts";
import { COMMANDS } from "./cli/commands.ts";
import { exitCodeOf, isBrokenPipe, reportError } from "./cli/errors.ts";
import { mainHelp } from "./cli/help.ts";
import { Output } from "./cli/output.ts";
import { restoreTerminal } from "./src/util/terminal_secret.ts";

/** Milliseconds a command gets to stop by itself after Ctrl-C before the process exits. */
const GRACE_MS = 2000;

function closest(name: string): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length]!;
  };
  return Object.keys(COMMANDS).find((command) => distance(name, command) <= 2);
}

/** The commands that may name a profile that does not exist yet: they create it. */
const CREATES_PROFILE: ReadonlySet<string> = new Set(["login", "save-token", "mock-server"]);

/**
 * Refuses a `--profile` that names no saved profile (a typo would otherwise read as "not logged
 * in", or as a logout with nothing to do), listing the known ones. `default` always exists.
 */
async function assertKnownProfile(name: string): Promise<void> {
  if (name === "default") return;
  const config = await readConfig();
  if (config.profiles[name] || config.default === name) return;
  const known = Object.keys(config.profiles).sort();
  throw usageError(
    `no profile "${name}"`,
    known.length
      ? `known profiles: ${known.join(", ")}; \`latchkey --profile ${name} login …\` creates it`
      : `\`latchkey --profile ${name} login …\` creates it`,
  );
}

/**
 * Runs the command line.
 *
 * @param argv The arguments, without the program name.
 * @returns The exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let out = new Output({ color: false, animate: false });
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) {
      restoreTerminal();
      Deno.exit(130);
    }
    controller.abort(new AuthError("ABORTED", "Interrupted"));
    const timer = setTimeout(() => {
      restoreTerminal();
      out.usage("interrupted");
      Deno.exit(130);
    }, GRACE_MS);
    Deno.unrefTimer(timer);
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    const { command: name, rest } = splitCommand(argv);
    let command: Command | undefined;
    if (name !== undefined) {
      const entry = COMMANDS[name];
      if (!entry) {
        const guess = closest(name);
        throw usageError(
          `unknown command "${name}"`,
          guess ? `did you mean \`latchkey ${guess}\`?` : "run `latchkey --help` for the commands",
        );
      }
      command = await entry.load();
    }
    if (rest.length > 0) await loadParser();
    const parsed = parseCommandLine(rest, command?.options ?? {}, name);
    const { globals } = parsed;
    out = new Output({ quiet: globals.quiet, verbose: globals.verbose });
    setLogger({
      warn: (message) => out.warn(message),
      debug: (message) => out.debug(message),
      // A wait ("retrying in 4 s…") shows on a terminal; on a pipe it is a debug line.
      info: (message) => Deno.stderr.isTerminal() ? out.info(message) : out.debug(message),
    });
    if (globals.version) {
      if (globals.json) out.json({ version: meta.version, deno: Deno.version.deno });
      else out.result(`latchkey ${meta.version} (deno ${Deno.version.deno})`);
      return 0;
    }
    if (globals.help) {
      out.result(command ? commandHelp(command) : mainHelp());
      return 0;
    }
    if (!command) {
      out.prompt(mainHelp() + "\n");
      return 2;
    }
    if (globals.profile !== undefined && !CREATES_PROFILE.has(command.name)) {
      await assertKnownProfile(globals.profile);
    }
    const ctx: Context = {
      profile: globals.profile,
      json: globals.json,
      out,
      signal: controller.signal,
    };
    return await command.run(ctx, parsed);
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    if (isBrokenPipe(reason)) return 0; // the reader of stdout stopped early (`| head`)
    reportError(out, reason);
    return exitCodeOf(reason);
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    restoreTerminal();
  }
}

if (import.meta.main) {
  // Secrets read from the environment stay readable to Latchkey but leave the environment, so
  // nothing started later inherits them.
  hideSecretEnvironment();
  Deno.exit(await main(Deno.args));
}
