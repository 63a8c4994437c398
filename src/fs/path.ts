/**
 * The few path operations Latchkey needs, without `node:path`: importing any
 * `node:` module starts Deno's Node compatibility layer, which costs about
 * 20 ms — more than the rest of `latchkey token` with a cached credential.
 *
 * @module
 */

const windows = Deno.build.os === "windows";
const SEP = windows ? "\\" : "/";
const SEPS = windows ? /[\\/]+/ : /\/+/;

/**
 * Joins path segments with the platform separator, dropping empty ones and
 * repeated separators (no `..` resolution: Latchkey only appends names).
 *
 * @param parts The segments.
 * @returns The joined path.
 */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join(SEP);
  const leading = windows ? "" : joined.startsWith("/") ? "/" : "";
  return leading + joined.split(SEPS).filter((p) => p !== "").join(SEP);
}

/**
 * The folder part of a path.
 *
 * @param path A path.
 * @returns Everything before the last separator (`.` when there is none).
 */
export function dirname(path: string): string {
  const trimmed = path.replace(windows ? /[\\/]+$/ : /\/+$/, "");
  const at = Math.max(trimmed.lastIndexOf("/"), windows ? trimmed.lastIndexOf("\\") : -1);
  if (at < 0) return ".";
  return at === 0 ? SEP : trimmed.slice(0, at);
}

/**
 * The last segment of a path.
 *
 * @param path A path.
 * @returns The name after the last separator.
 */
export function basename(path: string): string {
  const trimmed = path.replace(windows ? /[\\/]+$/ : /\/+$/, "");
  const at = Math.max(trimmed.lastIndexOf("/"), windows ? trimmed.lastIndexOf("\\") : -1);
  return trimmed.slice(at + 1);
}

/**
 * Whether `path` is `dir` or inside it (both absolute and already resolved,
 * e.g. by `Deno.realPath`).
 *
 * @param dir A folder.
 * @param path A path.
 * @returns `true` when `path` lies within `dir`.
 */
export function isWithin(dir: string, path: string): boolean {
  const base = dir.endsWith(SEP) ? dir : dir + SEP;
  return path === dir || path.startsWith(base);
}
