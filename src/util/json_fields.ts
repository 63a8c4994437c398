/**
 * Reading fields of parsed JSON whose type is not known: a token endpoint's
 * answer, a token file, a cache file. Each reader returns the value when it
 * is usable and `undefined` otherwise, so that `??` picks the first usable one.
 *
 * @module
 */

/**
 * The value when it is a non-empty string.
 *
 * @param value A field of parsed JSON (or any value).
 * @returns The string, or `undefined` for anything else and for `""`.
 *
 * @example
 * ```ts
 * import { stringField } from "./json_fields.ts";
 * if (stringField("abc") !== "abc") throw new Error("a string is read");
 * if (stringField("") !== undefined || stringField(1) !== undefined) throw new Error("not usable");
 * ```
 */
export function stringField(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The value as a number: a finite number, or a string of decimal digits
 * (with an optional fraction), as some servers and token files write times.
 *
 * @param value A field of parsed JSON (or any value).
 * @returns The number, or `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { numberField } from "./json_fields.ts";
 * if (numberField(3600) !== 3600 || numberField("3600") !== 3600) throw new Error("read");
 * if (numberField("1.5") !== 1.5) throw new Error("a fraction is read");
 * for (const bad of [NaN, Infinity, "", "-1", "1e3", " 1", null, true]) {
 *   if (numberField(bad) !== undefined) throw new Error(`not a number: ${bad}`);
 * }
 * ```
 */
export function numberField(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}
