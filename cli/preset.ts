/**
 * `--preset NAME` on `login`, `token`, `status` and `logout`: the option
 * specs, the checks that come before anything runs, and the loaders of the
 * preset modules. Light on purpose: a command without `--preset` loads no
 * preset code (`cli/presets/*.ts`, and through them `presets.ts`, are imported
 * only when a preset is named).
 *
 * @module
 */

import { expectPositionals, type OptionSpecs, type ParsedArgs, usageError } from "./args.ts";
import type { Context } from "./command.ts";
import type { PresetAction, PresetHandlers } from "./presets/types.ts";

const LOADERS: Readonly<Record<string, () => Promise<PresetHandlers>>> = {
  anaconda: async () => (await import("./presets/anaconda.ts")).handlers,
  cave: async () => (await import("./presets/cave.ts")).handlers,
  chunkedgraph: async () => (await import("./presets/cave.ts")).chunkedgraphHandlers,
  descarteslabs: async () => (await import("./presets/descarteslabs.ts")).handlers,
  freva: async () => (await import("./presets/freva.ts")).handlers,
};

/** The presets the CLI knows, sorted. */
export const PRESET_NAMES: readonly string[] = Object.keys(LOADERS).sort();

/** `--preset` and the settings presets take, shared by the four commands. */
const PRESET_OPTIONS: OptionSpecs = {
  preset: {
    type: "string",
    value: "NAME",
    description: `a preset instead of a profile: ${PRESET_NAMES.join(", ")}`,
  },
  host: {
    type: "string",
    value: "H",
    description: "with --preset: the freva host, or the cave/chunkedgraph server",
  },
  domain: {
    type: "string",
    value: "D",
    description: "with --preset: the anaconda auth domain, or the descarteslabs domain",
  },
  "token-file": {
    type: "string",
    value: "F",
    description: "with --preset: the freva token file, or the cave/chunkedgraph secret file",
  },
  key: {
    type: "string",
    value: "K",
    description: 'with --preset cave/chunkedgraph: the key in the secret file (default "token")',
  },
};

/**
 * `--preset` and some of the settings presets take, for a command's options.
 *
 * @param names The settings the command offers (`host`, `domain`, `token-file`, `key`).
 * @returns The option specs, `--preset` first.
 */
export function presetOptions(...names: string[]): OptionSpecs {
  const specs: OptionSpecs = { preset: PRESET_OPTIONS.preset! };
  for (const name of names) specs[name] = PRESET_OPTIONS[name]!;
  return specs;
}

/**
 * Runs the preset named by `--preset`, if any, after checking the arguments:
 * an unknown preset, an action the preset lacks, or an option it does not
 * use is a usage error (exit 2) before anything is read or sent. Without
 * `--preset`, the options that only presets use are refused.
 *
 * @param ctx The context.
 * @param args The parsed arguments of the command.
 * @param action The command.
 * @param presetOnly The command's own options that need `--preset`, besides the settings of
 * {@linkcode presetOptions}.
 * @returns The exit code, or `undefined` when no preset was named.
 * @throws {AuthError} `USAGE`.
 */
export async function runPreset(
  ctx: Context,
  args: ParsedArgs,
  action: PresetAction,
  presetOnly: readonly string[] = [],
): Promise<number | undefined> {
  const given = Object.keys(args.values).filter((name) => args.values[name] !== undefined);
  const name = args.values.preset;
  if (typeof name !== "string") {
    const stray = given.find((option) =>
      Object.hasOwn(PRESET_OPTIONS, option) || presetOnly.includes(option)
    );
    if (stray !== undefined) {
      throw usageError(`option "--${stray}" needs --preset`, `see \`latchkey ${action} --help\``);
    }
    return undefined;
  }
  const load = Object.hasOwn(LOADERS, name) ? LOADERS[name] : undefined;
  if (!load) {
    throw usageError(`unknown preset "${name}"`, `choose one of ${PRESET_NAMES.join(", ")}`);
  }
  expectPositionals(args, action, 0, 0);
  const handler = (await load())[action];
  if (typeof handler !== "object") {
    throw usageError(`the ${name} preset has no ${action}`, handler);
  }
  const stray = given.find((option) => option !== "preset" && !handler.options.includes(option));
  if (stray !== undefined) {
    throw usageError(
      `option "--${stray}" does not apply to \`${action} --preset ${name}\``,
      handler.options.length
        ? `it takes ${handler.options.map((o) => `--${o}`).join(", ")}`
        : "it takes no options",
    );
  }
  return await handler.run(ctx, args);
}
