// One test per exit code of the contract: 0 ok · 1 login required / denied / expired / HTTP error
// status · 2 usage or bad input · 3 provider or network failure · 130 interrupted.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { loggedInHome, runCli, show, spawnCli, tokenSecrets } from "./helpers.ts";
import { makeHome } from "../support/home.ts";

Deno.test("exit 0: status with a usable credential", async () => {
  await using provider = await startMockProvider();
  const { home } = await loggedInHome(provider);
  await using _ = home;
  const result = await runCli(home, ["status", "-q"]);
  assertEquals(result.code, 0, show(result));
});

Deno.test("exit 1: token without any credential says to log in", async () => {
  await using home = await makeHome();
  const result = await runCli(home, ["token"]);
  assertEquals(result.code, 1, show(result));
  assertEquals(result.stdout, "");
  assertStringIncludes(result.stderr, "latchkey login");
});

Deno.test("exit 1: a denied device login", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.2 });
  await using home = await makeHome();
  const cli = spawnCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--store",
    "file",
    "--no-browser",
  ]);
  const [, code] = await cli.waitFor(/enter the code: (\S+)/);
  provider.denyDevice(code!);
  const result = await cli.finish();
  assertEquals(result.code, 1, show(result));
  assertStringIncludes(result.stderr, "access denied");
  assertStringIncludes(result.stderr, "the sign-in was refused at the provider");
});

Deno.test("exit 1: fetch gets an HTTP error status (the body still goes to stdout)", async () => {
  await using provider = await startMockProvider();
  const { home, tokens } = await loggedInHome(provider);
  await using _ = home;
  provider.inject({ path: "/api/missing", status: 404, body: '{"error":"not_found"}' });
  const result = await runCli(home, ["fetch", "/api/missing"], { secrets: tokenSecrets(tokens) });
  assertEquals(result.code, 1, show(result));
  assertEquals(JSON.parse(result.stdout), { error: "not_found" });
  assertStringIncludes(result.stderr, "HTTP 404");
});

Deno.test("exit 2: a bad input file is refused before anything is sent", async () => {
  await using home = await makeHome();
  await Deno.writeTextFile(`${home.cwd}/bad.json`, "{ not json", { mode: 0o600 });
  const result = await runCli(home, ["refresh", "--token-file", "bad.json"]);
  assertEquals(result.code, 2, show(result));
  assertStringIncludes(result.stderr, 'Cannot read token file "');
  assertStringIncludes(result.stderr, "not valid JSON");
});

Deno.test("exit 3: the provider fails the refresh", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const tokens = await provider.issueTokens({ clientId: "latchkey-cli" });
  await Deno.writeTextFile(
    `${home.cwd}/t.json`,
    JSON.stringify({ refresh_token: tokens.refresh_token }),
    {
      mode: 0o600,
    },
  );
  provider.inject({ path: "/token", status: 400, body: '{"error":"server_error"}' });
  const result = await runCli(home, [
    "refresh",
    "--token-file",
    "t.json",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
  ], { secrets: tokenSecrets(tokens) });
  assertEquals(result.code, 3, show(result));
  assertStringIncludes(result.stderr, "server_error");
});

Deno.test("exit 130: Ctrl-C during a device login aborts it cleanly and saves nothing", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.2 });
  await using home = await makeHome();
  const cli = spawnCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--store",
    "file",
    "--no-browser",
  ]);
  await cli.waitFor(/enter the code: /);
  cli.kill("SIGINT");
  const result = await cli.finish();
  assertEquals(result.code, 130, show(result));
  assertStringIncludes(result.stderr, "interrupted");
  const saved = await Deno.stat(`${home.config}/latchkey/credentials/default.json`).catch(() =>
    undefined
  );
  assert(saved === undefined, "no credential was saved");
});

Deno.test("a malformed token: exit 2 from the environment, 3 from the provider, 1 from the store", async () => {
  await using provider = await startMockProvider();
  const { home, tokens, credentialPath } = await loggedInHome(provider, { ttl: 600 });
  await using _ = home;
  const secrets = tokenSecrets(tokens);
  const input = await runCli(home, ["token"], { env: { LATCHKEY_TOKEN: "abc\tdef" }, secrets });
  assertEquals(input.code, 2, show(input));
  // the provider answers a refresh with a token that cannot go in a header
  provider.inject({
    path: "/token",
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ access_token: "bad\ntoken", token_type: "Bearer", expires_in: 60 }),
  });
  const saved = JSON.parse(await Deno.readTextFile(credentialPath));
  const expired = { ...saved, expires_at: Math.floor(Date.now() / 1000) - 10 };
  await Deno.writeTextFile(credentialPath, JSON.stringify(expired)); // so it must be renewed
  const fromProvider = await runCli(home, ["token"], { secrets });
  assertEquals(fromProvider.code, 3, show(fromProvider));
  assertStringIncludes(fromProvider.stderr, "the provider's token response");
  provider.clearFaults();
  // a credential file edited by hand
  await Deno.writeTextFile(credentialPath, JSON.stringify({ ...saved, access_token: "a b" }));
  const fromStore = await runCli(home, ["token"], { secrets });
  assertEquals(fromStore.code, 1, show(fromStore));
  assertStringIncludes(fromStore.stderr, "log in again");
});
