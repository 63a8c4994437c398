/**
 * The shape of a preset's command handlers: what `cli/preset.ts` loads and
 * each `cli/presets/*.ts` module exports. Types only, so the loader and the
 * preset modules both import from here and not from each other.
 *
 * @module
 */

import type { ParsedArgs } from "../args.ts";
import type { Context } from "../command.ts";

/** The commands that take `--preset`. */
export type PresetAction = "login" | "token" | "status" | "logout";

/** What a preset does for one command. */
export interface PresetHandler {
  /** The command's own options it uses (any other given option is a usage error). */
  options: readonly string[];
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
 * A preset's handlers. Instead of a handler, a line saying why the preset
 * has no such action (and what to do instead); a missing entry says so too.
 */
export type PresetHandlers = Partial<Record<PresetAction, PresetHandler | string>>;
