/**
 * The files the presets share with the Python clients they replace: JSON
 * objects read with the permission repair (a file those clients wrote 0644 is
 * tightened to 0600 with a one-line warning), and written the way Python's
 * `json.dump` writes them, atomically, 0600, in folders created 0700.
 *
 * @module
 */

import { dirname } from "../fs/path.ts";
import { AuthError } from "../errors.ts";
import { assertPrivateFile, FILE_MODE, readIfExists, writeFileAtomic } from "../fs/secure.ts";
import { logger } from "../log.ts";
import { parseJsonObject } from "../util/json_object.ts";

/**
 * Serialises a value exactly as Python's `json.dumps(value)` does with its
 * defaults (`", "` and `": "` separators, non-ASCII escaped as `\uXXXX`), so a
 * file a preset writes is byte-for-byte what the Python client writes.
 * `undefined` members are left out, as `JSON.stringify` does.
 *
 * @param value A JSON value.
 * @returns The text, without a trailing newline.
 *
 * @example
 * ```ts ignore
 * pythonJson({ token: "abc", n: 1 }); // '{"token": "abc", "n": 1}'
 * ```
 */
export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v ?? null)).join(", ")}]`;
  if (typeof value === "object") {
    const parts = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`);
    return `{${parts.join(", ")}}`;
  }
  throw new TypeError(`Cannot serialise a ${typeof value} as JSON`);
}

/**
 * Reads a JSON object from a credential file the user (or a Python client)
 * owns. A file other users can read is tightened to 0600 with a warning.
 *
 * @param path The file.
 * @returns The object, or `undefined` when the file does not exist.
 * @throws {AuthError} `BAD_TOKEN_FILE` when it is not a JSON object.
 */
export async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  const file = await readIfExists(path, { what: "credential file" });
  if (!file) return undefined;
  try {
    assertPrivateFile(path, file.info);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    await Deno.chmod(path, FILE_MODE);
    logger().warn(`tightened "${path}" to mode 0600: it was readable by other users`);
  }
  return parseJsonObject(file.text, path);
}

/**
 * Replaces a JSON file atomically with mode 0600, in Python's `json.dump`
 * format. Missing folders are created 0700; existing ones are left alone (the
 * user's own folders are none of our business).
 *
 * @param path The file (a symbolic link is followed).
 * @param data The object to write.
 */
export async function writeJsonObject(path: string, data: Record<string, unknown>): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const target = await Deno.realPath(path).catch(() => path);
  await writeFileAtomic(target, pythonJson(data));
}

/**
 * Whether a path names an existing regular file.
 *
 * @param path The path.
 * @returns `true` for a file.
 */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
