/**
 * Reading secrets and answers from stdin: a pipe is read to its end; a
 * terminal is asked with a prompt on stderr, without echo for secrets
 * (raw mode, restored on every exit path).
 *
 * @module
 */

import { AuthError } from "../mod.ts";
import { usageError } from "./args.ts";
import type { Output } from "./output.ts";
import { readTerminalSecret } from "../src/util/terminal_secret.ts";

function interrupted(): AuthError {
  return new AuthError("ABORTED", "Interrupted");
}

/**
 * Reads all of stdin as text, without the final line break.
 *
 * @returns The text.
 */
export async function readStdinText(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

/**
 * Reads all of stdin as bytes.
 *
 * @returns The bytes.
 */
export async function readStdinBytes(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

/**
 * Reads one line typed on the terminal (with echo).
 *
 * @param prompt The question, written on stderr.
 * @param out The writer.
 * @param hint The hint of the error when stdin is not a terminal (the flag that gives it).
 * @returns The line.
 * @throws {AuthError} `USAGE` when stdin is not a terminal; `ABORTED` at end of input.
 */
export async function readLine(prompt: string, out: Output, hint?: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw usageError(`cannot ask "${prompt.replace(/:\s*$/, "")}": stdin is not a terminal`, hint);
  }
  out.prompt(prompt);
  const buf = new Uint8Array(1024);
  const n = await Deno.stdin.read(buf);
  if (n === null) throw interrupted();
  return new TextDecoder().decode(buf.subarray(0, n)).replace(/\r?\n$/, "");
}

/**
 * Reads a secret typed on the terminal, without echo.
 *
 * @param prompt The question, written on stderr after echo is off.
 * @param out The writer.
 * @returns The secret.
 * @throws {AuthError} `USAGE` when stdin is not a terminal; `ABORTED` on Ctrl-C or Ctrl-D.
 */
export async function readHidden(prompt: string, out: Output): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw usageError(
      `cannot ask for the ${prompt.replace(/:\s*$/, "").toLowerCase()}: stdin is not a terminal`,
      "pipe it in with --password-stdin",
    );
  }
  return await readTerminalSecret(prompt, { write: (text) => out.prompt(text) });
}

/**
 * Reads a secret for a `--…-stdin` flag: hidden from a terminal, or the whole
 * pipe. Surrounding whitespace is dropped; an empty secret is refused.
 *
 * @param what What it is, e.g. `client secret`.
 * @param out The writer.
 * @param hint How to give it, shown when it is empty.
 * @returns The secret.
 * @throws {AuthError} `USAGE` when it is empty.
 */
export async function readSecret(what: string, out: Output, hint?: string): Promise<string> {
  const value = Deno.stdin.isTerminal()
    ? await readHidden(`${what[0]!.toUpperCase()}${what.slice(1)}: `, out)
    : await readStdinText();
  const secret = value.trim();
  if (secret === "") throw usageError(`no ${what} on stdin`, hint);
  return secret;
}
