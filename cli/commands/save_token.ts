/**
 * `latchkey save-token`: stores a token read from stdin, for the profile or
 * into a secret JSON file.
 *
 * @module
 */

import { Auth, Credential, credentialFromTokenJson, TokenFileStore } from "../../mod.ts";
import { expectPositionals, stringValue, usageError } from "../args.ts";
import type { Command } from "../command.ts";
import { readSecret } from "../stdin.ts";

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
  usage: "[--file F] [--key K]",
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
  },
  examples: [
    "pbpaste | latchkey save-token",
    "latchkey save-token --file ~/.cloudvolume/secrets/cave-secret.json < token.txt",
  ],

  async run(ctx, args) {
    expectPositionals(args, "save-token", 0, 0);
    const file = stringValue(args.values, "file");
    const key = stringValue(args.values, "key");
    if (key !== undefined && file === undefined) throw usageError("--key needs --file");
    const credential = parseTokenInput(await readSecret("token", ctx.out));
    if (file !== undefined) {
      const path = await saveToFile(file, key ?? "token", credential);
      ctx.out.info(`Saved the token in "${path}"`);
      return 0;
    }
    const auth = new Auth({ profile: ctx.profile });
    const status = await auth.status();
    await auth.save(credential.with({
      issuer: credential.issuer ?? status.issuer ?? undefined,
      clientId: credential.clientId ?? status.clientId ?? undefined,
    }));
    const after = await auth.status();
    ctx.out.info(
      `Saved the token for profile "${after.profile}" (${after.path ?? after.source})`,
    );
    return 0;
  },
};
