/**
 * The environment variables Latchkey treats as secret, in one list, and what
 * keeps them away from the programs it starts (`xdg-open`/`open` and the
 * browser behind them, `secret-tool`, `security`).
 *
 * A child started with `Deno.Command` inherits the whole environment, and no
 * Deno permission is needed for that. {@linkcode childEnvironment} gives the
 * options that keep the secrets out: with permission to read every variable,
 * the child gets the environment without them (`clearEnv`); with the CLI's
 * narrower `--allow-env=LATCHKEY_*,…` each secret that may be set is blanked
 * (an empty value, which needs no permission). The CLI goes further and takes
 * them out of its own environment once it starts ({@linkcode hideSecretEnvironment});
 * a library never does that to an application unless asked.
 *
 * @module
 */

import { rememberSecret } from "./secret.ts";

/** The secret keys under every prefix (`LATCHKEY_`, an SDK's own `envPrefix`). */
export const SECRET_ENV_KEYS: readonly string[] = [
  "TOKEN",
  "CLIENT_SECRET",
  "REFRESH_TOKEN",
  "STORE_KEY",
  "CLIENT_KEY",
];

/** The prefixes always covered: Latchkey's own and the Descartes Labs client's. */
const DEFAULT_PREFIXES: readonly string[] = ["LATCHKEY_", "DESCARTESLABS_"];

/**
 * Secret variables by full name that no prefix covers: the runtime's KV
 * Connect token and the API key of anaconda-cloud-auth.
 */
export const SECRET_ENV_NAMES: readonly string[] = [
  "DENO_KV_ACCESS_TOKEN",
  "ANACONDA_CLOUD_API_KEY",
];

/**
 * Secret variables read directly by code that does not go through
 * {@linkcode secretEnvGet} (the runtime reads `DENO_KV_ACCESS_TOKEN` itself
 * when it opens a KV Connect database; the fleet stores read the store key
 * each time they open one): {@linkcode hideSecretEnvironment} leaves them in
 * the environment, and children still get them blanked.
 */
const READ_ELSEWHERE: ReadonlySet<string> = new Set(["DENO_KV_ACCESS_TOKEN", "LATCHKEY_STORE_KEY"]);

const prefixes = new Set<string>(DEFAULT_PREFIXES);
const hidden = new Map<string, string>();

/**
 * Adds a prefix whose secret keys ({@linkcode SECRET_ENV_KEYS}) are secret
 * variables too. The environment reader calls it for every prefix it reads.
 *
 * @param prefix The prefix, e.g. `ACME_`.
 *
 * @example
 * ```ts
 * import { addSecretEnvPrefix, secretEnvNames } from "./secret_env.ts";
 * addSecretEnvPrefix("ACME_");
 * if (!secretEnvNames().includes("ACME_TOKEN")) throw new Error("the prefix is covered");
 * ```
 */
export function addSecretEnvPrefix(prefix: string): void {
  if (prefix !== "") prefixes.add(prefix);
}

/**
 * Every variable Latchkey treats as secret: the secret keys under each known
 * prefix, and {@linkcode SECRET_ENV_NAMES}.
 *
 * @returns The names, without duplicates.
 *
 * @example
 * ```ts
 * import { secretEnvNames } from "./secret_env.ts";
 * const names = secretEnvNames();
 * if (!names.includes("LATCHKEY_CLIENT_SECRET") || !names.includes("DENO_KV_ACCESS_TOKEN")) {
 *   throw new Error("the list covers Latchkey's own and the runtime's secrets");
 * }
 * ```
 */
export function secretEnvNames(): string[] {
  const names = new Set<string>();
  for (const prefix of prefixes) for (const key of SECRET_ENV_KEYS) names.add(prefix + key);
  for (const name of SECRET_ENV_NAMES) names.add(name);
  return [...names];
}

function mayRead(name: string): boolean {
  try {
    return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  } catch {
    return false;
  }
}

function mayReadAll(): boolean {
  try {
    return Deno.permissions.querySync({ name: "env" }).state === "granted";
  } catch {
    return false;
  }
}

