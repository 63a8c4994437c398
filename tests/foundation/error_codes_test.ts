/**
 * The error codes are one list: `AUTH_ERROR_CODES` holds every code `AuthError` may carry, and the
 * README's "Error codes" table documents exactly those.
 */

import { AUTH_ERROR_CODES, AuthError } from "../../mod.ts";
import { assert, assertEquals } from "../support/assert.ts";

/** The codes in the first column of the README's "Error codes" table, in its order. */
async function documentedCodes(): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const section = readme.split("\n## Error codes\n")[1]?.split("\n## ")[0] ?? "";
  return [...section.matchAll(/^\| `([A-Z_]+)` /gm)].map((match) => match[1]!);
}

Deno.test("the README's Error codes table lists every AUTH_ERROR_CODES code, and no other", async () => {
  const documented = await documentedCodes();
  assertEquals([...documented].sort(), [...AUTH_ERROR_CODES].sort());
});

Deno.test("AUTH_ERROR_CODES holds each code once, and AuthError carries any of them", () => {
  assertEquals(new Set(AUTH_ERROR_CODES).size, AUTH_ERROR_CODES.length);
  for (const code of AUTH_ERROR_CODES) {
    assert(new AuthError(code, "Cannot do it: a test").code === code, code);
  }
});
