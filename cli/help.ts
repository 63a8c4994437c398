/**
 * The top-level `latchkey --help`.
 *
 * @module
 */

import { formatOptions, GLOBAL_OPTIONS } from "./args.ts";
import { COMMANDS } from "./commands.ts";

/**
 * The text of `latchkey --help`.
 *
 * @returns The text.
 */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const commands = Object.entries(COMMANDS)
    .map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`)
    .join("\n");
  return `Usage: latchkey [global options] <command> [options]

Get a program or a person authenticated to a web service, and keep them authenticated.

Commands:
${commands}

Global options (before or after the command):
${formatOptions(GLOBAL_OPTIONS)}

Exit codes: 0 ok · 1 login required, denied or expired, or an HTTP error status from fetch ·
2 usage or bad input · 3 provider or network failure · 130 interrupted.

Examples:
  latchkey login --issuer https://id.example.org --client-id my-cli --api https://api.example.org
  latchkey status --json
  latchkey fetch /v1/me

Run \`latchkey <command> --help\` for a command's options.`;
}
