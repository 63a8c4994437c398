/**
 * Files for tests: temporary folders that `await using` removes, and the permission bits of a
 * path (credential files must be 0600 in 0700 folders).
 *
 * @module
 */

/** A temporary folder, removed by `await using`. */
export interface TempDir extends AsyncDisposable {
  /** Its real path (symbolic links resolved). */
  path: string;
}

/**
 * Makes a temporary folder that `await using` removes.
 *
 * @param prefix The folder name's prefix.
 * @returns The folder.
 */
export async function tempDir(prefix = "latchkey-test-"): Promise<TempDir> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** Options of {@linkcode modeOf}. */
export interface ModeOfOptions {
  /**
   * Read a symbolic link's own bits rather than its target's.
   *
   * @default {false}
   */
  lstat?: boolean;
}

/**
 * The permission bits of a file or folder.
 *
 * @param path The path.
 * @param options Whether a link's own bits are wanted.
 * @returns `mode & 0o777`.
 */
export async function modeOf(path: string, options: ModeOfOptions = {}): Promise<number> {
  const info = options.lstat ? await Deno.lstat(path) : await Deno.stat(path);
  return info.mode! & 0o777;
}
