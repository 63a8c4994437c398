/**
 * `latchkey profiles`: lists the saved profiles; `profiles use NAME` makes one
 * the default.
 *
 * @module
 */

import { readConfig, setDefaultProfile } from "../../mod.ts";
import { expectPositionals, usageError } from "../args.ts";
import type { Command } from "../command.ts";

export const command: Command = {
  name: "profiles",
  usage: "[use NAME]",
  summary: "List the saved profiles, or switch the default with `profiles use NAME`.",
  description:
    `The active profile (marked *) is --profile, else LATCHKEY_PROFILE, else the saved default,
else "default". --json prints {"active", "default", "profiles": [{"name", "issuer", "clientId",
"scope", "audience", "apiOrigins", "store", "active"}]}.`,
  options: {},
  examples: ["latchkey profiles", "latchkey profiles use work", "latchkey profiles --json"],

  async run(ctx, args) {
    expectPositionals(args, "profiles", 0, 2);
    const [action, name] = args.positionals;
    if (action !== undefined) {
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
