// A stand-in for `latchkey` built on the library alone, used by the real-part tests when
// cli.ts is not there (or LATCHKEY_REAL_DRIVER=library): `login`, `token`, `status --json`
// and `logout`, with the CLI's flags and exit codes (0 ok, 1 login required, 3 other).
import { parseArgs } from "node:util";
import { Auth, AuthError, type LoginFlow, saveProfile, type StoreName } from "../../mod.ts";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    issuer: { type: "string" },
    "client-id": { type: "string" },
    scope: { type: "string" },
    api: { type: "string", multiple: true },
    flow: { type: "string" },
    store: { type: "string" },
    timeout: { type: "string" },
    "no-browser": { type: "boolean" },
    force: { type: "boolean" },
    json: { type: "boolean" },
    profile: { type: "string" },
  },
});

const options = {
  profile: values.profile,
  issuer: values.issuer,
  clientId: values["client-id"],
  scope: values.scope,
  apiOrigins: values.api,
  store: values.store as StoreName | undefined,
  dotenv: false as const,
};

try {
  switch (positionals[0]) {
    case "login": {
      const store = await new Auth(options).loginStore();
      const auth = new Auth({ ...options, store });
      const status = await auth.login({
        flow: values.flow as LoginFlow | undefined,
        force: values.force === true,
        timeout: Number(values.timeout ?? 60),
        openBrowser: values["no-browser"] !== true,
      });
      // Like the CLI: the profile records the settled store, so later commands read from it.
      await saveProfile(status.profile, {
        issuer: status.issuer ?? undefined,
        clientId: status.clientId ?? undefined,
        scope: values.scope,
        apiOrigins: status.apiOrigins.length ? status.apiOrigins : undefined,
        store,
      });
      console.error(`Logged in to ${status.issuer} as ${status.subject} (${store} store)`);
      break;
    }
    case "token":
      console.log(await new Auth(options).token());
      break;
    case "status": {
      const status = await new Auth(options).status();
      console.log(JSON.stringify(status));
      Deno.exitCode = status.loggedIn ? 0 : 1;
      break;
    }
    case "logout": {
      const result = await new Auth(options).logout();
      if (result.warning) console.error(`warning: ${result.warning}`);
      break;
    }
    default:
      console.error(`unknown command: ${positionals[0]}`);
      Deno.exitCode = 2;
  }
} catch (error) {
  const code = error instanceof AuthError ? error.code : "ERROR";
  const hint = error instanceof AuthError && error.hint ? `\nhint: ${error.hint}` : "";
  console.error(`error [${code}]: ${error instanceof Error ? error.message : error}${hint}`);
  Deno.exitCode = code === "LOGIN_REQUIRED" ? 1 : 3;
}