/** The environment options of a child process. */
export interface ChildEnvironment {
  /** The child's variables (or, without `clearEnv`, the overrides). */
  env: Record<string, string>;
  /** Whether `env` is the child's whole environment. */
  clearEnv: boolean;
}

/**
 * The `env` and `clearEnv` options of a `Deno.Command` that keep every
 * secret variable away from the child. With permission to read the whole
 * environment, the child gets it without the secrets; otherwise each secret
 * that may be set is blanked (a variable Latchkey may read and that is unset
 * stays unset). Never prompts for a permission.
 *
 * @param extra Variables the child gets besides (e.g. `LC_ALL`).
 * @returns The options to spread into `Deno.Command`.
 *
 * @example
 * ```ts
 * import { childEnvironment } from "./secret_env.ts";
 * Deno.env.set("LATCHKEY_TOKEN", "not-for-children");
 * const { env, clearEnv } = childEnvironment({ LC_ALL: "C" });
 * if (clearEnv ? "LATCHKEY_TOKEN" in env : env.LATCHKEY_TOKEN !== "") {
 *   throw new Error("the child gets no token");
 * }
 * Deno.env.delete("LATCHKEY_TOKEN");
 * ```
 */
export function childEnvironment(extra: Record<string, string> = {}): ChildEnvironment {
  const names = secretEnvNames();
  if (mayReadAll()) {
    const env = Deno.env.toObject();
    for (const name of names) delete env[name];
    return { env: { ...env, ...withoutSecrets(extra, names) }, clearEnv: true };
  }
  const env: Record<string, string> = withoutSecrets(extra, names);
  for (const name of names) {
    if (!mayRead(name) || Deno.env.get(name) !== undefined) env[name] = "";
  }
  return { env, clearEnv: false };
}

function withoutSecrets(
  extra: Record<string, string>,
  names: readonly string[],
): Record<string, string> {
  const out = { ...extra };
  for (const name of names) delete out[name];
  return out;
}

/**
 * Reads a variable that may have been moved out of the environment by
 * {@linkcode hideSecretEnvironment}. Throws what `Deno.env.get` throws.
 *
 * @param name The variable.
 * @returns Its value, if set.
 *
 * @example
 * ```ts
 * import { secretEnvGet } from "./secret_env.ts";
 * if (secretEnvGet("LATCHKEY_SURELY_UNSET_EXAMPLE") !== undefined) throw new Error("unset");
 * ```
 */
export function secretEnvGet(name: string): string | undefined {
  return hidden.get(name) ?? Deno.env.get(name);
}

/**
 * Takes the secret variables out of this process's environment, keeping
 * their values for {@linkcode secretEnvGet} (which the environment reader
 * uses), so that nothing started later — by Latchkey or anything else in the
 * process — inherits them. Their values are remembered as secrets, so error
 * printers redact them. Variables this process may not read are left alone;
 * so are those read by code that does not use {@linkcode secretEnvGet}
 * (`DENO_KV_ACCESS_TOKEN`, `LATCHKEY_STORE_KEY`), which children still get
 * blanked. The CLI calls it at start; a library must not (an application's
 * environment is its own).
 *
 * @returns The names taken out.
 *
 * @example
 * ```ts
 * import { hideSecretEnvironment, secretEnvGet } from "./secret_env.ts";
 * Deno.env.set("LATCHKEY_REFRESH_TOKEN", "example-refresh-token");
 * hideSecretEnvironment();
 * if (Deno.env.get("LATCHKEY_REFRESH_TOKEN") !== undefined) throw new Error("taken out");
 * if (secretEnvGet("LATCHKEY_REFRESH_TOKEN") !== "example-refresh-token") throw new Error("kept");
 * ```
 */
export function hideSecretEnvironment(): string[] {
  const out: string[] = [];
  for (const name of secretEnvNames()) {
    if (!mayRead(name)) continue;
    const value = Deno.env.get(name);
    if (value === undefined) continue;
    rememberSecret(value);
    for (const part of value.split(",")) rememberSecret(part.trim()); // several store keys
    if (READ_ELSEWHERE.has(name)) continue;
    hidden.set(name, value);
    Deno.env.delete(name);
    out.push(name);
  }
  return out;
}
