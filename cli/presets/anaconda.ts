/**
 * `--preset anaconda`: `login` is anaconda-cloud-auth's (a browser login, or
 * with `--basic` the deprecated password flow), keeping the API key where
 * the Python client looks; `token` prints the key, `status` says where it
 * rests and until when, `logout` removes it.
 *
 * @module
 */

import { LoginRequiredError, Secret, TokenExpiredError } from "../../mod.ts";
import { anaconda } from "../../presets.ts";
import { choiceValue, secondsValue, stringValue, usageError, type Values } from "../args.ts";
import type { Context } from "../command.ts";
import type { PresetHandlers } from "./types.ts";
import { loginPrompter } from "../prompt.ts";
import { readHidden, readLine, readStdinText } from "../stdin.ts";
import { printStatus, printToken } from "./common.ts";

/** `--store` as anaconda's keyring: `auto` (keychain, else the file), `keyring` or `file`. */
function keyringOf(v: Values): anaconda.Keyring {
  const store = choiceValue(v, "store", ["auto", "keyring", "file"] as const);
  if (store === "file") return new anaconda.FileKeyring();
  if (store === "keyring") return new anaconda.SystemKeyring();
  return new anaconda.AutoKeyring();
}

async function status(ctx: Context, domain: string | undefined, keyring: anaconda.Keyring) {
  const config = await anaconda.loadConfig({ domain });
  const info = await anaconda.loadTokenInfo({ domain, keyring });
  const inKeychain = keyring.name === "keyring";
  return printStatus(ctx, "anaconda", {
    domain: config.authDomain,
    apiDomain: config.apiDomain,
  }, {
    source: info ? (inKeychain ? "keyring" : "file") : "none",
    path: info && !inKeychain ? keyring.name : null,
    loggedIn: info !== undefined && !info.expired,
    expiresAt: info?.expiresAt,
    scope: null,
    subject: info?.username ?? null,
    refreshable: false,
  });
}

/** The handlers of `--preset anaconda`. */
export const handlers: PresetHandlers = {
  login: {
    options: [
      "domain",
      "force",
      "basic",
      "username",
      "password-stdin",
      "timeout",
      "no-browser",
      "store",
    ],
    async run(ctx, args) {
      const v = args.values;
      const { out } = ctx;
      const domain = stringValue(v, "domain");
      const basic = v.basic === true;
      if (!basic && (v.username !== undefined || v["password-stdin"] !== undefined)) {
        throw usageError("--username and --password-stdin need --basic");
      }
      const timeout = secondsValue(v, "timeout");
      const keyring = keyringOf(v);
      if (v.force !== true) {
        const current = await anaconda.loadTokenInfo({ domain, keyring }).catch(() => undefined);
        if (current && !current.expired) {
          const who = current.username ? ` as ${current.username}` : "";
          out.info(
            `Already logged in to ${current.domain}${who}; nothing to do (use --force to log in again)`,
          );
          return ctx.json ? await status(ctx, domain, keyring) : 0;
        }
      }
      let username: string | undefined;
      let password: Secret | undefined;
      if (basic) {
        username = stringValue(v, "username") ?? await readLine("Please enter your email: ", out);
        password = new Secret(
          v["password-stdin"] === true
            ? await readStdinText()
            : await readHidden("Please enter your password: ", out),
        );
        if (!username || !password.reveal()) {
          throw usageError("the password login needs an email and a password");
        }
      }
      const prompter = loginPrompter(out);
      try {
        await anaconda.login({
          domain,
          force: true, // the check above already looked for a valid key
          basic,
          username,
          password,
          keyring,
          timeout,
          openBrowser: v["no-browser"] !== true,
          onPrompt: prompter.onPrompt,
          signal: ctx.signal,
        });
      } finally {
        prompter.stop();
      }
      const where = keyring.name === "keyring" ? "the keyring" : `"${keyring.name}"`;
      out.info(out.green("✓") + ` Logged in to Anaconda; the API key is in ${where}`);
      return ctx.json ? await status(ctx, domain, keyring) : 0;
    },
  },
  token: {
    options: ["domain"],
    async run(ctx, args) {
      const domain = stringValue(args.values, "domain");
      const info = await anaconda.loadTokenInfo({ domain, keyring: new anaconda.AutoKeyring() });
      const hint = "run `latchkey login --preset anaconda`";
      if (!info) throw new LoginRequiredError("No Anaconda API key is saved", { hint });
      if (info.expired) {
        throw new TokenExpiredError(`The Anaconda API key of ${info.domain} has expired`, { hint });
      }
      return printToken(ctx, info.apiKey, { expiresAt: info.expiresAt });
    },
  },
  status: {
    options: ["domain"],
    run: (ctx, args) => status(ctx, stringValue(args.values, "domain"), new anaconda.AutoKeyring()),
  },
  logout: {
    options: ["domain"],
    async run(ctx, args) {
      const domain = stringValue(args.values, "domain");
      const config = await anaconda.loadConfig({ domain });
      const removed = await anaconda.logout({ domain, keyring: new anaconda.AutoKeyring() });
      ctx.out.info(
        removed
          ? `Logged out of Anaconda (${config.authDomain}): the API key is removed`
          : `No Anaconda API key for ${config.authDomain}; nothing to do`,
      );
      return 0;
    },
  },
};
