/**
 * What a command is: its options, help and `run`; and the context it runs in.
 *
 * @module
 */

import { formatOptions, GLOBAL_OPTIONS, type OptionSpecs, type ParsedArgs } from "./args.ts";
import type { Output } from "./output.ts";

/** What every command receives. */
export interface Context {
  /** `--profile`, if given (else the library resolves it). */
  profile: string | undefined;
  /** `--json`. */
  json: boolean;
  /** The writer. */
  out: Output;
  /** Aborted on Ctrl-C (its reason is an `AuthError` with code `ABORTED`). */
  signal: AbortSignal;
}

/** A command. */
export interface Command {
  /** The name typed after `latchkey`. */
  name: string;
  /** What follows the name in the usage line. */
  usage: string;
  /** One sentence. */
  summary: string;
  /** More about it, for `--help`. */
  description?: string;
  /** Its own options. */
  options: OptionSpecs;
  /** Example command lines. */
  examples: string[];
  /**
   * Runs it.
   *
   * @param ctx The context.
   * @param args The parsed arguments.
   * @returns The exit code.
   */
  run(ctx: Context, args: ParsedArgs): Promise<number>;
}

/**
 * The `--help` text of a command.
 *
 * @param command The command.
 * @returns The text.
 */
export function commandHelp(command: Command): string {
  const parts = [
    `Usage: latchkey ${command.name}${command.usage ? ` ${command.usage}` : ""}`,
    "",
    command.summary,
  ];
  if (command.description) parts.push("", command.description);
  if (Object.keys(command.options).length) {
    parts.push("", "Options:", formatOptions(command.options));
  }
  parts.push("", "Global options:", formatOptions(GLOBAL_OPTIONS));
  parts.push("", command.examples.length > 1 ? "Examples:" : "Example:");
  for (const example of command.examples) parts.push(`  ${example}`);
  return parts.join("\n");
}
