/**
 * Argument parsing with `node:util`'s `parseArgs`: global flags are accepted
 * before or after the command, each command adds its own, and every mistake
 * becomes a one-line `USAGE` error that never echoes an option's value.
 *
 * @module
 */

import type { parseArgs as ParseArgs } from "node:util";
import { AuthError } from "../mod.ts";

let parseArgs: typeof ParseArgs | undefined;

/**
 * Loads `node:util`'s `parseArgs`. Importing any `node:` module starts Deno's
 * Node layer (about 15 ms), so the CLI does it only when a command line has
 * arguments to parse: `latchkey token` alone never pays for it.
 */
export async function loadParser(): Promise<void> {
  parseArgs ??= (await import("node:util")).parseArgs;
}

/** One option of a command. */
export interface OptionSpec {
  /** `string` takes a value; `boolean` does not. */
  type: "string" | "boolean";
  /** A one-letter alias. */
  short?: string;
  /** Whether it may be repeated (values are collected; booleans are counted). */
  multiple?: boolean;
  /** The value's placeholder in the help, e.g. `URL`. */
  value?: string;
  /** What it does, for the help. */
  description: string;
}

/** Options by long name. */
export type OptionSpecs = Record<string, OptionSpec>;

/** The flags every command takes, before or after its name. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  profile: {
    type: "string",
    value: "P",
    description: 'the profile (default: LATCHKEY_PROFILE, else the saved default, else "default")',
  },
  json: {
    type: "boolean",
    description: "print the result as JSON (every command but fetch)",
  },
  quiet: { type: "boolean", short: "q", description: "print only results, prompts and errors" },
  verbose: {
    type: "boolean",
    short: "v",
    multiple: true,
    description: "print debug messages on stderr (never a secret)",
  },
  version: { type: "boolean", short: "V", description: "print the version" },
  help: { type: "boolean", short: "h", description: "show help" },
};

/** The parsed values: strings, string lists, booleans, or boolean counts. */
export type Values = Record<string, string | string[] | boolean | boolean[] | undefined>;

/** The global flags, settled. */
export interface GlobalFlags {
  /** `--profile`. */
  profile: string | undefined;
  /** `--json`. */
  json: boolean;
  /** `-q`. */
  quiet: boolean;
  /** How many `-v`. */
  verbose: number;
  /** `-V`. */
  version: boolean;
  /** `-h`. */
  help: boolean;
}

/** What {@linkcode parseCommandLine} found. */
export interface ParsedArgs {
  /** The global flags. */
  globals: GlobalFlags;
  /** The command's own option values. */
  values: Values;
  /** The arguments after the command name. */
  positionals: string[];
}

/** The names of secrets people may try to pass as options. */
const SECRET_OPTIONS: Record<string, string> = {
  "client-secret": "set LATCHKEY_CLIENT_SECRET or use --client-secret-stdin",
  secret: "set LATCHKEY_CLIENT_SECRET or use --client-secret-stdin",
  password: "type it at the prompt, or use --password-stdin",
  token: "use `latchkey save-token` (reads stdin) or set LATCHKEY_TOKEN",
  "access-token": "use `latchkey save-token` (reads stdin) or set LATCHKEY_TOKEN",
  "refresh-token": "put it in a token file (--token-file) or set LATCHKEY_REFRESH_TOKEN",
};

/**
 * A usage error: exit code 2, one line.
 *
 * @param message What is wrong, without any secret.
 * @param hint Where to look.
 * @returns The error.
 */
export function usageError(message: string, hint?: string): AuthError {
  return new AuthError("USAGE", message, hint === undefined ? {} : { hint });
}

function optionName(token: string): string {
  return token.replace(/^-+/, "").split("=")[0]!;
}

/**
 * Finds the command name: the first argument that is not a global flag (or
 * the value of `--profile`).
 *
 * @param argv The arguments.
 * @returns The command (if any) and the other arguments.
 * @throws {AuthError} `USAGE` for an option before the command that is not global.
 *
 * @example
 * ```ts
 * import { splitCommand } from "./args.ts";
 * const { command, rest } = splitCommand(["--profile", "work", "-q", "status", "--json"]);
 * if (!(command === "status" && rest.join(" ") === "--profile work -q --json")) {
 *   throw new Error("Expected command === \"status\" && rest.join(\" \") === \"--profile work…");
 * }
 * ```
 */
export function splitCommand(argv: readonly string[]): { command?: string; rest: string[] } {
  const shorts = new Set(
    Object.values(GLOBAL_OPTIONS).map((o) => o.short).filter((s) => s !== undefined),
  );
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") break;
    if (token.startsWith("--")) {
      const name = optionName(token);
      const spec = GLOBAL_OPTIONS[name];
      if (!spec) {
        throw unknownOption(`--${name}`, undefined);
      }
      if (spec.type === "string" && !token.includes("=")) i++;
      continue;
    }
    if (token.startsWith("-") && token.length > 1) {
      for (const letter of token.slice(1)) {
        if (!shorts.has(letter)) throw unknownOption(`-${letter}`, undefined);
      }
      continue;
    }
    return { command: token, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: [...argv] };
}

