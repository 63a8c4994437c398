/**
 * The process-wide default `Auth`, made from the environment on first use.
 *
 * @module
 */

import { Auth } from "../auth.ts";

let defaultAuth: Auth | undefined;

/**
 * The process-wide default {@linkcode Auth}, made from the environment on
 * first use.
 *
 * @returns The default instance.
 *
 * @example
 * ```ts
 * import { Auth, getDefaultAuth, setDefaultAuth } from "@latchkey/latchkey";
 * const auth = new Auth({ token: "t", dotenv: false });
 * setDefaultAuth(auth);
 * if (getDefaultAuth() !== auth) throw new Error("the default is the one set");
 * ```
 */
export function getDefaultAuth(): Auth {
  return defaultAuth ??= new Auth();
}

/**
 * Replaces the process-wide default {@linkcode Auth}.
 *
 * @param auth The new default (or `undefined` to reset).
 *
 * @example
 * ```ts
 * import { Auth, getDefaultAuth, setDefaultAuth } from "@latchkey/latchkey";
 * const mine = new Auth({ token: "t", dotenv: false });
 * setDefaultAuth(mine);
 * if (getDefaultAuth() !== mine) throw new Error("the default is the one set");
 * setDefaultAuth(undefined);
 * ```
 */
export function setDefaultAuth(auth: Auth | undefined): void {
  defaultAuth = auth;
}
