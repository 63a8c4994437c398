/**
 * `--preset freva`: `login` is freva-client's `auth` (the token JSON on
 * stdout and nothing else, the batch pipeline `--token-file old.json >
 * new.json` included), `token` prints the access token, `status` reads the
 * token file. freva keeps no session to end, so there is no `logout`.
 *
 * @module
 */

import { readConfig, saveProfile } from "../../mod.ts";
import { decodeJwt } from "../../src/jwt.ts";
import { freva } from "../../presets.ts";
import { numberField } from "../../src/util/json_fields.ts";
import { secondsValue, stringValue, type Values } from "../args.ts";
import type { Context } from "../command.ts";
import type { PresetHandlers } from "./types.ts";
import { privateStdout } from "../private_stdout.ts";
import { loginPrompter } from "../prompt.ts";
import { printStatus, printToken } from "./common.ts";

/** The profile whose saved host is used: `--profile`, else `freva` (as the preset's default). */
function profileOf(ctx: Context): string {
  return ctx.profile ?? "freva";
}

/**
 * Whether a person can log in: freva's own test (no batch-job variable, a
 * terminal on stdin and stdout), except that stdout may be redirected — the
 * CLI prints its result there and talks to the person on stderr.
 */
function personPresent(): boolean {
  if (freva.isInteractive()) return true;
  const forced = Deno.env.get("BROWSER_SESSION");
  if (forced !== undefined && forced !== "") return false; // freva.isInteractive decided
  if (freva.BATCH_VARIABLES.some((name) => Deno.env.get(name))) return false;
  return Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
}

function settings(v: Values) {
  return { tokenFile: stringValue(v, "token-file"), host: stringValue(v, "host") };
}

/** The handlers of `--preset freva`. */
export const handlers: PresetHandlers = {
  login: {
    options: ["host", "token-file", "force", "timeout", "no-browser"],
    async run(ctx, args) {
      const v = args.values;
      const profile = profileOf(ctx);
      const { tokenFile, host } = settings(v);
      const prompter = loginPrompter(ctx.out);
      let token: freva.Token;
      try {
        token = await freva.authenticate({
          tokenFile,
          host,
          profile,
          force: v.force === true,
          timeout: secondsValue(v, "timeout"),
          interactive: personPresent(),
          onPrompt: prompter.onPrompt,
          openBrowser: v["no-browser"] !== true,
          signal: ctx.signal,
        });
      } finally {
        prompter.stop();
      }
      if (host !== undefined) {
        const saved = (await readConfig()).profiles[profile];
        if (saved?.host !== host || saved.preset !== "freva") {
          await saveProfile(profile, { preset: "freva", host });
        }
      }
      await privateStdout();
      ctx.out.result(JSON.stringify(token, null, 2));
      return 0;
    },
  },
  token: {
    options: ["host", "token-file"],
    async run(ctx, args) {
      // Refreshes when needed, but never starts a login: `token` is for scripts.
      const token = await freva.authenticate({
        ...settings(args.values),
        profile: profileOf(ctx),
        interactive: false,
      });
      return printToken(ctx, token.access_token, {
        expiresAt: numberField(token.expires),
        scope: token.scope || null,
        tokenType: token.token_type || "Bearer",
      });
    },
  },
  status: {
    options: ["host", "token-file"],
    async run(ctx, args) {
      const { tokenFile, host } = settings(args.values);
      const token = await freva.loadToken(tokenFile);
      const now = Date.now() / 1000;
      const expires = numberField(token?.expires) ?? numberField(token?.expires_at);
      const refreshExpires = numberField(token?.refresh_expires);
      const valid = !!token?.access_token && expires !== undefined &&
        expires - freva.EXPIRY_BUFFER > now;
      const refreshable = !!token?.refresh_token &&
        (refreshExpires === undefined || refreshExpires > now);
      const claims = token?.access_token ? decodeJwt(token.access_token)?.payload : undefined;
      const subject = [claims?.preferred_username, claims?.email, claims?.sub]
        .find((claim) => typeof claim === "string");
      return printStatus(ctx, "freva", {
        host: host ?? (await readConfig()).profiles[profileOf(ctx)]?.host ?? null,
      }, {
        source: token ? "file" : "none",
        path: token ? tokenFile ?? freva.defaultTokenFile() : null,
        loggedIn: valid || refreshable,
        expiresAt: expires,
        scope: token?.scope || null,
        subject: (subject as string | undefined) ?? null,
        refreshable,
      });
    },
  },
  logout:
    "freva keeps no session to end; to forget the token, delete its file (see `latchkey status --preset freva`)",
};
