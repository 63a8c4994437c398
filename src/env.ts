/**
 * Reading Latchkey's settings from the environment and from a `.env` file,
 * under one or more prefixes (`LATCHKEY_` by default; an embedding SDK passes
 * its own, such as `DESCARTESLABS_`).
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import { addSecretEnvPrefix, secretEnvGet } from "./secret_env.ts";
import { checkTokenSyntax, type TokenKind } from "./token_syntax.ts";

/** The keys read under each prefix. */
export const ENV_KEYS = [
  "TOKEN",
  "CLIENT_ID",
  "CLIENT_SECRET",
  "CLIENT_KEY",
  "CLIENT_KEY_ID",
  "REFRESH_TOKEN",
  "ISSUER",
  "SCOPE",
  "TOKEN_FILE",
  "PROFILE",
  "STORE",
  "REDIS_URL",
  "KV_PATH",
] as const;

/** One of {@linkcode ENV_KEYS}. */
export type EnvKey = typeof ENV_KEYS[number];

/** A value found under some prefix, with the variable's full name. */
export interface EnvValue {
  /** The value. */
  value: string;
  /** The variable's name, e.g. `LATCHKEY_TOKEN`. */
  name: string;
}

/** The values of one source (environment or `.env`), by key. */
export type EnvSnapshot = Partial<Record<EnvKey, EnvValue>>;

/** Keys whose value is a secret: their values never appear in messages. */
export const SECRET_KEYS: ReadonlySet<EnvKey> = new Set([
  "TOKEN",
  "CLIENT_SECRET",
  "REFRESH_TOKEN",
]);

/** What each secret key holds, for the syntax check. */
const SECRET_KINDS: Partial<Record<EnvKey, TokenKind>> = {
  TOKEN: "access token",
  REFRESH_TOKEN: "refresh token",
  CLIENT_SECRET: "client secret",
};

/**
 * Picks the values of {@linkcode ENV_KEYS} under the given prefixes from a
 * lookup function. The same key under two prefixes with different values is
 * a conflict between sources of the same rank. A secret that cannot be sent
 * (a line break, a space, a non-ASCII character) is refused, naming the
 * variable and never the value.
 *
 * @param get Looks a variable up by full name.
 * @param prefixes The prefixes, e.g. `["LATCHKEY_"]`.
 * @param where `environment` or the `.env` path, for messages.
 * @returns The values found.
 * @throws {AuthError} `CONFLICTING_CREDENTIALS`, `MALFORMED_TOKEN`.
 */
export function collectEnv(
  get: (name: string) => string | undefined,
  prefixes: readonly string[],
  where: string,
): EnvSnapshot {
  const out: EnvSnapshot = {};
  for (const prefix of prefixes) addSecretEnvPrefix(prefix);
  for (const key of ENV_KEYS) {
    for (const prefix of prefixes) {
      const name = prefix + key;
      const value = get(name);
      if (value === undefined || value === "") continue;
      const kind = SECRET_KINDS[key];
      if (kind !== undefined) {
        const source = where === "environment"
          ? `environment variable "${name}"`
          : `"${name}" in the ${where}`;
        checkTokenSyntax(value, source, { kind, origin: "input" });
      }
      const seen = out[key];
      if (seen && seen.value !== value) {
        throw new AuthError(
          "CONFLICTING_CREDENTIALS",
          `Conflicting credentials in the ${where}: "${seen.name}" and "${name}" hold different values`,
          { hint: `unset one of ${seen.name} and ${name}` },
        );
      }
      out[key] ??= { value, name };
    }
  }
  return out;
}

/**
 * Reads the process environment under the given prefixes. Only the listed
 * variables are read, so `--allow-env=LATCHKEY_*` is enough.
 *
 * @param prefixes The prefixes.
 * @returns The values found.
 * @throws {AuthError} `CONFLICTING_CREDENTIALS`, or `PERMISSION_DENIED` naming the flag.
 */
export function readEnvironment(prefixes: readonly string[]): EnvSnapshot {
  return collectEnv((name) => envGet(name), prefixes, "environment");
}

/**
 * Reads one environment variable, turning a missing permission into an
 * {@linkcode AuthError} that names the flag to add. A secret the CLI took
 * out of its environment at start (`hideSecretEnvironment`) is still read.
 *
 * @param name The variable.
 * @returns Its value, if set.
 */
export function envGet(name: string): string | undefined {
  try {
    return secretEnvGet(name);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new AuthError("PERMISSION_DENIED", `Cannot read environment variable "${name}"`, {
        cause: error,
        hint: `allow it with --allow-env=${name}`,
      });
    }
    throw error;
  }
}

/**
 * Reads a `.env` file (parsed by npm `dotenv`) under the given prefixes.
 * A missing file is no error.
 *
 * @param path The file, usually `.env` in the current folder.
 * @param prefixes The prefixes.
 * @returns The values found.
 * @throws {AuthError} `CONFLICTING_CREDENTIALS`.
 */
export async function readDotenv(path: string, prefixes: readonly string[]): Promise<EnvSnapshot> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      return {};
    }
    throw error;
  }
  const { parse } = await import("dotenv");
  const values = parse(text);
  return collectEnv((name) => values[name], prefixes, `file "${path}"`);
}
