/**
 * Where Latchkey keeps its files: `$XDG_CONFIG_HOME/latchkey`, else
 * `~/.config/latchkey`.
 *
 * @module
 */

import { homedir } from "node:os";
import { join } from "node:path";

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
 */
export function homeDir(): string {
  const home = Deno.env.get(Deno.build.os === "windows" ? "USERPROFILE" : "HOME");
  return home || homedir();
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
