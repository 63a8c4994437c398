/**
 * A user's own program in its own process, for the journeys: a `deno eval` of a few lines that
 * import Latchkey's entry points from this checkout, with a home's environment and nothing else.
 *
 * @module
 */
import { DENO, ROOT, type RunResult } from "../cli/helpers.ts";
import type { Home } from "../support/home.ts";

/** Options of {@linkcode runProgram}. */
export interface ProgramOptions {
  /** Variables added to the home's environment. */
  env?: Record<string, string>;
  /** Secrets that must not appear on stderr (stdout is the program's own). */
  secrets?: string[];
}

/**
 * Runs `code` as a program; `{{ROOT}}` in it is this checkout's `file://` URL with a slash.
 *
 * @param home The home the program runs in (HOME, XDG_CONFIG_HOME, working folder).
 * @param code The program's source.
 * @param options Its environment and the secrets it must not print on stderr.
 * @returns Its exit code and output.
 */
export async function runProgram(
  home: Home,
  code: string,
  options: ProgramOptions = {},
): Promise<RunResult> {
  const out = await new Deno.Command(DENO, {
    args: [
      "eval",
      "-q",
      "--config",
      `${ROOT}deno.json`,
      code.replaceAll("{{ROOT}}", `file://${ROOT}`),
    ],
    cwd: home.cwd,
    clearEnv: true,
    env: { ...home.env, ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const result = { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
  for (const secret of options.secrets ?? []) {
    if (result.stderr.includes(secret)) throw new Error(`a secret is on stderr:\n${result.stderr}`);
  }
  return result;
}
