/**
 * `latchkey profiles`: lists the saved profiles; `profiles use NAME` makes one
 * the default; `profiles remove NAME` logs it out and forgets it.
 *
 * @module
 */

import { readConfig, removeProfile, setDefaultProfile } from "../../mod.ts";
import { expectPositionals, usageError } from "../args.ts";
import type { Command } from "../command.ts";
import { logoutOne } from "./logout.ts";

export const command: Command = {
  name: "profiles",
  usage: "[use NAME | remove NAME]",
  summary:
    "List the saved profiles, switch the default with `profiles use NAME`, or `profiles remove NAME`.",
  description:
    `The active profile (marked *) is --profile, else LATCHKEY_PROFILE, else the saved default,
else "default". \`profiles remove NAME\` logs the profile out (revoking its tokens where the
provider allows) and deletes its settings. --json prints {"active", "default", "profiles": [{"name", "issuer", "clientId",
"scope", "audience", "apiOrigins", "store", "active"}]}.`,
  options: {},
  examples: [
    "latchkey profiles",
    "latchkey profiles use work",
    "latchkey profiles remove old",
    "latchkey profiles --json",
  ],

  async run(ctx, args) {
    expectPositionals(args, "profiles", 0, 2);
    const [action, name] = args.positionals;
    if (action !== undefined) {
      if (action === "remove") {
        if (name === undefined) throw usageError('"profiles remove" needs a profile name');
        const config = await readConfig();
        if (!config.profiles[name]) {
          const known = Object.keys(config.profiles).sort();
          throw usageError(
            `no profile "${name}"`,
            known.length ? `known profiles: ${known.join(", ")}` : "there are no saved profiles",
          );
        }
        await logoutOne(ctx, name);
        await removeProfile(name);
        ctx.out.info(`Removed profile "${name}"`);
        return 0;
      }
      if (action !== "use") {
        throw usageError(
          `unknown action "${action}" for "profiles"`,
          "see `latchkey profiles --help`",
        );
      }
      if (name === undefined) throw usageError('"profiles use" needs a profile name');
      await setDefaultProfile(name);
      ctx.out.info(`Switched the default profile to "${name}"`);
      return 0;
    }
    const config = await readConfig();
    const env = Deno.env.get("LATCHKEY_PROFILE") || undefined;
    const active = ctx.profile ?? env ?? config.default ?? "default";
    const list = Object.entries(config.profiles).sort(([a], [b]) => a.localeCompare(b)).map((
      [profile, p],
    ) => ({
      name: profile,
      issuer: p.issuer ?? null,
      clientId: p.clientId ?? null,
      scope: p.scope ?? null,
      audience: p.audience ?? null,
      apiOrigins: p.apiOrigins ?? [],
      store: p.store ?? null,
      active: profile === active,
    }));
    if (ctx.json) {
      ctx.out.json({ active, default: config.default ?? null, profiles: list });
      return 0;
    }
    if (list.length === 0) {
      ctx.out.info("No saved profiles; `latchkey login --issuer URL --client-id ID` creates one");
      return 0;
    }
    const width = Math.max(...list.map((p) => p.name.length));
    for (const p of list) {
      const details = [
        p.issuer ?? "(no issuer)",
        p.clientId ?? "(no client id)",
        p.store ?? "auto",
      ];
      ctx.out.result(`${p.active ? "*" : " "} ${p.name.padEnd(width)}  ${details.join("  ")}`);
    }
    return 0;
  },
};
