/**
 * The names of the stores, from one list: those a user may choose
 * ({@linkcode StoreName}, `auto` among them) and those a store reports as its
 * kind ({@linkcode StoreKind}, the token file among them).
 *
 * @module
 */

/**
 * The store names a user may choose (`store` option, `LATCHKEY_STORE`, `--store`).
 *
 * @example
 * ```ts
 * import { STORE_NAMES } from "./names.ts";
 * if (!STORE_NAMES.includes("auto") || STORE_NAMES.length !== 6) throw new Error("the six names");
 * ```
 */
export const STORE_NAMES = ["auto", "file", "keyring", "memory", "redis", "kv"] as const;

/** Where a profile's credential rests: one of {@linkcode STORE_NAMES}. */
export type StoreName = typeof STORE_NAMES[number];

/** The kinds of store, as `status().source` names them: a concrete store, or a token file. */
export type StoreKind = Exclude<StoreName, "auto"> | "token-file";

/**
 * Whether a text names a store a user may choose.
 *
 * @param name The text, e.g. from `LATCHKEY_STORE`.
 * @returns Whether it is one of {@linkcode STORE_NAMES}.
 *
 * @example
 * ```ts
 * import { isStoreName } from "./names.ts";
 * if (!isStoreName("redis") || isStoreName("token-file")) throw new Error("store names");
 * ```
 */
export function isStoreName(name: string): name is StoreName {
  return STORE_NAMES.some((known) => known === name);
}
