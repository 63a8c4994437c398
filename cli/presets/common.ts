/**
 * What the preset commands share: the status they print (the fields of
 * `latchkey status`, never a secret) and the form of `token --json`.
 *
 * @module
 */

import type { CredentialSource } from "../../mod.ts";
import type { Context } from "../command.ts";
import { formatDuration } from "../output.ts";

/** A preset's local state, as `status --preset` reports it. */
export interface PresetState {
  /** Where the credential rests: `file`, `keyring`, `env`…, or `none`. */
  source: CredentialSource;
  /** The file, when a file holds it. */
  path: string | null;
  /** Whether a usable credential exists (an expired but refreshable one counts). */
  loggedIn: boolean;
  /** When the token expires, in seconds since the epoch, if known. */
  expiresAt: number | undefined;
  /** The granted scope, if known. */
  scope: string | null;
  /** Whom the token stands for, if known. */
  subject: string | null;
  /** Whether it can be renewed without a person. */
  refreshable: boolean;
}

function expiry(
  expiresAt: number | undefined,
): { expiresAt: string | null; expiresIn: number | null } {
  if (expiresAt === undefined) return { expiresAt: null, expiresIn: null };
  return {
    expiresAt: new Date(expiresAt * 1000).toISOString(),
    expiresIn: Math.max(0, Math.round(expiresAt - Date.now() / 1000)),
  };
}

/**
 * Prints a preset's status: one JSON object with `--json`, else aligned
 * lines, on stdout; then, when not logged in, a hint on stderr.
 *
 * @param ctx The context.
 * @param preset The preset.
 * @param settings What the preset was pointed at (host, server, domain…), shown after `preset`.
 * @param state The state.
 * @param hint How to log in, shown when not logged in.
 * @returns 0 when logged in, else 1.
 */
export function printStatus(
  ctx: Context,
  preset: string,
  settings: Record<string, string | null>,
  state: PresetState,
  hint = `run \`latchkey login --preset ${preset}\``,
): number {
  const { expiresAt, expiresIn } = expiry(state.expiresAt);
  const status = {
    preset,
    ...settings,
    source: state.source,
    path: state.path,
    loggedIn: state.loggedIn,
    expiresAt,
    expiresIn,
    scope: state.scope,
    subject: state.subject,
    refreshable: state.refreshable,
  };
  if (ctx.json) {
    ctx.out.json(status);
  } else {
    const label = (key: string) =>
      (key[0]!.toUpperCase() + key.slice(1).replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`))
        .replace(/\bApi\b|\bapi\b/, "API");
    const rows: [string, string][] = [
      ["Preset", preset],
      ...Object.entries(settings).map(([k, v]): [string, string] => [label(k), v ?? "not set"]),
      ["Logged in", state.loggedIn ? "yes" : "no"],
      ["Subject", state.subject ?? "unknown"],
      ["Source", state.path ? `${state.source} (${state.path})` : state.source],
      [
        "Expires",
        expiresAt === null
          ? "unknown"
          : `${expiresAt} (${expiresIn ? `in ${formatDuration(expiresIn)}` : "expired"})`,
      ],
      ["Scope", state.scope ?? "unknown"],
      ["Refreshable", state.refreshable ? "yes" : "no"],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    ctx.out.result(rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"));
  }
  if (!state.loggedIn) {
    ctx.out.info(`Not logged in (preset ${preset}); ${hint}`);
    return 1;
  }
  return 0;
}

/**
 * Prints a preset's token: the token alone, or with `--json` the object of
 * `latchkey token --json`.
 *
 * @param ctx The context.
 * @param token The token.
 * @param details Its expiry (seconds since the epoch), scope and type, when known.
 * @returns 0.
 */
export function printToken(
  ctx: Context,
  token: string,
  details: { expiresAt?: number | undefined; scope?: string | null; tokenType?: string } = {},
): number {
  if (!ctx.json) {
    ctx.out.result(token);
    return 0;
  }
  ctx.out.json({
    accessToken: token,
    tokenType: details.tokenType ?? "Bearer",
    ...expiry(details.expiresAt),
    scope: details.scope ?? null,
  });
  return 0;
}
