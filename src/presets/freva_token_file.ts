/**
 * freva's token file: the OAuth token JSON freva-client writes, where it
 * lives (`FREVA_TOKEN_FILE`, else freva's cache folder) and how it is read
 * (the token fields must be strings; nothing is sent or checked for validity).
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { envGet } from "../env.ts";
import { AuthError } from "../errors.ts";
import { expandHome, homeDir } from "../paths.ts";
import { readJsonObject } from "./files.ts";

/** freva's OAuth token JSON. Times are seconds since the epoch. */
export interface Token {
  /** The access token. */
  access_token: string;
  /** Its type, `Bearer`. */
  token_type: string;
  /** When the access token expires. */
  expires: number;
  /** The refresh token. */
  refresh_token: string;
  /** When the refresh token expires. */
  refresh_expires: number;
  /** The granted scope. */
  scope: string;
  /** Anything else the server sent. */
  [key: string]: unknown;
}

/**
 * freva's default token file: `FREVA_TOKEN_FILE`, else
 * `$XDG_CACHE_HOME/freva/auth-token.json` (`~/.cache/freva/auth-token.json`;
 * `~/Library/Caches/freva/auth-token.json` on macOS).
 *
 * @returns The absolute path.
 *
 * @example
 * ```ts
 * import { freva } from "@latchkey/latchkey/presets";
 * if (!freva.defaultTokenFile().endsWith("auth-token.json")) throw new Error("freva's file name");
 * ```
 */
export function defaultTokenFile(): string {
  const custom = envGet("FREVA_TOKEN_FILE")?.trim();
  if (custom) return expandHome(custom);
  const cache = Deno.build.os === "darwin"
    ? join(homeDir(), "Library", "Caches")
    : envGet("XDG_CACHE_HOME") || join(homeDir(), ".cache");
  return join(cache, "freva", "auth-token.json");
}

/**
 * Reads a token file as a JSON object whose token fields, when present, are
 * strings.
 *
 * @param path The file (absolute).
 * @returns The object, or `undefined` when there is no file.
 * @throws {AuthError} `BAD_TOKEN_FILE` when it is not a JSON object or a token field is not a
 * string.
 */
export async function readTokenFile(path: string): Promise<Record<string, unknown> | undefined> {
  const data = await readJsonObject(path);
  if (!data) return undefined;
  for (const key of ["access_token", "refresh_token", "token_type", "scope"]) {
    if (key in data && data[key] !== null && typeof data[key] !== "string") {
      throw new AuthError(
        "BAD_TOKEN_FILE",
        `Cannot read token file "${path}": key "${key}" must be a string`,
      );
    }
  }
  return data;
}

/**
 * The token JSON saved in a token file (by default freva's), read locally
 * without any request or check of its validity; a file other users can read
 * is tightened to 0600 with a warning.
 *
 * @param tokenFile The file; `~` is expanded. Default: {@linkcode defaultTokenFile}.
 * @returns The token JSON, or `undefined` when there is no file.
 * @throws {AuthError} `BAD_TOKEN_FILE` when it is not a token JSON object.
 *
 * @example
 * ```ts
 * import { freva } from "@latchkey/latchkey/presets";
 * const dir = await Deno.makeTempDir();
 * if ((await freva.loadToken(`${dir}/none.json`)) !== undefined) throw new Error("no file");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadToken(tokenFile?: string): Promise<Token | undefined> {
  const path = tokenFile !== undefined ? expandHome(tokenFile) : defaultTokenFile();
  return (await readTokenFile(path)) as Token | undefined;
}
