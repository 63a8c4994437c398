/**
 * `latchkey login`: signs in and saves the profile and its credential.
 *
 * @module
 */

import {
  Auth,
  AuthError,
  type AuthOptions,
  type AuthStatus,
  type Credential,
  type LoginFlow,
  readConfig,
  saveProfile,
  setDefaultProfile,
  type StoreName,
} from "../../mod.ts";
import {
  choiceValue,
  expectPositionals,
  secondsValue,
  stringList,
  stringValue,
  usageError,
} from "../args.ts";
import type { Command } from "../command.ts";
import { formatDuration } from "../output.ts";
import { presetOptions, runPreset } from "../preset.ts";
import { loginPrompter } from "../prompt.ts";
import { readHidden, readLine, readSecret, readStdinText } from "../stdin.ts";
import { saveProfileToken } from "./save_token.ts";

const FLOWS: readonly LoginFlow[] = ["device", "browser", "client_credentials", "password"];
const STORES: readonly StoreName[] = ["auto", "keyring", "file", "redis", "kv"];

/** The default wait for a person, in seconds (device codes usually live 5–15 min). */
const DEFAULT_TIMEOUT = 300;

const trimSlash = (url: string) => url.replace(/\/+$/, "");

/**
 * Whether the profile's saved credential still works for these settings,
 * judged without the network: it exists, is usable or renewable, and comes
 * from the issuer asked for. (A client secret in the environment is no login
 * yet: it is exchanged, and kept, by the login.)
 */
function stillValid(saved: Credential | undefined, issuer: string | null): boolean {
  if (!saved || (!saved.refreshable && saved.isExpired())) return false;
  return !saved.issuer || !issuer || trimSlash(saved.issuer) === trimSlash(issuer);
}

