/**
 * File-system primitives for secrets: atomic replace, owner-only modes, opens
 * that never follow a symbolic link, and a cross-process lock that cannot go
 * stale.
 *
 * @module
 */

import { basename, dirname, join } from "./path.ts";
import { AuthError, type AuthErrorCode } from "../errors.ts";

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
 * Throws `INSECURE_PERMISSIONS` when a credential file (or a client key file)
 * can be read or written by group or others, with the `chmod` that fixes it.
 *
 * @param path The file.
 * @param info Its `Deno.stat`.
 * @param what What the file is, for the message.
 */
export function assertPrivateFile(
  path: string,
  info: Deno.FileInfo,
  what = "credential file",
): void {
  if (!isPosix || info.mode === null) return;
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, "0");
    throw new AuthError(
      "INSECURE_PERMISSIONS",
      `Refusing to use ${what} "${path}": mode ${mode} lets other users read it`,
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
  const file = await openNoFollow(lockPath, { write: true, create: true, what: "lock file" });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    file.close(); // closing the descriptor releases the lock
  }
}

/** Options of {@linkcode openNoFollow}. */
export interface OpenNoFollowOptions {
  /**
   * Open for reading and writing.
   *
   * @default {false}
   */
  write?: boolean;
  /**
   * Create the file (mode 0600) when it is missing.
   *
   * @default {false}
   */
  create?: boolean;
  /**
   * What the file is, for the message of a refusal.
   *
   * @default {"file"}
   */
  what?: string;
}

let nodeFs: Promise<typeof import("node:fs")> | undefined;

/**
 * Opens a regular file without following a symbolic link in its last
 * component, checking what was opened on the open descriptor rather than by
 * path beforehand (which leaves a window to swap the file for a link).
 *
 * `Deno.open` has no `O_NOFOLLOW`, so the file is first opened with
 * `node:fs` and `O_NOFOLLOW | O_NONBLOCK` (the kernel refuses a link, and a
 * FIFO cannot block the open); that descriptor pins the file while it is
 * checked to be a regular file and opened again with `Deno.open` (for
 * `lock()` and the reads), and the second descriptor must be the same file
 * (device and inode, by `fstat`) — a swap between the two opens is refused.
 * A link is thus never followed: its target is not created, not opened, not
 * read. On Windows, where there is no such flag, this is a plain `Deno.open`.
 *
 * @example
 * ```ts
 * import { openNoFollow } from "./secure.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/real`, "x");
 * await Deno.symlink(`${dir}/real`, `${dir}/link`);
 * (await openNoFollow(`${dir}/real`)).close();
 * const refused = await openNoFollow(`${dir}/link`).then(() => false, () => true);
 * if (!refused) throw new Error("a symbolic link was followed");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file.
 * @param options Write, create, and what to call the file in a refusal.
 * @returns The open file; the caller closes it.
 * @throws {AuthError} `INSECURE_PERMISSIONS` when the path is a symbolic link,
 * not a regular file, or was replaced while being opened.
 * @throws {Deno.errors.NotFound} When the file is missing (and not created).
 */
export async function openNoFollow(
  path: string,
  options: OpenNoFollowOptions = {},
): Promise<Deno.FsFile> {
  const write = options.write ?? false;
  const create = options.create ?? false;
  if (!isPosix) return await Deno.open(path, { read: true, write, create, mode: FILE_MODE });
  const what = options.what ?? "file";
  const fs = await (nodeFs ??= import("node:fs"));
  const c = fs.constants;
  const flags = c.O_NOFOLLOW | c.O_NONBLOCK | (write ? c.O_RDWR : c.O_RDONLY) |
    (create ? c.O_CREAT : 0);
  let pin: import("node:fs/promises").FileHandle;
  try {
    pin = await fs.promises.open(path, flags, FILE_MODE);
  } catch (error) {
    throw fromNodeError(error, path, what);
  }
  try {
    const pinned = await pin.stat();
    if (!pinned.isFile()) throw refusal(path, what, "it is not a regular file");
    const file = await Deno.open(path, { read: true, write });
    const info = await file.stat().catch((error) => {
      file.close();
      throw error;
    });
    if (!info.isFile || info.dev !== pinned.dev || info.ino !== pinned.ino) {
      file.close();
      throw refusal(path, what, "it was replaced while it was being opened");
    }
    return file;
  } finally {
    await pin.close();
  }
}

