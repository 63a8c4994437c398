/**
 * A pseudo terminal for tests: util-linux `script` runs a command line on a terminal of its own
 * (`script -qec LINE /dev/null`), so a child sees a TTY on stdin, stdout and stderr while the
 * test reads and writes it through pipes. Whether `script` is installed is a part the test names
 * (`SCRIPT` in tests/real/helpers.ts).
 *
 * @module
 */

/** Quotes a word for `sh`: between single quotes, each `'` written `'\''`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A command and its arguments as one `sh` line, every word quoted. */
export function shellLine(command: readonly string[]): string {
  return command.map(shellQuote).join(" ");
}

/**
 * The `script` command that runs `line` (a `sh` command line) on a pseudo terminal.
 *
 * @param line What the terminal's shell runs, e.g. `umask 022; … > out.json`.
 * @returns The program and its arguments.
 */
export function onTerminal(line: string): string[] {
  return ["script", "-qec", line, "/dev/null"];
}

/**
 * Wraps a command so that it runs on a pseudo terminal: the `wrap` of tests/cli/helpers.ts's
 * `RunOptions`.
 *
 * @param command The program and its arguments.
 * @returns The `script` command that runs it.
 */
export function inTerminal(command: readonly string[]): string[] {
  return onTerminal(shellLine(command));
}