export const command: Command = {
  name: "login",
  usage: "[options] | --preset NAME [preset options]",
  summary: "Sign in and save the profile and its credential.",
  description:
    `Without --force, a valid credential means no action. The device flow shows a URL and a code
(and a QR code on a terminal) on stderr; the browser flow listens on 127.0.0.1. A browser is
opened through xdg-open (Linux) or open (macOS) unless --no-browser; the URL is always printed
first. Client secrets come from LATCHKEY_CLIENT_SECRET or --client-secret-stdin, passwords from
the terminal (or --password-stdin) — never from arguments. Instead of a secret, a service can
sign its requests with a private key (--client-key FILE, or LATCHKEY_CLIENT_KEY: a PKCS#8 PEM
or JWK file that only you can read); the login keeps the file's path, never the key. The flow
defaults to client_credentials when a client secret or key is given, else device.

With --preset, the login of that service's own client, with its files and keychain item:
  freva          [--host H] [--token-file F] [-f] [--timeout S]: prints the token JSON on
                 stdout and nothing else (--timeout 0 = no limit; default 30 s). The host comes
                 from --host, else the profile's ("freva" unless --profile), where --host is saved
  anaconda       [--domain D] [-f] [--basic [--username U] [--password-stdin]] [--store S]
  cave,          [--host SERVER] [--token-file F] [--key K] [-f]: shows how to get a token on
  chunkedgraph   stderr, then reads it from stdin (without echo on a terminal)
  descarteslabs  none here: \`descarteslabs auth login\`, or DESCARTESLABS_CLIENT_ID/_SECRET`,
  options: {
    issuer: { type: "string", value: "URL", description: "the OpenID issuer" },
    "client-id": { type: "string", value: "ID", description: "the OAuth client id" },
    scope: { type: "string", value: "S", description: "the scope to ask for" },
    audience: { type: "string", value: "A", description: "the audience to ask for" },
    api: {
      type: "string",
      value: "ORIGIN",
      multiple: true,
      description: "an API origin that may receive the token",
    },
    flow: {
      type: "string",
      value: "F",
      description: "device, browser, client_credentials or password",
    },
    "no-browser": { type: "boolean", description: "only print the URL, never open a browser" },
    timeout: {
      type: "string",
      value: "S",
      description: `seconds to wait for you (0 = no limit; default ${DEFAULT_TIMEOUT})`,
    },
    force: { type: "boolean", short: "f", description: "log in even with a valid credential" },
    store: {
      type: "string",
      value: "STORE",
      description:
        "auto (default: keyring if available, else file), keyring, file, redis or kv (fleets: LATCHKEY_REDIS_URL, LATCHKEY_KV_PATH)",
    },
    "client-secret-stdin": { type: "boolean", description: "read the client secret from stdin" },
    "client-key": {
      type: "string",
      value: "FILE",
      description: "authenticate the client with this private key (private_key_jwt), not a secret",
    },
    dpop: {
      type: "boolean",
      description:
        "bind the tokens to a key kept with them (DPoP), so a copied token is useless; remembered",
    },
    "require-dpop": {
      type: "boolean",
      description: "as --dpop, and refuse a bearer token from a provider that does not bind",
    },
    "client-key-id": {
      type: "string",
      value: "KID",
      description: "the key id the provider knows the client key by",
    },
    "with-token": {
      type: "boolean",
      description:
        "save a token read from stdin instead of signing in (as gh auth login --with-token)",
    },
    username: { type: "string", value: "U", description: "the user name (password flow)" },
    "password-stdin": {
      type: "boolean",
      description: "read the password from stdin (password flow)",
    },
    ...presetOptions("host", "domain", "token-file", "key"),
    basic: {
      type: "boolean",
      description: "with --preset anaconda: the deprecated password login",
    },
  },
  examples: [
    "latchkey login --issuer https://id.example.org --client-id my-cli --api https://api.example.org",
    "LATCHKEY_CLIENT_SECRET=… latchkey login --issuer https://id.example.org --client-id svc --json",
    "latchkey login --issuer https://id.example.org --client-id svc --client-key svc-key.pem",
    "latchkey --profile work login --flow browser",
    "latchkey login --preset freva --host www.freva.dkrz.de --token-file old.json > new.json",
  ],

  async run(ctx, args) {
    const preset = await runPreset(ctx, args, "login", ["basic"]);
    if (preset !== undefined) return preset;
    expectPositionals(args, "login", 0, 0);
    const v = args.values;
    if (v["with-token"] === true) {
      for (
        const other of [
          "flow",
          "client-secret-stdin",
          "client-key",
          "password-stdin",
          "username",
          "store",
        ]
      ) {
        if (v[other] !== undefined) {
          throw usageError(`--with-token and --${other} do not go together`);
        }
      }
      const settings = {
        issuer: stringValue(v, "issuer"),
        clientId: stringValue(v, "client-id"),
        scope: stringValue(v, "scope"),
        audience: stringValue(v, "audience"),
      };
      if (Object.values(settings).some((value) => value !== undefined)) {
        await saveProfile(ctx.profile ?? (await new Auth({}).status()).profile, settings);
      }
      return await saveProfileToken(ctx, stringList(v, "api"), "login --with-token");
    }
    const flow = choiceValue(v, "flow", FLOWS);
    const store = choiceValue(v, "store", STORES);
    const timeout = secondsValue(v, "timeout") ?? DEFAULT_TIMEOUT;
    const api = stringList(v, "api");
    const secretFromStdin = v["client-secret-stdin"] === true;
    const passwordFromStdin = v["password-stdin"] === true;
    if (secretFromStdin && passwordFromStdin) {
      throw usageError("--client-secret-stdin and --password-stdin cannot both read stdin");
    }
    if (passwordFromStdin && flow !== "password") {
      throw usageError("--password-stdin needs --flow password");
    }
    const { out } = ctx;

    const prompter = loginPrompter(out);
    const options: AuthOptions = {
      profile: ctx.profile,
      issuer: stringValue(v, "issuer"),
      clientId: stringValue(v, "client-id"),
      scope: stringValue(v, "scope"),
      audience: stringValue(v, "audience"),
      apiOrigins: api.length ? api : undefined,
      store,
      onPrompt: prompter.onPrompt,
    };
    if (secretFromStdin) options.clientSecret = await readSecret("client secret", out);
    if (v.dpop === true || v["require-dpop"] === true) {
      options.dpop = v["require-dpop"] === true ? "required" : true;
    }
    const clientKey = stringValue(v, "client-key");
    if (clientKey !== undefined) options.clientKey = clientKey;
    if (v["client-key-id"] !== undefined && clientKey === undefined) {
      throw usageError("--client-key-id needs --client-key");
    }
    const clientKeyId = stringValue(v, "client-key-id");
    if (clientKeyId !== undefined) options.clientKeyId = clientKeyId;

    // Refused before the store is settled: `auto` would probe the keychain for nothing. The
    // settings are read without the store; only when they lack something is a credential looked for.
    const planned = await new Auth({ ...options, store: "memory" }).status();
    const incomplete = !planned.issuer || !planned.clientId;
    if (incomplete && !(await new Auth(options).status()).loggedIn) {
      throw new AuthError("CONFIG_INVALID", "Cannot log in: an issuer and a client id are needed", {
        hint: "pass --issuer and --client-id (or set LATCHKEY_ISSUER and LATCHKEY_CLIENT_ID)",
      });
    }
    // Settle `auto` first, so the credential lands in the store the profile records.
    const concrete = await new Auth(options).loginStore();
    const auth = new Auth({ ...options, store: concrete });
    const before = await auth.status();
    const saved = await auth.storedCredential();
    const config = await readConfig();
    const savedIssuer = config.profiles[before.profile]?.issuer;
    const flag = ctx.profile === undefined ? "" : ` --profile ${ctx.profile}`;
    if (
      v.force !== true && saved && savedIssuer && before.issuer &&
      trimSlash(savedIssuer) !== trimSlash(before.issuer)
    ) {
      // A login elsewhere would silently end this one: say how to replace it, or keep both.
      throw usageError(
        `profile "${before.profile}" is logged in to ${savedIssuer}, not ${before.issuer}`,
        `\`latchkey${flag} login --force …\` replaces that login; \`latchkey --profile NEW login …\` keeps both`,
      );
    }
    if (v.force !== true && stillValid(saved, before.issuer)) {
      const known = config.profiles[before.profile]?.apiOrigins ?? [];
      const added = before.apiOrigins.filter((origin) => !known.includes(origin));
      if (api.length && added.length) {
        // `login --api ORIGIN` on a logged-in profile adds the origin, without a new sign-in.
        await saveProfile(before.profile, { apiOrigins: [...known, ...added] });
        out.info(`Added ${added.join(", ")} to the API origins of profile "${before.profile}"`);
        if (ctx.json) out.json(await auth.status());
        return 0;
      }
      const subject = saved?.subject;
      const who = subject ? ` as ${subject}` : "";
      const expiresIn = saved?.expiresIn();
      const left = expiresIn === undefined ? "" : `, token valid for ${formatDuration(expiresIn)}`;
      out.info(
        `Already logged in to profile "${before.profile}"${who}${left}; nothing to do (use --force to log in again)`,
      );
      if (ctx.json) out.json(before);
      return 0;
    }

    let username: string | undefined;
    let password: string | undefined;
    if (flow === "password") {
      username = stringValue(v, "username") ??
        await readLine("Username: ", out, "give it with --username U");
      password = passwordFromStdin
        ? (await readStdinText()).replace(/\r?\n$/, "")
        : await readHidden("Password: ", out);
      if (!username || !password) {
        throw usageError("the password flow needs a user name and a password");
      }
    }

    out.debug(`logging in to profile "${before.profile}" with the ${flow ?? "default"} flow`);
    let status: AuthStatus;
    try {
      status = await auth.login({
        flow,
        force: true, // the check above already looked for a valid credential
        timeout,
        signal: ctx.signal,
        openBrowser: v["no-browser"] !== true,
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
      });
    } finally {
      prompter.stop();
    }

    await saveProfile(status.profile, {
      issuer: status.issuer ?? undefined,
      clientId: status.clientId ?? undefined,
      scope: stringValue(v, "scope"),
      audience: stringValue(v, "audience"),
      apiOrigins: api.length ? status.apiOrigins : undefined,
      store: concrete,
      dpop: options.dpop,
    });
    const who = status.subject ? ` as ${status.subject}` : "";
    out.info(
      out.green("✓") +
        ` Logged in to ${status.issuer}${who} (profile "${status.profile}", ${concrete} store)`,
    );
    if (config.default === undefined && status.profile !== "default") {
      // The first named login, with no default set and no "default" profile in use, becomes the
      // default, so the next command without --profile uses it (as gh's first login does).
      if (!config.profiles.default) {
        await setDefaultProfile(status.profile);
        out.info(
          `Profile "${status.profile}" is now the default (\`latchkey profiles use NAME\` switches)`,
        );
      }
    }
    if (status.apiOrigins.length === 0) {
      out.warn("the profile has no API origins: nothing will receive its token (add --api ORIGIN)");
    }
    if (ctx.json) out.json(status);
    return 0;
  },
};
