/**
 * `--preset descarteslabs`: `token` and `status` from Descartes Labs' `Auth`
 * (the `DESCARTESLABS_*` variables, `~/.descarteslabs/token_info.json`). Its
 * login and logout belong to the `descarteslabs` client.
 *
 * @module
 */

import { type Logger, setLogger } from "../../mod.ts";
import { decodeJwt } from "../../src/jwt.ts";
import { descarteslabs } from "../../presets.ts";
import { stringValue, type Values } from "../args.ts";
import type { PresetHandlers } from "./types.ts";
import { printStatus, printToken } from "./common.ts";

const LOGIN =
  "sign in with `descarteslabs auth login`, or set DESCARTESLABS_CLIENT_ID and DESCARTESLABS_CLIENT_SECRET";

function auth(v: Values): descarteslabs.Auth {
  return new descarteslabs.Auth({ domain: stringValue(v, "domain") });
}

/**
 * Runs `fn` without the Python client's "no valid authentication info found"
 * warning: in the CLI, the error that follows says the same with its hint.
 */
async function withoutEchoedWarning<T>(fn: () => Promise<T>): Promise<T> {
  const outer: Logger = setLogger({
    warn: (message) => {
      if (!message.startsWith("no valid authentication info found")) outer.warn(message);
    },
    debug: (message) => outer.debug(message),
    info: (message) => (outer.info ?? outer.debug)(message),
  });
  try {
    return await fn();
  } finally {
    setLogger(outer);
  }
}

/** The handlers of `--preset descarteslabs`. */
export const handlers: PresetHandlers = {
  login: LOGIN,
  token: {
    options: ["domain"],
    async run(ctx, args) {
      const token = await withoutEchoedWarning(() => auth(args.values).token());
      return printToken(ctx, token, { expiresAt: decodeJwt(token)?.payload.exp });
    },
  },
  status: {
    options: ["domain"],
    async run(ctx, args) {
      const client = auth(args.values);
      const s = await withoutEchoedWarning(() => client.status());
      const expiresAt = s.expiresAt === null ? undefined : Date.parse(s.expiresAt) / 1000;
      return printStatus(
        ctx,
        "descarteslabs",
        {
          domain: client.domain,
          clientId: s.clientId,
        },
        { ...s, expiresAt },
        LOGIN,
      );
    },
  },
  logout:
    "the Descartes Labs credentials stay where its client keeps them: run `descarteslabs auth logout`",
};
