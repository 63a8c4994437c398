/**
 * Reading a secret typed on the terminal without echo: raw mode on, the
 * bytes collected with a little line editing, raw mode off again on every
 * way out (and from a forced exit, through {@linkcode restoreTerminal}).
 *
 * @module
 */

import { AuthError } from "../errors.ts";

const encoder = new TextEncoder();
let raw = false;

/**
 * Leaves raw mode if a secret is being read (call it before a forced exit,
 * such as on a signal). Does nothing otherwise.
 *
 * @example
 * ```ts
 * import { restoreTerminal } from "./terminal_secret.ts";
 * restoreTerminal(); // no secret is being read: nothing to restore
 * ```
 */
export function restoreTerminal(): void {
  if (!raw) return;
  raw = false;
  try {
    Deno.stdin.setRaw(false);
  } catch {
    // stdin is gone; nothing to restore
  }
}

function interrupted(): AuthError {
  return new AuthError("ABORTED", "Interrupted");
}

function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** Options of {@linkcode readTerminalSecret}. */
export interface ReadTerminalSecretOptions {
  /**
   * Writes the prompt and the line break after the answer.
   *
   * @default {a synchronous write on stderr}
   */
  write?: ((text: string) => void) | undefined;
}

/**
 * Reads a secret typed on the terminal, without echo. Enter (or Ctrl-D after
 * some input, or the end of input) ends it; Backspace drops the last
 * character (a whole UTF-8 character), Ctrl-U starts again. Raw mode is left
 * on every way out and a line break written after the answer. The caller
 * checks first that stdin is a terminal (with its own error).
 *
 * @param prompt The question, written once echo is off.
 * @param options Where the prompt goes.
 * @returns The secret as typed.
 * @throws {AuthError} `ABORTED` on Ctrl-C, or Ctrl-D before anything was typed.
 *
 * @example
 * ```ts ignore
 * import { readTerminalSecret } from "./terminal_secret.ts";
 * if (Deno.stdin.isTerminal()) await readTerminalSecret("Password: ");
 * ```
 */
export async function readTerminalSecret(
  prompt: string,
  options: ReadTerminalSecretOptions = {},
): Promise<string> {
  const write = options.write ?? writeStderr;
  Deno.stdin.setRaw(true);
  raw = true;
  const bytes: number[] = [];
  try {
    write(prompt);
    const buf = new Uint8Array(256);
    reading: for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) break;
      for (const b of buf.subarray(0, n)) {
        if (b === 0x03) throw interrupted(); // Ctrl-C
        if (b === 0x04) { // Ctrl-D
          if (bytes.length === 0) throw interrupted();
          break reading;
        }
        if (b === 0x0d || b === 0x0a) break reading;
        if (b === 0x7f || b === 0x08) { // backspace: drop one UTF-8 character
          while (bytes.length && ((bytes.pop()! & 0xc0) === 0x80));
          continue;
        }
        if (b === 0x15) { // Ctrl-U: start again
          bytes.length = 0;
          continue;
        }
        bytes.push(b);
      }
    }
  } finally {
    restoreTerminal();
    write("\n");
  }
  const secret = new TextDecoder().decode(new Uint8Array(bytes));
  bytes.fill(0);
  return secret;
}
