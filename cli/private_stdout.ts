/**
 * Keeping a secret printed on stdout private when stdout is a file: the
 * batch pipeline `latchkey … > new.json` gets a file the shell created with
 * its umask (usually 0644), so it is narrowed to 0600 before the secret is
 * written. Deno's own file API cannot reach the file behind stdout without
 * `--allow-all`; `node:fs` changes it through the open descriptor. It is
 * imported only when stdout is not a terminal, since loading any `node:`
 * module starts Deno's Node layer (about 20 ms).
 *
 * @module
 */

/**
 * When stdout is a regular file that others may read, makes it 0600. Pipes,
 * terminals and `/dev/null` are left alone, and so is a file this user may
 * not change.
 *
 * @returns Whether the mode was changed.
 */
export async function privateStdout(): Promise<boolean> {
  if (Deno.build.os === "windows" || Deno.stdout.isTerminal()) return false;
  try {
    const { fchmodSync, fstatSync } = await import("node:fs");
    const stat = fstatSync(1);
    if (!stat.isFile() || (stat.mode & 0o077) === 0) return false;
    fchmodSync(1, 0o600);
    return true;
  } catch {
    return false; // not ours to change
  }
}
