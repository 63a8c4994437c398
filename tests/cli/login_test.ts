// End-to-end logins through the CLI against the mock provider: device, browser, client
// credentials (environment and stdin) and password (stdin and a terminal without echo).
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { partsPresent, SCRIPT } from "../real/helpers.ts";
import { assertArgvClean, DENO, ROOT, runCli, show, spawnCli } from "./helpers.ts";
import { makeHome } from "../support/home.ts";
import { inTerminal } from "../support/terminal.ts";
import { canary } from "../support/canary.ts";

const SCOPE = "openid profile offline_access";

function totalTokenRequests(counts: { token: Record<string, number> }): number {
  return Object.values(counts.token).reduce((a, b) => a + b, 0);
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("login --flow device shows the code, waits for approval, saves profile and credential; a second login does nothing", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.2 });
  await using home = await makeHome();
  const cli = spawnCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--scope",
    SCOPE,
    "--api",
    provider.issuer,
    "--store",
    "file",
    "--no-browser",
    "--json",
    "-v",
  ]);
  const [, code] = await cli.waitFor(/enter the code: (\S+)/);
  provider.approveDevice(code!);
  const credentialPath = `${home.config}/latchkey/credentials/default.json`;
  const result = await cli.finish();
  assertEquals(result.code, 0, show(result));
  const status = JSON.parse(result.stdout);
  assertEquals(status.loggedIn, true);
  assertEquals(status.subject, "user-alice");
  assertEquals(status.source, "file");
  assertEquals(status.path, credentialPath);
  assertStringIncludes(result.stderr, "Logged in to");

  const config = await readJson(`${home.config}/latchkey/config.json`);
  assertEquals((config.profiles as Record<string, unknown>).default, {
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    scope: SCOPE,
    apiOrigins: [provider.issuer],
    store: "file",
  });
  assertEquals((await Deno.stat(credentialPath)).mode! & 0o777, 0o600);
  assertEquals((await Deno.stat(`${home.config}/latchkey/config.json`)).mode! & 0o777, 0o600);
  const saved = await readJson(credentialPath);
  for (const secret of [saved.access_token, saved.refresh_token] as string[]) {
    assert(!result.stderr.includes(secret), "a token on stderr");
  }

  const tokensBefore = totalTokenRequests(provider.counts);
  const devicesBefore = provider.counts.device;
  const again = await runCli(home, ["login", "-v"], {
    secrets: [saved.refresh_token as string, saved.access_token as string],
  });
  assertEquals(again.code, 0, show(again));
  assertStringIncludes(again.stderr, "Already logged in");
  assertStringIncludes(again.stderr, "--force");
  assertEquals(totalTokenRequests(provider.counts), tokensBefore, "no second token request");
  assertEquals(provider.counts.device, devicesBefore, "no second device authorization");
});

Deno.test("login --flow browser opens $BROWSER through the opener and completes the loopback redirect", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const browser = `${home.dir}/browser.sh`;
  await Deno.writeTextFile(
    browser,
    `#!/bin/sh\nexec "${DENO}" run -q --allow-net "${ROOT}tests/cli/browser_fixture.ts" "$1"\n`,
    { mode: 0o755 },
  );
  const result = await runCli(home, [
    "login",
    "--flow",
    "browser",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--scope",
    SCOPE,
    "--api",
    provider.issuer,
    "--store",
    "file",
    "--timeout",
    "30",
    "--json",
  ], { env: { BROWSER: browser } });
  assertEquals(result.code, 0, show(result));
  assertStringIncludes(
    result.stderr,
    `open this URL in a browser:\n  ${provider.issuer}/authorize?`,
  );
  assertEquals(JSON.parse(result.stdout).subject, "user-alice");
  assertEquals(provider.counts.token.authorization_code, 1);
});

Deno.test("login with client credentials from LATCHKEY_CLIENT_SECRET, then token and fetch use it", async () => {
  const secret = canary("client-secret");
  await using provider = await startMockProvider({
    clients: [{
      clientId: "svc",
      clientSecret: secret,
      grants: ["client_credentials"],
      scope: "api",
    }],
  });
  await using home = await makeHome();
  const env = { LATCHKEY_CLIENT_SECRET: secret };
  const login = await runCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "svc",
    "--api",
    provider.issuer,
    "--store",
    "file",
    "--json",
  ], { env, secrets: [secret] });
  assertEquals(login.code, 0, show(login));
  const status = JSON.parse(login.stdout);
  assertEquals(status.source, "file", "the login is kept in the profile's store");
  assertEquals([status.loggedIn, status.refreshable], [true, true]);
  assertEquals(status.subject, "svc");
  assertEquals(provider.counts.token.client_credentials, 1);

  const [token, fetched] = await Promise.all([
    runCli(home, ["token", "-v"], { env, secrets: [secret] }),
    runCli(home, ["fetch", "-v", "/api/whoami"], { env, secrets: [secret] }),
  ]);
  assertEquals(token.code, 0, show(token));
  assert(/^ey[\w-]+\.[\w-]+\.[\w-]+\n$/.test(token.stdout), show(token));
  assertEquals(fetched.code, 0, show(fetched));
  assertEquals(JSON.parse(fetched.stdout).sub, "svc");
  assertEquals(provider.counts.token.client_credentials, 1, "the cached token was reused");
});

Deno.test("login --client-secret-stdin reads the secret from stdin, never from argv", async () => {
  const secret = canary("client-secret");
  await using provider = await startMockProvider({
    clients: [{
      clientId: "svc",
      clientSecret: secret,
      grants: ["client_credentials"],
      scope: "api",
    }],
  });
  await using home = await makeHome();
  const cli = spawnCli(home, [
    "login",
    "--client-secret-stdin",
    "--issuer",
    provider.issuer,
    "--client-id",
    "svc",
    "--store",
    "file",
  ], { interactive: true, secrets: [secret] });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertArgvClean(cli.pid, [secret]);
  await cli.write(secret + "\n");
  await cli.closeStdin();
  const result = await cli.finish();
  assertEquals(result.code, 0, show(result));
  assertEquals(provider.counts.token.client_credentials, 1);
});

Deno.test("login --flow password reads the password from stdin, and from a terminal without echo", async () => {
  const password = canary("password");
  await using provider = await startMockProvider({
    users: [{ username: "carol", password, sub: "user-carol" }],
  });
  await using home = await makeHome();
  const args = [
    "login",
    "--flow",
    "password",
    "--username",
    "carol",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--store",
    "file",
  ];
  const piped = await runCli(home, [...args, "--password-stdin", "--json"], {
    stdin: password + "\n",
    secrets: [password],
  });
  assertEquals(piped.code, 0, show(piped));
  assertEquals(JSON.parse(piped.stdout).subject, "user-carol");
  assertStringIncludes(piped.stderr, "deprecated");

  // A pseudo terminal (util-linux `script`): the password is typed after the prompt, echo off.
  if (!partsPresent("login --flow password on a terminal", SCRIPT)) return;
  const cli = spawnCli(home, [...args, "--force"], {
    interactive: true,
    secrets: [password],
    env: { SHELL: "/bin/sh", TERM: "dumb" },
    wrap: inTerminal,
  });
  await cli.waitFor(/Password: /);
  await cli.write(password + "\r");
  const typed = await cli.finish();
  assertEquals(typed.code, 0, show(typed));
  assertStringIncludes(typed.stderr, "Logged in to");
  assertEquals(provider.counts.token.password, 2);
});