function unknownOption(name: string, command: string | undefined): AuthError {
  const bare = name.replace(/^-+/, "");
  const secretHint = SECRET_OPTIONS[bare];
  if (secretHint) {
    return usageError(
      `option "${name}" is not accepted: secrets are never read from arguments`,
      secretHint,
    );
  }
  const help = command ? `latchkey ${command} --help` : "latchkey --help";
  return usageError(
    command ? `unknown option "${name}" for "${command}"` : `unknown option "${name}"`,
    `see \`${help}\`${command ? "" : "; command options go after the command"}`,
  );
}

/**
 * Parses the arguments after the command with the global and the command's
 * options.
 *
 * @param args The arguments (command name removed).
 * @param options The command's options.
 * @param command The command name, for messages.
 * @returns Globals, values and positionals.
 * @throws {AuthError} `USAGE`.
 */
export function parseCommandLine(
  args: readonly string[],
  options: OptionSpecs,
  command: string | undefined,
): ParsedArgs {
  const all: OptionSpecs = { ...GLOBAL_OPTIONS, ...options };
  if (args.length === 0) {
    // Nothing to parse: every flag is at its default.
    const globals = { json: false, quiet: false, verbose: 0, version: false, help: false };
    return { globals: { profile: undefined, ...globals }, values: {}, positionals: [] };
  }
  if (!parseArgs) throw new Error("Cannot parse arguments: call loadParser() first");
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> =
    {};
  for (const [name, spec] of Object.entries(all)) {
    config[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: config,
      allowPositionals: true,
      strict: true,
    }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw parseError(error, all, command);
  }
  const { values } = parsed;
  const verbose = values.verbose;
  const globals: GlobalFlags = {
    profile: values.profile as string | undefined,
    json: values.json === true,
    quiet: values.quiet === true,
    verbose: Array.isArray(verbose) ? verbose.length : 0,
    version: values.version === true,
    help: values.help === true,
  };
  const own: Values = {};
  for (const name of Object.keys(options)) own[name] = values[name];
  return { globals, values: own, positionals: parsed.positionals };
}

function parseError(
  error: unknown,
  specs: OptionSpecs,
  command: string | undefined,
): AuthError {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const quoted = /'(-[^']*)'/.exec(message)?.[1];
  const name = quoted ? quoted.split(/[=,\s]/)[0]! : undefined;
  const help = `see \`latchkey${command ? ` ${command}` : ""} --help\``;
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return unknownOption(name ?? "?", command);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const long = name ? optionName(name) : "";
      const spec = specs[long] ?? Object.values(specs).find((s) => `-${s.short}` === name);
      const wanted = spec?.type === "string"
        ? `needs a value${spec.value ? ` (${spec.value})` : ""}`
        : "takes no value";
      return usageError(`option "${name ?? "?"}" ${wanted}`, help);
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return usageError("unexpected argument", help);
    default:
      return usageError("cannot parse the arguments", help);
  }
}

/**
 * A string option's value.
 *
 * @param values The parsed values.
 * @param name The option.
 * @returns The value, if given.
 */
export function stringValue(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * A repeatable string option's values.
 *
 * @param values The parsed values.
 * @param name The option.
 * @returns The values (empty when not given).
 */
export function stringList(values: Values, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/**
 * A non-negative number of seconds.
 *
 * @param values The parsed values.
 * @param name The option.
 * @returns The number, if given.
 * @throws {AuthError} `USAGE` when it is not a number ≥ 0.
 */
export function secondsValue(values: Values, name: string): number | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw usageError(`option "--${name}" needs a number of seconds ≥ 0, got "${text}"`);
  }
  return n;
}

/**
 * Checks a value against a list of choices.
 *
 * @param values The parsed values.
 * @param name The option.
 * @param choices The allowed values.
 * @returns The value, if given.
 * @throws {AuthError} `USAGE` when it is not one of the choices.
 */
export function choiceValue<T extends string>(
  values: Values,
  name: string,
  choices: readonly T[],
): T | undefined {
  const text = stringValue(values, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw usageError(`option "--${name}" must be one of ${choices.join(", ")}; got "${text}"`);
  }
  return text as T;
}

/**
 * Checks how many arguments follow the command.
 *
 * @param parsed The parsed arguments.
 * @param command The command, for messages.
 * @param min The least.
 * @param max The most.
 * @throws {AuthError} `USAGE`.
 */
export function expectPositionals(
  parsed: ParsedArgs,
  command: string,
  min: number,
  max: number,
): void {
  const n = parsed.positionals.length;
  if (n < min) {
    throw usageError(`"${command}" needs more arguments`, `see \`latchkey ${command} --help\``);
  }
  if (n > max) {
    throw usageError(
      `"${command}" takes ${max === 0 ? "no" : `at most ${max}`} argument${max === 1 ? "" : "s"}`,
      `see \`latchkey ${command} --help\``,
    );
  }
}

/**
 * Formats the options for a help text, one per line.
 *
 * @param specs The options.
 * @returns The lines.
 */
export function formatOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${
      spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : ""
    }`;
    return [
      flag,
      spec.description + (spec.multiple && spec.type === "string" ? " (repeatable)" : ""),
    ];
  });
  const width = Math.max(...rows.map(([flag]) => flag!.length));
  return rows.map(([flag, text]) => `  ${flag!.padEnd(width)}  ${text}`).join("\n");
}
