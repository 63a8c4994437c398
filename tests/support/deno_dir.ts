/**
 * Deno's cache folder, for child processes whose HOME is temporary: without it a child would
 * start from an empty cache and fetch every npm package again (slowly, and all the children at
 * once).
 *
 * @module
 */
import { userInfo } from "node:os";

/**
 * `$DENO_DIR`, or what `deno info` says with the account's home folder from the password
 * database (not `$HOME`, which a test may already have pointed elsewhere). Settled once, when the
 * module is first imported.
 */
export const DENO_DIR: string = Deno.env.get("DENO_DIR") ?? await (async () => {
  const env: Record<string, string> = { HOME: userInfo().homedir };
  const cache = Deno.env.get("XDG_CACHE_HOME");
  if (cache) env.XDG_CACHE_HOME = cache;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
})();
