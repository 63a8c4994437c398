/**
 * `latchkey status`: who, which source, expiry, scope, refreshable — from
 * local state only, never a secret.
 *
 * @module
 */

import { Auth, type AuthStatus, FileStore, readConfig } from "../../mod.ts";
import { expectPositionals } from "../args.ts";
import type { Command, Context } from "../command.ts";
import { formatDuration } from "../output.ts";
import { presetOptions, runPreset } from "../preset.ts";

/**
 * The human form of a status.
 *
 * @param s The status.
 * @returns The lines (plain text: they go to stdout).
 */
export function formatStatus(s: AuthStatus): string {
  const expiry = s.expiresAt === null
    ? "unknown"
    : s.expiresIn === 0
    ? `${s.expiresAt} (expired)`
    : `${s.expiresAt} (in ${formatDuration(s.expiresIn ?? 0)})`;
  const rows: [string, string][] = [
    ["Profile", s.profile],
    ["Logged in", s.loggedIn ? "yes" : "no"],
    ["Subject", s.subject ?? "unknown"],
    ["Issuer", s.issuer ?? "not set"],
    ["Client id", s.clientId ?? "not set"],
    ["Source", s.path ? `${s.source} (${s.path})` : s.source],
    ["Expires", expiry],
    ["Scope", s.scope ?? "unknown"],
    ["Refreshable", s.refreshable ? "yes" : "no"],
    ...(s.dpop
      ? [["DPoP", "yes: the token is bound to a key kept with it"] as [string, string]]
      : []),
    ["API origins", s.apiOrigins.length ? s.apiOrigins.join(", ") : "none"],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)} ${v}`).join("\n");
}

export const command: Command = {
  name: "status",
  usage: "[--all] | --preset NAME [preset options]",
  summary: "Show who is logged in, from which source, until when — never a secret.",
  description:
    `Reads local state only (no network). An access token that expired but can be refreshed counts
as logged in. Exits 1 when there is no usable credential. --json prints profile, issuer,
clientId, source, path, loggedIn, expiresAt, expiresIn, scope, subject, refreshable, dpop and
apiOrigins. With --preset, that service's credential instead: preset, its host, server or
domain, then source, path, loggedIn, expiresAt, expiresIn, scope, subject and refreshable.
With --all, every saved profile ({"profiles": [...]} with --json).`,
  options: {
    all: {
      type: "boolean",
      description: "every profile (exit 1 unless all are logged in)",
    },
    ...presetOptions("host", "domain", "token-file", "key"),
  },
  examples: [
    "latchkey status",
    "latchkey --profile work status --json",
    "latchkey status --all",
    "latchkey status --preset anaconda --json",
  ],

  async run(ctx, args) {
    const preset = await runPreset(ctx, args, "status");
    if (preset !== undefined) return preset;
    expectPositionals(args, "status", 0, 0);
    if (args.values.all === true) return await statusAll(ctx);
    const status = await new Auth({ profile: ctx.profile }).status();
    if (ctx.json) ctx.out.json(status);
    else ctx.out.result(formatStatus(status));
    if (!status.loggedIn) {
      const flag = ctx.profile === undefined ? "" : ` --profile ${ctx.profile}`;
      ctx.out.info(`Not logged in (profile "${status.profile}"); run \`latchkey${flag} login\``);
      return 1;
    }
    return 0;
  },
};

/** `status --all`: every saved profile and every credential in the file store. */
async function statusAll(ctx: Context): Promise<number> {
  const names = new Set(Object.keys((await readConfig()).profiles));
  for (const key of await new FileStore().list()) {
    // not the tokens cached for an environment's client secret (`cache-<hash>`): no profile
    if (!/^cache-[0-9a-f]{40}$/.test(key)) names.add(key);
  }
  const statuses: AuthStatus[] = [];
  for (const name of [...names].sort()) statuses.push(await new Auth({ profile: name }).status());
  if (ctx.json) ctx.out.json({ profiles: statuses });
  else if (statuses.length) ctx.out.result(statuses.map(formatStatus).join("\n\n"));
  const out = statuses.filter((status) => !status.loggedIn).map((status) => status.profile);
  if (statuses.length === 0) {
    ctx.out.info("No profiles; `latchkey login --issuer URL --client-id ID` creates one");
    return 1;
  }
  if (out.length) {
    ctx.out.info(`Not logged in: ${out.map((name) => `"${name}"`).join(", ")}`);
    return 1;
  }
  return 0;
}
