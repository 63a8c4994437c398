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
import type { PresetHandlers } from "./types.ts";
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
        const steps = cliSteps(client.getNewToken({ print: false }), preset);
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

/**
 * The Python client's steps, with the step that says to call `saveToken(...)` in code turned
 * into what the CLI does: read the token here.
 */
function cliSteps(steps: string, preset: string): string {
  const lines: string[] = [];
  for (const line of steps.split("\n")) {
    const step = line.match(/^(\s*)3a?\) Save it to your computer with:/);
    if (step) {
      lines.push(
        `${step[1]}3) Paste it below, or pipe it in: … | latchkey login --preset ${preset}`,
      );
    } else if (!/^\s*or$/.test(line) && !/^\s*3b\)/.test(line)) {
      lines.push(line);
    }
  }
  return lines.join("\n");
}

export const handlers: PresetHandlers = handlersFor(
  "cave",
  (v) => new cave.AuthClient(clientOptions(v)),
);

/** The handlers of `--preset chunkedgraph`. */
export const chunkedgraphHandlers: PresetHandlers = handlersFor(
  "chunkedgraph",
  (v) => new chunkedgraph.AuthClient(clientOptions(v)),
);
