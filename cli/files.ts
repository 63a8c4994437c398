/**
 * Writing a private JSON file the way Latchkey's stores do: missing folders
 * created 0700, the file replaced atomically (temporary file 0600, rename).
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/**
 * Replaces (or creates) a JSON file atomically with mode 0600.
 *
 * @param path The file.
 * @param data The JSON object.
 */
export async function writePrivateJson(path: string, data: Record<string, unknown>): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
  try {
    await file.write(new TextEncoder().encode(JSON.stringify(data, null, 2) + "\n"));
    await file.syncData();
  } finally {
    file.close();
  }
  try {
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}
