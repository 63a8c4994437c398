/**
 * Opening a URL in the user's browser through the platform opener only
 * (`xdg-open`, which honours `$BROWSER`, on Linux; `open` on macOS), so a
 * compiled binary needs `--allow-run` for nothing else. A machine without a
 * browser is normal: failing to open one is never an error. The opener (and
 * the browser it starts) gets no secret variable (`src/secret_env.ts`).
 *
 * @module
 */

import { logger } from "./log.ts";
import { childEnvironment } from "./secret_env.ts";

/**
 * The opener program of this platform.
 *
 * @returns `open` on macOS, `xdg-open` elsewhere.
 */
export function openerCommand(): string {
  return Deno.build.os === "darwin" ? "open" : "xdg-open";
}

/**
 * Asks the platform opener to show a URL. Never throws.
 *
 * @param url The URL to open.
 * @returns Whether the opener started.
 *
 * @example
 * ```ts ignore
 * import { openBrowser } from "./open.ts";
 * openBrowser(new URL("https://example.org/login"));
 * ```
 */
export function openBrowser(url: URL | string): boolean {
  try {
    const child = new Deno.Command(openerCommand(), {
      args: [String(url)],
      ...childEnvironment(),
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    child.status.then((s) => {
      if (!s.success) logger().debug(`${openerCommand()} exited with code ${s.code}`);
    });
    return true;
  } catch (error) {
    logger().debug(`cannot open a browser: ${error instanceof Error ? error.message : error}`);
    return false;
  }
}
