/**
 * File-system primitives for secrets: atomic replace, owner-only modes and a
 * cross-process lock that cannot go stale.
 *
 * @module
 */

import { basename, dirname, join } from "./path.ts";
import { AuthError } from "../errors.ts";

/** Mode of every file Latchkey writes. */
export const FILE_MODE = 0o600;
/** Mode of every folder Latchkey creates. */
export const DIR_MODE = 0o700;

const isPosix = Deno.build.os !== "windows";

/**
 * Creates a folder (and its parents) with mode 0700, and tightens the mode of
 * the folder itself when it is looser.
 *
 * @param path The folder.
 */
export async function ensurePrivateDir(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true, mode: DIR_MODE });
  if (!isPosix) return;
  const info = await Deno.stat(path);
  if (info.mode !== null && (info.mode & 0o077) !== 0) await Deno.chmod(path, DIR_MODE);
}

/**
 * Throws `INSECURE_PERMISSIONS` when a credential file can be read or written
 * by group or others, with the `chmod` that fixes it.
 *
 * @param path The file.
 * @param info Its `Deno.stat`.
 */
export function assertPrivateFile(path: string, info: Deno.FileInfo): void {
  if (!isPosix || info.mode === null) return;
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new AuthError(
      "INSECURE_PERMISSIONS",
      `Refusing to use credential file "${path}": mode ${mode} lets other users read it`,
      { hint: `chmod 600 '${path}'` },
    );
  }
}

/**
 * Replaces a file atomically: writes a temporary file in the same folder with
 * mode 0600, flushes it to disk, renames it over the target and flushes the
 * folder. A crash at any point leaves either the old or the new content.
 *
 * @param path The file to replace.
 * @param data The new content.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: FILE_MODE });
  try {
    if (isPosix) await Deno.chmod(tmp, FILE_MODE);
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.syncData();
  } catch (error) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
  await removeStaleTemporaries(dir, basename(path));
  if (isPosix) {
    try {
      using d = await Deno.open(dir, { read: true });
      await d.sync();
    } catch {
      // Some file systems cannot fsync a folder; the rename is still atomic.
    }
  }
}

/** Temporary files older than this were left by a process that died mid-write. */
const STALE_MS = 60_000;

/**
 * Removes the temporary files a killed writer left beside `name` (they hold a
 * secret, 0600). Recent ones may belong to a writer still at work: kept.
 */
async function removeStaleTemporaries(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith(prefix) || !entry.name.endsWith(".tmp")) continue;
      const file = join(dir, entry.name);
      const info = await Deno.stat(file).catch(() => undefined);
      if (info?.mtime && Date.now() - info.mtime.getTime() > STALE_MS) {
        await Deno.remove(file).catch(() => {});
      }
    }
  } catch {
    // Cleaning up is a courtesy; the write itself succeeded.
  }
}

/**
 * Runs `fn` while holding an exclusive OS lock (`flock`) on `lockPath`. The
 * lock file is never renamed or deleted, and the OS releases the lock when its
 * process dies, so a stale lock is impossible by construction.
 *
 * @param lockPath The lock file (created 0600 when missing).
 * @param fn The critical section.
 * @returns What `fn` returns.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const file = await Deno.open(lockPath, {
    read: true,
    write: true,
    create: true,
    mode: FILE_MODE,
  });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close(); // closing the descriptor releases the lock
  }
}

/**
 * Reads a file if it exists.
 *
 * @param path The file.
 * @returns Its text and stat, or `undefined` when it does not exist.
 */
export async function readIfExists(
  path: string,
): Promise<{ text: string; info: Deno.FileInfo } | undefined> {
  try {
    using file = await Deno.open(path, { read: true });
    const info = await file.stat();
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(16 * 1024);
    for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(concat(chunks));
    return { text, info };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
