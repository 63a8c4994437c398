/**
 * `latchkey token`: prints only the access token, refreshed first if needed.
 *
 * @module
 */

import { Auth } from "../../mod.ts";
import { expectPositionals, secondsValue } from "../args.ts";
import type { Command } from "../command.ts";
import { formatDuration } from "../output.ts";
import { presetOptions, runPreset } from "../preset.ts";

export const command: Command = {
  name: "token",
  usage: "[--min-ttl S] | --preset NAME [preset options]",
  summary: "Print the access token (and nothing else), refreshing it first if needed.",
  description:
    `With --json, prints {"accessToken", "tokenType", "expiresAt", "expiresIn", "scope"}. A token
cached in the profile's store is printed without any network request. With --preset, that
service's token: the freva access token (refreshed when needed, never a new login), the saved
cave/chunkedgraph token, the Descartes Labs token, the Anaconda API key.`,
  options: {
    "min-ttl": {
      type: "string",
      value: "S",
      description:
        "refresh first unless the token is valid for at least S seconds (exit 1 if even a fresh one is not)",
    },
    ...presetOptions("host", "domain", "token-file", "key"),
  },
  examples: [
    'curl -H "Authorization: Bearer $(latchkey token)" https://api.example.org/v1/me',
    "latchkey token --min-ttl 600 --json",
    "DESCARTESLABS_CLIENT_ID=… DESCARTESLABS_CLIENT_SECRET=… latchkey token --preset descarteslabs",
  ],

  async run(ctx, args) {
    const preset = await runPreset(ctx, args, "token");
    if (preset !== undefined) return preset;
    expectPositionals(args, "token", 0, 0);
    const minTtl = secondsValue(args.values, "min-ttl");
    const auth = new Auth({ profile: ctx.profile });
    const token = await auth.token({
      ...(minTtl !== undefined ? { minTtl } : {}),
      signal: ctx.signal,
    });
    const left = minTtl === undefined ? undefined : (await auth.credential())?.expiresIn();
    if (minTtl !== undefined && left !== undefined && left < minTtl) {
      // Even a fresh token lives shorter than asked: a script relying on it would fail later.
      ctx.out.error(
        `the token is valid for ${formatDuration(left)}, less than --min-ttl ${minTtl}`,
        "a renewal gave no longer one (the provider's tokens may live shorter): ask for less with --min-ttl",
      );
      return 1;
    }
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
