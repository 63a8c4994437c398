/**
 * The Secret Service (GNOME Keyring, KWallet, KeePassXC) through libsecret's
 * `secret-tool`: the commands to run and how to read their answers. Pure: the
 * subprocess itself is run by `runner.ts`, with a timeout, for the
 * `Keychain` of `keychain.ts`.
 *
 * The secret always travels on stdin (`secret-tool store` reads it from
 * there), never in argv, where any user could read it in `ps`.
 *
 * @module
 */

import type { Outcome, ToolCall, ToolResult } from "./runner.ts";

/** The attributes of a Secret Service item, as `name=value` pairs. */
export type Attributes = Record<string, string>;

function pairs(attributes: Attributes): string[] {
  return Object.entries(attributes).flat();
}

/**
 * `secret-tool lookup`: prints the secret of the first matching item.
 *
 * @param command The `secret-tool` program.
 * @param attributes The attributes to match.
 * @returns The call.
 */
export function lookupCall(command: string, attributes: Attributes): ToolCall {
  return { command, args: ["lookup", ...pairs(attributes)] };
}

/**
 * `secret-tool store`: saves a secret read from stdin, replacing an item with
 * exactly the same attributes.
 *
 * @param command The `secret-tool` program.
 * @param label The item's label, as keyring managers show it.
 * @param attributes The item's attributes.
 * @param secret The secret (sent on stdin).
 * @returns The call.
 */
export function storeCall(
  command: string,
  label: string,
  attributes: Attributes,
  secret: string,
): ToolCall {
  return { command, args: ["store", `--label=${label}`, ...pairs(attributes)], stdin: secret };
}

/**
 * `secret-tool clear`: removes every matching item.
 *
 * @param command The `secret-tool` program.
 * @param attributes The attributes to match.
 * @returns The call.
 */
export function clearCall(command: string, attributes: Attributes): ToolCall {
  return { command, args: ["clear", ...pairs(attributes)] };
}

/**
 * `secret-tool search --all`: lists matching items. It prints the attributes
 * on stderr and labels and secrets on stdout, so stdout is not read at all.
 *
 * @param command The `secret-tool` program.
 * @param attributes The attributes to match.
 * @returns The call.
 */
export function searchCall(command: string, attributes: Attributes): ToolCall {
  return { command, args: ["search", "--all", ...pairs(attributes)], stdout: false };
}

/**
 * The distinct `name = value` attributes over the items a `search` printed.
 *
 * @param stderr What `secret-tool search` printed on stderr.
 * @returns `[name, value]` pairs, in the order first printed, without duplicates.
 *
 * @example
 * ```ts
 * import { searchPairs } from "./linux.ts";
 * const stderr = "attribute.service = S\nattribute.username = U\nattribute.application = Python keyring library\n" +
 *   "attribute.service = S\nattribute.username = U\n";
 * const pairs = searchPairs(stderr);
 * if (pairs.length !== 3) throw new Error(`expected 3 pairs, got ${pairs.length}`);
 * if (pairs[2]!.join("=") !== "application=Python keyring library") {
 *   throw new Error(`unexpected third pair: ${pairs[2]}`);
 * }
 * ```
 */
export function searchPairs(stderr: string): [string, string][] {
  const pairs = new Map<string, [string, string]>();
  for (const line of stderr.split("\n")) {
    const match = /^attribute\.([^ ]+) = (.*)$/.exec(line);
    if (match) pairs.set(`${match[1]}\0${match[2]}`, [match[1]!, match[2]!]);
  }
  return [...pairs.values()];
}

/**
 * The values of one attribute over the items a `search` printed.
 *
 * @param stderr What `secret-tool search` printed on stderr.
 * @param name The attribute.
 * @returns The values, sorted and without duplicates.
 *
 * @example
 * ```ts
 * import { searchValues } from "./linux.ts";
 * const stderr = "attribute.profile = work\nattribute.service = latchkey\nattribute.profile = home\n";
 * const profiles = searchValues(stderr, "profile").join();
 * if (profiles !== "home,work") throw new Error(`unexpected profiles: ${profiles}`);
 * ```
 */
export function searchValues(stderr: string, name: string): string[] {
  return searchPairs(stderr).filter(([n]) => n === name).map(([, value]) => value).sort();
}

/**
 * Reads a `secret-tool` exit: `lookup` and `clear` exit 1 without a message
 * when nothing matched; any message on stderr is a failure of the keyring
 * (no D-Bus session, no Secret Service, a locked collection, a refused
 * prompt).
 *
 * @param result The run's result.
 * @returns The outcome, with a one-line reason on failure.
 *
 * @example
 * ```ts
 * import { outcome } from "./linux.ts";
 * const missing = outcome({ code: 1, stdout: "", stderr: "" });
 * if (missing.ok || !missing.missing) throw new Error("a silent exit 1 is not \"missing\"");
 * const failed = outcome({ code: 1, stdout: "", stderr: "secret-tool: Cannot autolaunch D-Bus without X11 $DISPLAY\n" });
 * const reason = "Cannot autolaunch D-Bus without X11 $DISPLAY";
 * if (failed.ok || failed.missing || failed.reason !== reason) {
 *   throw new Error("the message on stderr is not the reason");
 * }
 * ```
 */
export function outcome(result: ToolResult): Outcome {
  if (result.code === 0) return { ok: true };
  const message = result.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "");
  if (result.code === 1 && message === undefined) return { ok: false, missing: true };
  const reason = message?.replace(/^secret-tool:\s*/, "") ??
    `secret-tool exited with code ${result.code}`;
  return { ok: false, missing: false, reason: reason.slice(0, 300) };
}
