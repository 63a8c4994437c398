// Journeys of the README's "Use it in a batch job or on a server", "The CLI" and "Stores"
// sections, replayed as their users walk them: one `cli.ts` process per step, under the binary's
// exact permission flags (tests/cli/helpers.ts), a fresh HOME, and only the environment that
// step would have — the client secret at login, none afterwards.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { runCli, show } from "../cli/helpers.ts";
import { programs, realTest, startSecretService } from "../real/helpers.ts";
import { realHome, serviceLogin } from "./steps.ts";
import { type Home, makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

/** A provider with one confidential service client whose secret is a canary. */
async function serviceProvider(secret: string, accessTokenTtl = 2) {
  return await startMockProvider({
    accessTokenTtl,
    clients: [{
      clientId: "svc",
      clientSecret: secret,
      grants: ["client_credentials"],
      scope: "api",
    }],
  });
}

/**
 * The journey: log a service in with its secret in the environment, then — in new processes
 * without it — `status --json`, `token` (after the first token expired) and `fetch`.
 */
async function serviceLoginLasts(
  home: Home,
  store: "file" | "keyring",
  env: Record<string, string> = {},
): Promise<void> {
  const secret = canary("client-secret");
  await using provider = await serviceProvider(secret);
  const secrets = [secret];
  const login = await serviceLogin(home, provider.issuer, secret, store, env, secrets);
  assertEquals(login.code, 0, show(login));

  // A new process, and the secret is gone from the environment.
  const status = await runCli(home, ["status", "--json"], { env, secrets });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals([s.loggedIn, s.refreshable, s.source, s.clientId], [true, true, store, "svc"]);

  await new Promise((resolve) => setTimeout(resolve, 2_100)); // the first token has expired
  const token = await runCli(home, ["token"], { env, secrets });
  assertEquals(token.code, 0, show(token));
  assert(/^ey[\w-]+\.[\w-]+\.[\w-]+\n$/.test(token.stdout), show(token));
  assertEquals(provider.counts.token.client_credentials, 2, "renewed unattended after expiry");

  const fetched = await runCli(home, ["fetch", "/api/whoami"], { env, secrets });
  assertEquals(fetched.code, 0, show(fetched));
  assertEquals(JSON.parse(fetched.stdout).sub, "svc");

  const logout = await runCli(home, ["logout"], { env, secrets });
  assertEquals(logout.code, 0, show(logout));
  const after = await runCli(home, ["status", "--json"], { env, secrets });
  assertEquals([after.code, JSON.parse(after.stdout).loggedIn], [1, false], show(after));
}

Deno.test("README batch job / The CLI: a service login lasts in later processes without the secret (file store)", async () => {
  await using home = await makeHome();
  await serviceLoginLasts(home, "file");
  // Nothing Latchkey wrote is readable by others.
  for await (const entry of Deno.readDir(`${home.config}/latchkey/credentials`)) {
    const mode = (await Deno.stat(`${home.config}/latchkey/credentials/${entry.name}`)).mode!;
    assertEquals(mode & 0o077, 0, `${entry.name} is 0${(mode & 0o777).toString(8)}`);
  }
});

realTest(
  "README Stores: a service login lasts in later processes without the secret (keyring store, Secret Service)",
  [programs("dbus-run-session", "gnome-keyring-daemon", "secret-tool")],
  120_000,
  async () => {
    await using home = await makeHome();
    await using service = await startSecretService(realHome(home));
    await serviceLoginLasts(home, "keyring", {
      DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS!,
    });
    // The keychain holds the credential, not a file.
    const files = await Array.fromAsync(
      Deno.readDir(`${home.config}/latchkey/credentials`),
    ).catch(() => []);
    assertEquals(files.filter((f) => f.name.endsWith(".json")), []);
  },
);

Deno.test("README batch job: cron's bare environment refreshes a token file in place", async () => {
  await using provider = await startMockProvider({});
  await using home = await makeHome();
  const tokens = await provider.issueTokens({
    username: "alice",
    clientId: "latchkey-cli",
    scope: "openid offline_access",
  });
  const file = `${home.cwd}/job-token.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ ...tokens, issuer: provider.issuer, client_id: "latchkey-cli" }),
    { mode: 0o600 },
  );
  const secrets = [tokens.refresh_token!, tokens.access_token];
  // cron gives HOME, PATH, SHELL and LOGNAME, nothing of the user's login shell.
  const bare = { SHELL: "/bin/sh", LOGNAME: "batch" };
  const ran = await runCli(home, ["refresh", "--token-file", file, "--in-place"], {
    env: bare,
    secrets,
  });
  assertEquals(ran.code, 0, show(ran));
  const rewritten = JSON.parse(await Deno.readTextFile(file));
  assert(rewritten.refresh_token && rewritten.refresh_token !== tokens.refresh_token, "rotated");
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
  assertEquals(provider.counts.token.refresh_token, 1);
});
