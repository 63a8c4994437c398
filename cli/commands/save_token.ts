/**
 * `latchkey save-token`: stores a token read from stdin, for the profile or
 * into a secret JSON file.
 *
 * @module
 */

import {
  Auth,
  Credential,
  credentialFromTokenJson,
  readConfig,
  saveProfile,
  TokenFileStore,
} from "../../mod.ts";
import { expectPositionals, stringList, stringValue, usageError } from "../args.ts";
import type { Command, Context } from "../command.ts";
import { readSecret } from "../stdin.ts";

/** How to give `save-token` its token, shown when stdin held none. */
/** The hint for an empty stdin, naming the command that was run. */
const pipeHint = (command: string) =>
  `pipe it in: \`… | latchkey ${command}\`, or run it on a terminal to paste it`;

/**
 * What was piped in: an OAuth token JSON object, or a bare token.
 *
 * @param text The input.
 * @returns The credential.
 */
export function parseTokenInput(text: string): Credential {
  if (text.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw usageError('the input starts with "{" but is not valid JSON');
    }
    if (json && typeof json === "object" && ("access_token" in json || "refresh_token" in json)) {
      return credentialFromTokenJson(json as Record<string, unknown>);
    }
    throw usageError('the JSON input has no "access_token" or "refresh_token"');
  }
  if (/\s/.test(text)) throw usageError("the token on stdin contains whitespace");
  return new Credential({ accessToken: text });
}

async function saveToFile(path: string, key: string, credential: Credential): Promise<string> {
  // A new file, or a JSON object without any token key, becomes a secret JSON file; an
  // existing token file keeps its own format.
  const store = new TokenFileStore(path, { tokenKey: key, format: "secret" });
  await store.read();
  await store.lock("", () => store.write("", credential));
  return store.path;
}

export const command: Command = {
  name: "save-token",
  usage: "[--api ORIGIN]… | --file F [--key K]",
  summary: "Store a token read from stdin, for the profile or into a secret JSON file.",
  description:
    `Reads a bare token (or an OAuth token JSON object, e.g. the output of \`latchkey refresh\`)
from stdin — or, on a terminal, asks for it without echo. Without --file it becomes the
profile's credential. With --file it goes under --key (default "token") of a secret JSON file
(CAVE / CloudVolume style), created 0600 if missing; an existing file keeps its format and its
other keys.`,
  options: {
    file: { type: "string", value: "F", description: "a secret JSON file instead of the profile" },
    key: { type: "string", value: "K", description: 'the key in the file (default "token")' },
    api: {
      type: "string",
      multiple: true,
      value: "ORIGIN",
      description: "an API origin that gets the token (added to the profile's)",
    },
  },
  examples: [
    "pbpaste | latchkey save-token",
    "latchkey save-token --file ~/.cloudvolume/secrets/cave-secret.json < token.txt",
  ],

  async run(ctx, args) {
    expectPositionals(args, "save-token", 0, 0);
    const file = stringValue(args.values, "file");
    const key = stringValue(args.values, "key");
    const api = stringList(args.values, "api");
    if (key !== undefined && file === undefined) throw usageError("--key needs --file");
    if (api.length && file !== undefined) {
      throw usageError("--api applies to a profile, not --file");
    }
    if (file !== undefined) {
      const credential = parseTokenInput(
        await readSecret("token", ctx.out, pipeHint(`save-token --file '${file}'`)),
      );
      const path = await saveToFile(file, key ?? "token", credential);
      ctx.out.info(`Saved the token in "${path}"`);
      if (ctx.json) ctx.out.json({ path });
      return 0;
    }
    return await saveProfileToken(ctx, api);
  },
};

/**
 * Saves a token read from stdin as the profile's credential, adding `api` to
 * its API origins (`save-token`, `login --with-token`).
 *
 * @param ctx The command's context.
 * @param api API origins to add to the profile.
 * @param command The command as typed, for the hint when stdin is empty.
 * @returns The exit code.
 */
export async function saveProfileToken(
  ctx: Context,
  api: readonly string[],
  command = "save-token",
): Promise<number> {
  const credential = parseTokenInput(await readSecret("token", ctx.out, pipeHint(command)));
  // an Auth given the origins checks and normalises them before anything is saved
  const auth = new Auth({ profile: ctx.profile, ...(api.length ? { apiOrigins: [...api] } : {}) });
  const status = await auth.status();
  await auth.save(credential.with({
    issuer: credential.issuer ?? status.issuer ?? undefined,
    clientId: credential.clientId ?? status.clientId ?? undefined,
  }));
  if (api.length) {
    const known = (await readConfig()).profiles[status.profile]?.apiOrigins ?? [];
    await saveProfile(status.profile, {
      apiOrigins: [...new Set([...known, ...status.apiOrigins])],
    });
  }
  const after = await new Auth({ profile: ctx.profile }).status();
  ctx.out.info(`Saved the token for profile "${after.profile}" (${after.path ?? after.source})`);
  if (ctx.json) ctx.out.json(after);
  return 0;
}
