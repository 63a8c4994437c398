/**
 * The macOS keychain through `security`: the commands to run and how to read
 * their answers. Pure: the subprocess itself is run by `runner.ts`, with a
 * timeout, for the `Keychain` of `keychain.ts`.
 *
 * The secret never goes in argv: an item is written by `security -i`, which
 * reads its command line from stdin. That line holds at most 4096 bytes (a
 * longer one is cut, and its tail run as another command), so Latchkey's
 * credentials are stored compressed (`lk1:` + base64 of raw DEFLATE, no
 * quoting needed) and a line that would still be too long is refused before
 * anything runs. A value another program reads as it is (Python's `keyring`)
 * is stored raw, which only a bare word (such as base64) can be.
 *
 * @module
 */

import type { Outcome, ToolCall, ToolResult } from "./runner.ts";

/** `security` exits with this code when no item matched. */
export const ITEM_NOT_FOUND = 44;

/** The longest command line `security -i` reads whole, newline excluded. */
export const MAX_LINE = 4095;

const PREFIX = "lk1:";

/**
 * Packs a secret for a `security -i` line: `lk1:` + base64 of raw DEFLATE.
 *
 * @param secret The secret.
 * @returns The packed text (only `[A-Za-z0-9+/=:]`).
 *
 * @example
 * ```ts
 * import { pack, unpack } from "./macos.ts";
 * const json = JSON.stringify({ access_token: "x".repeat(3000) });
 * const packed = await pack(json);
 * if (packed.length >= 200) throw new Error(`packed to ${packed.length} characters`);
 * if ((await unpack(packed)) !== json) throw new Error("unpack did not give the JSON back");
 * ```
 */
export async function pack(secret: string): Promise<string> {
  const stream = new Blob([secret]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return PREFIX + new Uint8Array(await new Response(stream).arrayBuffer()).toBase64();
}

/**
 * Unpacks what {@linkcode pack} made; other text is returned as it is.
 *
 * @param stored The item's secret as `security` printed it.
 * @returns The secret.
 */
export async function unpack(stored: string): Promise<string> {
  if (!stored.startsWith(PREFIX)) return stored;
  const bytes = Uint8Array.fromBase64(stored.slice(PREFIX.length));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return await new Response(stream).text();
}

/**
 * Whether a value can stand unquoted on a `security -i` line, as it is:
 * letters, digits and `+/=:._~-` only (base64 and {@linkcode pack}ed text are).
 *
 * @param value The value.
 * @returns `true` when it is a bare word.
 *
 * @example
 * ```ts
 * import { isBareWord } from "./macos.ts";
 * if (!isBareWord("eyJhcGlfa2V5Ijog=")) throw new Error("base64 is a bare word");
 * if (isBareWord('a "quoted" word')) throw new Error("quotes and blanks are not");
 * ```
 */
export function isBareWord(value: string): boolean {
  return /^[A-Za-z0-9+/=:._~-]+$/.test(value);
}

function quote(value: string): string {
  // `security -i` splits its input on blanks and honours double quotes; the
  // values passed here are a service, a profile name, a label and an issuer
  // URL, so characters that would need escaping are dropped.
  return `"${value.replace(/["\\\r\n]/g, "")}"`;
}

/**
 * `security find-generic-password -w`: prints the secret of the item.
 *
 * @param command The `security` program.
 * @param service The item's service.
 * @param account The item's account.
 * @returns The call.
 */
export function findCall(command: string, service: string, account: string): ToolCall {
  return { command, args: ["find-generic-password", "-s", service, "-a", account, "-w"] };
}

/**
 * `security -i` with an `add-generic-password -U` line on stdin: saves (or
 * updates) the item; the password, a bare word (already {@linkcode pack}ed,
 * or raw base64), goes on stdin.
 *
 * @param command The `security` program.
 * @param item Service, account, label, comment and the password as it is to rest.
 * @returns The call, or `undefined` when the password is not a
 * {@linkcode isBareWord | bare word} or the line would be longer than `security -i` reads.
 */
export function addCall(
  command: string,
  item: { service: string; account: string; label: string; comment: string; password: string },
): ToolCall | undefined {
  if (!isBareWord(item.password)) return undefined;
  const line = [
    "add-generic-password",
    "-U",
    "-s",
    quote(item.service),
    "-a",
    quote(item.account),
    "-l",
    quote(item.label),
    "-j",
    quote(item.comment),
    "-w",
    item.password,
  ].join(" ");
  if (new TextEncoder().encode(line).length > MAX_LINE) return undefined;
  return { command, args: ["-i"], stdin: `${line}\nquit\n` };
}

/**
 * `security delete-generic-password`: removes the item.
 *
 * @param command The `security` program.
 * @param service The item's service.
 * @param account The item's account.
 * @returns The call.
 */
export function deleteCall(command: string, service: string, account: string): ToolCall {
  return { command, args: ["delete-generic-password", "-s", service, "-a", account] };
}

/**
 * `security dump-keychain`: lists the items' attributes (not their secrets).
 *
 * @param command The `security` program.
 * @returns The call.
 */
export function dumpCall(command: string): ToolCall {
  return { command, args: ["dump-keychain"] };
}

/**
 * The accounts of the items of one service in a `dump-keychain` listing.
 *
 * @param stdout What `security dump-keychain` printed.
 * @param service The service.
 * @returns The accounts, sorted.
 *
 * @example
 * ```ts
 * import { dumpAccounts } from "./macos.ts";
 * const dump = 'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>="work"\n    "svce"<blob>="latchkey"\n' +
 *   'keychain: "/k"\nclass: "genp"\nattributes:\n    "acct"<blob>="me"\n    "svce"<blob>="other"\n';
 * const accounts = dumpAccounts(dump, "latchkey").join();
 * if (accounts !== "work") throw new Error(`unexpected accounts: ${accounts}`);
 * ```
 */
export function dumpAccounts(stdout: string, service: string): string[] {
  const accounts = new Set<string>();
  for (const block of stdout.split(/^keychain: /m)) {
    const svce = /"svce"<blob>="([^"]*)"/.exec(block)?.[1];
    const acct = /"acct"<blob>="([^"]*)"/.exec(block)?.[1];
    if (svce === service && acct !== undefined) accounts.add(acct);
  }
  return [...accounts].sort();
}

/**
 * Reads a `security` exit: 44 is "no such item"; anything else non-zero, or
 * an error printed by `security -i` (which exits 0), is a failure of the
 * keychain (locked, no user interaction allowed, denied).
 *
 * @param result The run's result.
 * @param interactive Whether the run was `security -i`.
 * @returns The outcome, with a one-line reason on failure.
 */
export function outcome(
  result: ToolResult,
  interactive = false,
): Outcome {
  const message = result.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "");
  if (result.code === ITEM_NOT_FOUND) return { ok: false, missing: true };
  if (result.code === 0 && !(interactive && message !== undefined)) return { ok: true };
  const reason = message?.replace(/^security:\s*/, "") ??
    `security exited with code ${result.code}`;
  return { ok: false, missing: false, reason: reason.slice(0, 300) };
}
