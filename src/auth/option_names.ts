/**
 * The option names of `AuthOptions`, in one list, and the check that refuses
 * any other name with a suggestion of the one meant.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import type { AuthOptions } from "./options.ts";

/**
 * Every option name of `AuthOptions`, in one list: the constructor refuses any
 * other name, and `deno check` fails when an option is added to the interface
 * without being listed here.
 */
const AUTH_OPTION_KEYS = [
  "profile",
  "issuer",
  "clientId",
  "clientSecret",
  "clientKey",
  "clientKeyId",
  "dpop",
  "refreshToken",
  "token",
  "scope",
  "audience",
  "apiOrigins",
  "tokenFile",
  "tokenKey",
  "store",
  "redisUrl",
  "kvPath",
  "envPrefix",
  "dotenv",
  "leeway",
  "retries",
  "timeout",
  "userAgent",
  "fetch",
  "interactive",
  "onPrompt",
  "renewer",
] as const satisfies readonly (keyof AuthOptions)[];

/** The keys of `AuthOptions` missing from {@linkcode AUTH_OPTION_KEYS}: must be `never`. */
type UnlistedOption = Exclude<keyof AuthOptions, typeof AUTH_OPTION_KEYS[number]>;
// Fails to compile, naming the option, when an AuthOptions key is not listed.
const _everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(AUTH_OPTION_KEYS);

/** Edit distance between two short names (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The known option a misspelt name most likely meant, if one is close. */
function closestOption(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const key of AUTH_OPTION_KEYS) {
    if (key.toLowerCase() === lower) return key; // clientID, apiorigins
    const d = distance(lower, key.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/**
 * Refuses option names `AuthOptions` does not have (from JavaScript, or a
 * cast): a misspelt `apiOrigin` would otherwise be ignored, and requests sent
 * without a token. Keys whose value is `undefined` are refused too when unknown.
 *
 * @param options The options as given.
 * @throws {AuthError} `USAGE`, naming the unknown option and the one most likely meant.
 *
 * @example
 * ```ts
 * import { checkOptionNames } from "./option_names.ts";
 * checkOptionNames({ apiOrigins: [], token: undefined });
 * try {
 *   checkOptionNames({ clientID: "cli" });
 *   throw new Error("expected a USAGE error");
 * } catch (error) {
 *   if (!(error instanceof Error) || !error.message.includes('did you mean "clientId"?')) {
 *     throw error;
 *   }
 * }
 * ```
 */
export function checkOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(name)) continue;
    const near = closestOption(name);
    throw new AuthError(
      "USAGE",
      `Unknown option "${name}" for Auth` + (near ? ` (did you mean "${near}"?)` : ""),
      near ? {} : { hint: `the options are ${AUTH_OPTION_KEYS.join(", ")}` },
    );
  }
}
