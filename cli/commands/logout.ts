/**
 * `latchkey logout`: revokes the tokens where the provider allows (RFC 7009),
 * then deletes the stored credential.
 *
 * @module
 */

import { Auth, FileStore, readConfig } from "../../mod.ts";
import { expectPositionals } from "../args.ts";
import type { Command, Context } from "../command.ts";
import { presetOptions, runPreset } from "../preset.ts";

/** What `logout --json` prints for one profile. */
export interface LogoutSummary {
  /** The profile. */
  profile: string;
  /** Whether the provider revoked the tokens. */
  revoked: boolean;
  /** Whether a stored credential was deleted. */
  deleted: boolean;
  /** Why revocation failed, if it did. */
  warning: string | null;
}

/**
 * Logs one profile out, saying what was done (also used by `profiles remove`).
 *
 * @param ctx The command's context.
 * @param profile The profile; the active one when `undefined`.
 * @returns What was done.
 */
export async function logoutOne(ctx: Context, profile: string | undefined): Promise<LogoutSummary> {
  const auth = new Auth({ profile });
  const { profile: name } = await auth.status();
  const result = await auth.logout();
  if (result.warning) ctx.out.warn(`profile "${name}": ${result.warning}`);
  if (result.deleted || result.revoked) {
    const revoked = result.revoked ? "tokens revoked, " : "";
    ctx.out.info(`Logged out of profile "${name}" (${revoked}local credential deleted)`);
  } else {
    ctx.out.info(`No stored credential for profile "${name}"; nothing to do`);
  }
  return {
    profile: name,
    revoked: result.revoked,
    deleted: result.deleted,
    warning: result.warning ?? null,
  };
}

export const command: Command = {
  name: "logout",
  usage: "[--all] | --preset NAME [--domain D]",
  summary: "Revoke the tokens where possible, then delete the stored credential.",
  description:
    `Exits 0 once the local credential is gone, even when revocation failed (with a warning).
The profile's settings stay saved, so \`latchkey login\` signs in again without flags. --json
prints {"profile", "revoked", "deleted", "warning"} (with --all, {"profiles": [...]}).
With --preset anaconda, removes the API key from the keyring (and its fallback file); the other
presets have no logout.`,
  options: {
    all: {
      type: "boolean",
      description: "log out of every profile (and every credential in the file store)",
    },
    ...presetOptions("domain"),
  },
  examples: ["latchkey logout", "latchkey logout --all", "latchkey logout --preset anaconda"],

  async run(ctx, args) {
    const preset = await runPreset(ctx, args, "logout");
    if (preset !== undefined) return preset;
    expectPositionals(args, "logout", 0, 0);
    if (args.values.all !== true) {
      const summary = await logoutOne(ctx, ctx.profile);
      if (ctx.json) ctx.out.json(summary);
      return 0;
    }
    const names = new Set(Object.keys((await readConfig()).profiles));
    for (const key of await new FileStore().list()) names.add(key);
    if (names.size === 0) ctx.out.info("No profiles and no stored credentials; nothing to do");
    const summaries: LogoutSummary[] = [];
    for (const name of [...names].sort()) summaries.push(await logoutOne(ctx, name));
    if (ctx.json) ctx.out.json({ profiles: summaries });
    return 0;
  },
};
