/**
 * `latchkey refresh`: the batch story — a refresh grant from the refresh token
 * in a token file, with no terminal, no config and no browser.
 *
 * @module
 */

import {
  Auth,
  AuthError,
  type Credential,
  credentialToTokenJson,
  secretEnvGet,
  TokenFileStore,
} from "../../mod.ts";
import { expectPositionals, stringValue, usageError } from "../args.ts";
import type { Command, Context } from "../command.ts";
import { formatDuration } from "../output.ts";
import { privateStdout } from "../private_stdout.ts";
import { readSecret } from "../stdin.ts";

async function refreshFrom(
  ctx: Context,
  file: TokenFileStore,
  settings: {
    issuer?: string;
    clientId?: string;
    clientSecret?: string;
    clientKey?: string;
    clientKeyId?: string;
  },
): Promise<Credential> {
  const current = await file.read();
  if (!current) {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot refresh: token file "${file.path}" does not exist`,
      { hint: "check the path; a logged-in profile writes one with `latchkey refresh > FILE`" },
    );
  }
  if (!current.refreshToken) {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot refresh: token file "${file.path}" holds no refresh token`,
      {
        hint: `log in (\`latchkey login\`), then write one: \`latchkey refresh > '${file.path}'\``,
      },
    );
  }
  // The flags first, then what the file says (its token came from that issuer), then the
  // environment and the profile, as the library resolves them.
  const auth = new Auth({
    profile: ctx.profile,
    issuer: settings.issuer ?? current.issuer,
    clientId: settings.clientId ?? file.clientId ?? current.clientId,
    clientSecret: settings.clientSecret,
    clientKey: settings.clientKey,
    clientKeyId: settings.clientKeyId,
    refreshToken: current.refreshToken,
    store: "memory",
  });
  const status = await auth.status();
  if (!status.issuer || !status.clientId) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Cannot refresh: no ${status.issuer ? "client id" : "issuer"} for "${file.path}"`,
      {
        hint:
          "pass --issuer and --client-id, set LATCHKEY_ISSUER and LATCHKEY_CLIENT_ID, or use a profile",
      },
    );
  }
  await auth.token({ signal: ctx.signal });
  const next = await auth.credential();
  if (!next?.accessToken) throw new AuthError("BAD_RESPONSE", "Cannot refresh: no access token");
  return next;
}

/**
 * A refused refresh token in a token file: a login alone does not mend the file, so the hint
 * says how to write a new one from a fresh login.
 */
function refused(error: unknown, ctx: Context, file: TokenFileStore): never {
  if (!(error instanceof AuthError) || error.code !== "LOGIN_REQUIRED") throw error;
  const flag = ctx.profile === undefined ? "" : ` --profile ${ctx.profile}`;
  throw new AuthError("LOGIN_REQUIRED", `The refresh token in "${file.path}" was refused`, {
    cause: error,
    hint:
      `log in (\`latchkey${flag} login\`), then write a new one: \`latchkey${flag} refresh > '${file.path}'\``,
  });
}

/** `refresh` without a token file: renews the profile's credential now, in its store. */
async function refreshProfile(ctx: Context): Promise<number> {
  const auth = new Auth({ profile: ctx.profile });
  const before = await auth.credential();
  if (!before?.refreshable) {
    const flag = ctx.profile === undefined ? "" : ` --profile ${ctx.profile}`;
    const { profile } = await auth.status();
    throw new AuthError(
      "LOGIN_REQUIRED",
      `Profile "${profile}" has ${before ? "no means of renewal" : "no credential"} to refresh`,
      { hint: `run \`latchkey${flag} login\`` },
    );
  }
  // asking for more lifetime than any token has renews now, once
  await auth.token({ minTtl: Number.MAX_SAFE_INTEGER, signal: ctx.signal });
  const next = await auth.credential();
  if (!next?.accessToken) throw new AuthError("BAD_RESPONSE", "Cannot refresh: no access token");
  await privateStdout();
  ctx.out.result(JSON.stringify(credentialToTokenJson(next), null, 2));
  return 0;
}

