/**
 * `latchkey token`: prints only the access token, refreshed first if needed.
 *
 * @module
 */

import { Auth } from "../../mod.ts";
import { expectPositionals, secondsValue } from "../args.ts";
import type { Command } from "../command.ts";

export const command: Command = {
  name: "token",
  usage: "[--min-ttl S]",
  summary: "Print the access token (and nothing else), refreshing it first if needed.",
  description:
    `With --json, prints {"accessToken", "tokenType", "expiresAt", "expiresIn", "scope"}. A token
cached in the profile's store is printed without any network request.`,
  options: {
    "min-ttl": {
      type: "string",
      value: "S",
      description: "refresh first unless the token is valid for at least S seconds",
    },
  },
  examples: [
    'curl -H "Authorization: Bearer $(latchkey token)" https://api.example.org/v1/me',
    "latchkey token --min-ttl 600 --json",
  ],

  async run(ctx, args) {
    expectPositionals(args, "token", 0, 0);
    const minTtl = secondsValue(args.values, "min-ttl");
    const auth = new Auth({ profile: ctx.profile });
    const token = await auth.token({
      ...(minTtl !== undefined ? { minTtl } : {}),
      signal: ctx.signal,
    });
    if (!ctx.json) {
      ctx.out.result(token);
      return 0;
    }
    const credential = await auth.credential();
    const expiresAt = credential?.expiresAt;
    ctx.out.json({
      accessToken: token,
      tokenType: credential?.tokenType ?? "Bearer",
      expiresAt: expiresAt === undefined ? null : new Date(expiresAt * 1000).toISOString(),
      expiresIn: credential?.expiresIn() ?? null,
      scope: credential?.scope ?? null,
    });
    return 0;
  },
};
