/**
 * Asking a person on the terminal: a prompt on stderr, an answer from stdin,
 * without echo for secrets (through `util/terminal_secret.ts`).
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import { readTerminalSecret } from "../util/terminal_secret.ts";

async function readByte(buffer: Uint8Array): Promise<number | null> {
  const n = await Deno.stdin.read(buffer);
  return n === null || n === 0 ? null : buffer[0]!;
}

/**
 * Asks one question on the terminal.
 *
 * @param question The prompt, written on stderr.
 * @param options `secret: true` reads without echo.
 * @returns The answer, without the line break.
 * @throws {AuthError} `USAGE` when stdin is not a terminal; `ABORTED` on Ctrl-C, or end of
 * input before an answer (a secret may end with Ctrl-D after it).
 */
export async function ask(question: string, options: { secret?: boolean } = {}): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new AuthError(
      "USAGE",
      `Cannot ask "${question.replace(/:\s*$/, "")}": stdin is not a terminal`,
    );
  }
  if (options.secret) return await readTerminalSecret(question);
  await Deno.stderr.write(new TextEncoder().encode(question));
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  for (;;) {
    const byte = await readByte(one);
    if (byte === null || byte === 0x04) throw new AuthError("ABORTED", "Input ended");
    if (byte === 0x03) throw new AuthError("ABORTED", "Interrupted");
    if (byte === 0x0a || byte === 0x0d) break;
    if (byte === 0x7f || byte === 0x08) {
      bytes.pop();
      continue;
    }
    bytes.push(byte);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