export const command: Command = {
  name: "refresh",
  usage:
    "[--token-file F [--in-place] [--issuer URL] [--client-id ID] [--client-key FILE [--client-key-id KID]]]",
  summary:
    "Refresh the profile's token, or the one in a token file; print the new OAuth token JSON.",
  description:
    `For batch jobs: no terminal, no config and no browser needed. The issuer and client id come
from the flags, else the file, else LATCHKEY_ISSUER / LATCHKEY_CLIENT_ID, else the profile. A
confidential client's secret comes from LATCHKEY_CLIENT_SECRET or --client-secret-stdin, or its
private key (private_key_jwt) from --client-key FILE or LATCHKEY_CLIENT_KEY. The
printed JSON holds the rotated refresh token (stdout redirected to a file makes that file 0600);
--in-place instead rewrites F atomically (mode 0600, its format and other keys kept) under a
lock, and prints nothing on stdout. Without --token-file, the profile's credential is renewed now,
in its store, and printed the same way.`,
  options: {
    "token-file": { type: "string", value: "F", description: "the token file to refresh from" },
    "in-place": { type: "boolean", description: "rewrite F instead of printing" },
    issuer: { type: "string", value: "URL", description: "the OpenID issuer" },
    "client-id": { type: "string", value: "ID", description: "the OAuth client id" },
    "client-secret-stdin": { type: "boolean", description: "read a client secret from stdin" },
    "client-key": {
      type: "string",
      value: "FILE",
      description: "authenticate the client with this private key (private_key_jwt)",
    },
    "client-key-id": {
      type: "string",
      value: "KID",
      description: "the key id the provider knows the client key by",
    },
  },
  examples: [
    "latchkey refresh",
    "latchkey refresh --token-file old.json > new.json",
    "latchkey refresh --token-file ~/.freva-login-token.json --in-place",
  ],

  async run(ctx, args) {
    expectPositionals(args, "refresh", 0, 0);
    const v = args.values;
    const path = stringValue(v, "token-file");
    if (!path) {
      if (v["in-place"] === true) throw usageError("--in-place needs --token-file F");
      return await refreshProfile(ctx);
    }
    // The library never pairs an explicit refresh token with a secret from another source,
    // so the environment's client secret is passed on explicitly.
    const clientSecret = v["client-secret-stdin"] === true
      ? await readSecret("client secret", ctx.out)
      : secretEnvGet("LATCHKEY_CLIENT_SECRET") || undefined;
    // The same for a client key, which replaces the secret (private_key_jwt).
    const clientKey = stringValue(v, "client-key") ??
      (secretEnvGet("LATCHKEY_CLIENT_KEY") || undefined);
    const clientKeyId = stringValue(v, "client-key-id") ??
      (Deno.env.get("LATCHKEY_CLIENT_KEY_ID") || undefined);
    if (stringValue(v, "client-key-id") !== undefined && clientKey === undefined) {
      throw usageError("--client-key-id needs --client-key");
    }
    const settings = {
      ...(stringValue(v, "issuer") ? { issuer: stringValue(v, "issuer") } : {}),
      ...(stringValue(v, "client-id") ? { clientId: stringValue(v, "client-id") } : {}),
      ...(clientSecret ? { clientSecret } : {}),
      ...(clientKey ? { clientKey } : {}),
      ...(clientKeyId ? { clientKeyId } : {}),
    };
    const file = new TokenFileStore(path);
    if (v["in-place"] !== true) {
      const next = await refreshFrom(ctx, file, settings).catch((e) => refused(e, ctx, file));
      await privateStdout(); // `> new.json`: the shell made it with its umask
      ctx.out.result(JSON.stringify(credentialToTokenJson(next), null, 2));
      return 0;
    }
    // Read, refresh and write under the file's lock: two jobs rotating one file never race.
    const next = await file.lock("", async () => {
      const fresh = await refreshFrom(ctx, file, settings).catch((e) => refused(e, ctx, file));
      await file.write("", fresh);
      return fresh;
    });
    const left = next.expiresIn();
    ctx.out.info(
      `Refreshed "${file.path}"${left === undefined ? "" : ` (valid for ${formatDuration(left)})`}`,
    );
    return 0;
  },
};
