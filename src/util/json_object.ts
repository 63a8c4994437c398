/**
 * Parsing text into a JSON object: a file's, with an error that names the
 * file and the line of the first syntax error (never the content), the one
 * parser of token files, credential files and `config.json`; and a server's
 * answer, which may be anything.
 *
 * @module
 */

import { AuthError } from "../errors.ts";

/**
 * Parses a credential file's text, naming the file (never the content) when
 * it is not a JSON object.
 *
 * @param text The file's text.
 * @param path The file, for the message.
 * @returns The parsed object.
 * @throws {AuthError} `BAD_TOKEN_FILE` when the text is not JSON, or not an object; the
 * message names the file and the line of the first syntax error.
 *
 * @example
 * ```ts
 * import { parseJsonObject } from "./json_object.ts";
 * if (parseJsonObject('{"a": 1}', "t.json").a !== 1) throw new Error("parsed");
 * let message = "";
 * try {
 *   parseJsonObject('{\n  "a": 1,\n}', "t.json");
 * } catch (error) {
 *   message = (error as Error).message;
 * }
 * if (message !== 'Cannot read token file "t.json": not valid JSON at line 3') {
 *   throw new Error(message);
 * }
 * ```
 */
export function parseJsonObject(text: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const line = syntaxErrorLine(text);
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot read token file "${path}": not valid JSON${
        line === undefined ? "" : ` at line ${line}`
      }`,
    );
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot read token file "${path}": expected a JSON object at line 1`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * The text parsed as a JSON object, when it is one.
 *
 * @param text Any text, such as a server's answer.
 * @returns The object, or `undefined` when the text is not JSON or not an object.
 *
 * @example
 * ```ts
 * import { jsonObjectOf } from "./json_object.ts";
 * if (jsonObjectOf('{"a": 1}')?.a !== 1) throw new Error("an object is read");
 * for (const text of ["", "<html>", "[1]", "null", "1"]) {
 *   if (jsonObjectOf(text) !== undefined) throw new Error(`not an object: ${text}`);
 * }
 * ```
 */
export function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // not JSON
  }
  return undefined;
}

/**
 * The 1-based line of the first syntax error in a text that `JSON.parse`
 * refused. Found by a small scanner of the JSON grammar rather than from the
 * engine's message, whose wording (and whether it holds a position at all)
 * varies between engine versions.
 */
function syntaxErrorLine(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = () => {
    for (i++; i < text.length;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail();
      if (c !== 0x5c) {
        i++;
      } else if (text[i + 1] === "u" && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
        i += 6;
      } else if (text[i + 1] !== undefined && '"\\/bfnrt'.includes(text[i + 1]!)) {
        i += 2;
      } else {
        fail();
      }
    }
    fail();
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) return void i++;
      for (;;) {
        if (c === "{") {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ":") fail();
          i++;
        }
        value();
        ws();
        if (text[i] === close) return void i++;
        if (text[i] !== ",") fail();
        i++;
      }
    }
    if (c === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) return void (i += word.length);
    }
    number.lastIndex = i;
    if (!number.exec(text)) fail();
    i = number.lastIndex;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return undefined;
  } catch (at) {
    return typeof at === "number" ? text.slice(0, at).split("\n").length : undefined;
  }
}
