/**
 * The permissions of the `latchkey` binary: the one source of truth for the
 * `cli` and `compile` tasks of `deno.json` (a test asserts that both tasks
 * are exactly {@linkcode cliTask} and {@linkcode compileTask}), and the
 * one-line message a user gets when a permission is missing.
 *
 * Why each flag, and why some cannot be narrower:
 *
 * - `--allow-env` lists names, never all variables: `LATCHKEY_*` (every
 *   setting and secret the library reads under its default prefix),
 *   `HOME` and `XDG_CONFIG_HOME` (where `config.json` and the credential files
 *   live), `USERPROFILE` (the home folder on Windows), `NO_COLOR` and `TERM`
 *   (colours and the spinner). For `--preset`, the variables the Python
 *   clients read, and nothing wider: `DESCARTESLABS_*`, `FREVA_*`,
 *   `ANACONDA_CLOUD_*`, `XDG_CACHE_HOME` (freva's token file), and what
 *   freva's `isInteractive` reads to tell a batch job from a person
 *   (`BROWSER_SESSION`, `SLURM_JOB_ID`, `PBS_JOBID`, `JOB_ID`, `LSB_JOBID`,
 *   `OAR_JOB_ID`, `KUBERNETES_SERVICE_HOST`, `JUPYTERHUB_USER`: the list of
 *   `src/util/batch_job.ts`; a test keeps this list in step with the presets'
 *   sources). `BROWSER`, `DISPLAY` and the other `XDG_*` variables are read by
 *   `xdg-open`, not by Latchkey: a child process inherits the whole
 *   environment without any Deno permission.
 * - No `--allow-sys`: the home folder comes from `HOME` (or `XDG_CONFIG_HOME`
 *   for Latchkey's own files) and nothing else; without them (a systemd
 *   service) the error names the variable to set.
 * - `--allow-run` names the platform openers (`xdg-open`, macOS `open`) and
 *   the keychain tools (`secret-tool`, macOS `security`); nothing else is
 *   ever started. `-q` keeps Deno from printing a line on every start for the
 *   programs of the other platform, which it cannot find.
 * - `--allow-net` cannot list hosts: issuers and API origins are chosen by each
 *   user at run time, and a binary compiled once serves them all; the browser
 *   login and `mock-server` listen on loopback.
 * - `--allow-read` and `--allow-write` cannot list paths either: the config
 *   folder depends on `HOME`/`XDG_CONFIG_HOME` of whoever runs the binary (a
 *   path given at compile time would be the builder's), and token files
 *   (`--token-file`, `save-token --file`, `refresh --in-place`), `.env` in the
 *   working folder and `fetch -d @FILE` are anywhere the user points.
 * - Nothing else: no `--allow-ffi`, no `--allow-import` (every module is local
 *   or bundled), no prompts (`--no-prompt`: a missing permission is an error,
 *   never a question).
 *
 * @module
 */

import { BATCH_JOB_VARIABLES } from "../src/util/batch_job.ts";

/** The environment variables Latchkey reads. */
export const ENV_VARIABLES: readonly string[] = [
  "LATCHKEY_*",
  "HOME",
  "XDG_CONFIG_HOME",
  "USERPROFILE",
  "NO_COLOR",
  "TERM",
  // KV Connect (`--store kv` with an https: KV_PATH) reads it
  "DENO_KV_ACCESS_TOKEN",
  // the presets (`--preset`)
  "DESCARTESLABS_*",
  "FREVA_*",
  "ANACONDA_CLOUD_*",
  "XDG_CACHE_HOME",
  "BROWSER_SESSION",
  // the batch-job markers; FREVA_BATCH_JOB is in FREVA_* already
  ...BATCH_JOB_VARIABLES.filter((name) => !name.startsWith("FREVA_")),
];

/** The only programs Latchkey runs: the platform openers and keychain tools. */
export const PROGRAMS: readonly string[] = ["xdg-open", "open", "secret-tool", "security"];

/** The permission flags, in the order the tasks list them. */
export const PERMISSION_FLAGS: readonly string[] = [
  `--allow-env=${ENV_VARIABLES.join(",")}`,
  "--allow-net",
  "--allow-read",
  "--allow-write",
  `--allow-run=${PROGRAMS.join(",")}`,
];

/**
 * The flags of `deno run` and `deno compile`: quiet, never prompt, Deno KV
 * (`--unstable-kv` enables an API for `--store kv`; it grants no access), then
 * the permissions.
 */
export const DENO_FLAGS: readonly string[] = [
  "-q",
  "--no-prompt",
  "--unstable-kv",
  ...PERMISSION_FLAGS,
];

function shellWords(flags: readonly string[]): string {
  return flags.map((flag) => /[*?\s]/.test(flag) ? `'${flag}'` : flag).join(" ");
}

/**
 * The `cli` task of `deno.json`.
 *
 * @returns `deno run <flags> cli.ts`.
 *
 * @example
 * ```ts
 * import { cliTask } from "./permissions.ts";
 * if (!cliTask().startsWith("deno run -q --no-prompt --unstable-kv ")) throw new Error("flags");
 * ```
 */
export function cliTask(): string {
  return `deno run ${shellWords(DENO_FLAGS)} cli.ts`;
}

/**
 * The `compile` task of `deno.json`.
 *
 * @returns `deno compile <flags> --output latchkey cli.ts`.
 */
export function compileTask(): string {
  return `deno compile ${shellWords(DENO_FLAGS)} --output latchkey cli.ts`;
}

const DENIED =
  /Requires (\w+) access to (.+?), (?:run again with|specify the required permissions|use) .*?(--allow-[a-z]+)/s;

/**
 * The one line to show for a missing Deno permission, found anywhere in an
 * error's `cause` chain (or its message, when a library wrapped it).
 *
 * @param error What was thrown.
 * @returns The line, or `undefined` when the error is not about a permission.
 */
export function permissionMessage(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const match = DENIED.exec(e.message);
    if (match) {
      const [, kind, what, flag] = match;
      const name = what!.replace(/^"|"$/g, "");
      const value = kind === "net" || kind === "read" || kind === "write" ? "" : `=${name}`;
      return `permission denied: Latchkey needs ${kind} access to ${what} (missing ${flag}${value})`;
    }
    if (e instanceof Deno.errors.NotCapable) {
      return `permission denied: ${e.message.split("\n")[0]}`;
    }
  }
  // openid-client wraps a denied fetch as "something went wrong" and the library keeps only
  // that message: a network failure without network permission is that permission.
  const code = (error as { code?: unknown })?.code;
  if (
    (code === "BAD_RESPONSE" || code === "NETWORK_ERROR") &&
    Deno.permissions.querySync({ name: "net" }).state !== "granted"
  ) {
    return "permission denied: Latchkey needs network access (missing --allow-net)";
  }
  return undefined;
}
