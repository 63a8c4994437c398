/**
 * Where Latchkey keeps its files: `$XDG_CONFIG_HOME/latchkey`, else
 * `~/.config/latchkey`.
 *
 * @module
 */

import { AuthError } from "./errors.ts";
import { join } from "./fs/path.ts";

/**
 * The folder that holds `config.json` and `credentials/`.
 *
 * @returns An absolute path.
 */
export function configDir(): string {
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "latchkey");
  return join(homeDir(), ".config", "latchkey");
}

/**
 * The user's home folder, from `HOME` (or `USERPROFILE` on Windows).
 *
 * @returns An absolute path.
 * @throws {AuthError} `CONFIG_INVALID` when the variable is not set.
 */
export function homeDir(): string {
  const name = Deno.build.os === "windows" ? "USERPROFILE" : "HOME";
  const home = Deno.env.get(name);
  if (!home) {
    throw new AuthError("CONFIG_INVALID", `Cannot find the home folder: "${name}" is not set`, {
      hint: `set ${name}, or XDG_CONFIG_HOME for Latchkey's files`,
    });
  }
  return home;
}

/**
 * Expands a leading `~` to the home folder, as shells do.
 *
 * @param path A path typed by a person.
 * @returns The path with `~` expanded.
 */
export function expandHome(path: string): string {
  if (path === "~") return homeDir();
  if (path.startsWith("~/")) return join(homeDir(), path.slice(2));
  return path;
}