function refusal(path: string, what: string, reason: string): AuthError {
  return new AuthError("INSECURE_PERMISSIONS", `Refusing to use ${what} "${path}": ${reason}`, {
    hint: `rm '${path}' if you did not put it there`,
  });
}

/** A `node:fs` failure as `Deno.open` would report it, a link as a refusal. */
function fromNodeError(error: unknown, path: string, what: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  // ELOOP: Linux and macOS; EMLINK: FreeBSD and NetBSD.
  if (code === "ELOOP" || code === "EMLINK") {
    return refusal(path, what, "it is a symbolic link");
  }
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOENT") return new Deno.errors.NotFound(message, { cause: error });
  if (code === "EACCES" || code === "EPERM") {
    return new Deno.errors.PermissionDenied(message, { cause: error });
  }
  if (code === "EISDIR") return refusal(path, what, "it is not a regular file");
  return error;
}

/**
 * Reads a file if it exists, without following a symbolic link in its last
 * component (see {@linkcode openNoFollow}); its stat is that of the open
 * descriptor, so a mode check on it is about the bytes read.
 *
 * @example
 * ```ts
 * import { readIfExistsNoFollow } from "./secure.ts";
 * const dir = await Deno.makeTempDir();
 * if (await readIfExistsNoFollow(`${dir}/missing`) !== undefined) throw new Error("not missing");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file.
 * @param what What the file is, for the message of a refusal.
 * @returns Its text and stat, or `undefined` when it does not exist.
 * @throws {AuthError} `INSECURE_PERMISSIONS` when it is a symbolic link or not
 * a regular file.
 */
export async function readIfExistsNoFollow(
  path: string,
  what?: string,
): Promise<{ text: string; info: Deno.FileInfo } | undefined> {
  let file: Deno.FsFile;
  try {
    file = await openNoFollow(path, what === undefined ? {} : { what });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  using opened = file;
  return { text: await readAll(opened), info: await opened.stat() };
}

/** What a file read by {@linkcode readIfExists} is, for the error that names it. */
export interface ReadFileOptions {
  /** What the file is (`token file`, `config file`). @default {"file"} */
  what?: string;
  /** The code of the error when it cannot be read. @default {"BAD_TOKEN_FILE"} */
  code?: AuthErrorCode;
}

/**
 * Reads a file if it exists. A path that is a directory or another
 * non-regular file, or one the OS refuses to open, is an {@linkcode AuthError}
 * naming the path, never a bare OS error.
 *
 * @example
 * ```ts
 * import { AuthError } from "../errors.ts";
 * import { readIfExists } from "./secure.ts";
 * const dir = await Deno.makeTempDir();
 * if (await readIfExists(`${dir}/missing`) !== undefined) throw new Error("not missing");
 * const refused = await readIfExists(dir, { what: "token file" }).catch((e) => e);
 * if (!(refused instanceof AuthError) || !refused.message.includes(dir)) throw refused;
 * await Deno.remove(dir);
 * ```
 *
 * @param path The file.
 * @param options What the file is, for the message, and the error's code.
 * @returns Its text and stat, or `undefined` when it does not exist.
 * @throws {AuthError} The given code (`BAD_TOKEN_FILE` by default) when it
 * is not a regular file; `PERMISSION_DENIED` when the OS refuses to open it.
 */
export async function readIfExists(
  path: string,
  options: ReadFileOptions = {},
): Promise<{ text: string; info: Deno.FileInfo } | undefined> {
  const what = options.what ?? "file";
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new AuthError("PERMISSION_DENIED", `Cannot read ${what} "${path}": permission denied`, {
        cause: error,
        hint: `check its owner and mode: ls -l '${path}'`,
      });
    }
    throw error;
  }
  using opened = file;
  const info = await opened.stat();
  if (!info.isFile) {
    const kind = info.isDirectory ? "a directory" : "not a regular file";
    throw new AuthError(
      options.code ?? "BAD_TOKEN_FILE",
      `Cannot read ${what} "${path}": it is ${kind}`,
      {
        hint: `a ${what} is a regular file: give its path, or move '${path}' out of the way`,
      },
    );
  }
  return { text: await readAll(opened), info };
}

async function readAll(file: Deno.FsFile): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(16 * 1024);
  for (let n = await file.read(buf); n !== null; n = await file.read(buf)) {
    chunks.push(buf.slice(0, n));
  }
  return new TextDecoder().decode(concat(chunks));
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
