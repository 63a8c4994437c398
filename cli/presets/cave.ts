/**
 * `--preset cave` and `--preset chunkedgraph`: tokens are made by hand on
 * the server's page, so `login` shows the steps (`getNewToken`) on stderr and
 * reads the token from stdin, `token` prints the saved one and `status` says
 * where it rests. Neither client has a logout.
 *
 * @module
 */

import { LoginRequiredError } from "../../mod.ts";
import { cave, chunkedgraph } from "../../presets.ts";
import { stringValue, type Values } from "../args.ts";
import type { Context } from "../command.ts";
import type { PresetHandlers } from "../preset.ts";
import { readSecret } from "../stdin.ts";
import { printStatus, printToken } from "./common.ts";

type Client = cave.AuthClient | chunkedgraph.AuthClient;

function handlersFor(preset: string, make: (v: Values) => Client): PresetHandlers {
  const status = async (ctx: Context, client: Client) => {
    const token = await client.token();
    return printStatus(ctx, preset, {
      server: client.serverAddress,
      tokenKey: client.tokenKey,
    }, {
      source: token === undefined ? "none" : "file",
      path: await client.tokenFile(),
      loggedIn: token !== undefined,
      expiresAt: undefined,
      scope: null,
      subject: null,
      refreshable: false,
    });
  };
  return {
    login: {
      options: ["host", "token-file", "key", "force"],
      async run(ctx, args) {
        const client = make(args.values);
        const force = args.values.force === true;
        const { out } = ctx;
        if (!force && (await client.token()) !== undefined) {
          out.info(
            `A ${preset} token is already saved in "${await client
              .tokenFile()}"; nothing to do (use --force to replace it)`,
          );
          return ctx.json ? await status(ctx, client) : 0;
        }
        const steps = client.getNewToken({ print: false });
        if (Deno.stdin.isTerminal()) out.prompt(`${steps}\n\nPaste the token here.\n`);
        else out.info(steps);
        const token = await readSecret("token", out);
        await client.saveToken(token, { overwrite: force });
        out.info(`Saved the ${preset} token in "${await client.tokenFile()}"`);
        return ctx.json ? await status(ctx, client) : 0;
      },
    },
    token: {
      options: ["host", "token-file", "key"],
      async run(ctx, args) {
        const client = make(args.values);
        const token = await client.token();
        if (token === undefined) {
          throw new LoginRequiredError(
            `No ${preset} token saved under "${client.tokenKey}" in "${await client.tokenFile()}"`,
            { hint: `run \`latchkey login --preset ${preset}\`` },
          );
        }
        return printToken(ctx, token);
      },
    },
    status: {
      options: ["host", "token-file", "key"],
      run: (ctx, args) => status(ctx, make(args.values)),
    },
    logout:
      `the ${preset} client has no logout; to forget the token, remove it from its file (see \`latchkey status --preset ${preset}\`)`,
  };
}

function clientOptions(v: Values) {
  return {
    serverAddress: stringValue(v, "host"),
    tokenFile: stringValue(v, "token-file"),
    tokenKey: stringValue(v, "key"),
  };
}

/** The handlers of `--preset cave`. */
export const handlers: PresetHandlers = handlersFor(
  "cave",
  (v) => new cave.AuthClient(clientOptions(v)),
);

/** The handlers of `--preset chunkedgraph`. */
export const chunkedgraphHandlers: PresetHandlers = handlersFor(
  "chunkedgraph",
  (v) => new chunkedgraph.AuthClient(clientOptions(v)),
);
