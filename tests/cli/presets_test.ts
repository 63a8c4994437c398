// `--preset NAME` on login, token, status and logout, end to end through the CLI in a subprocess
// with the task's permission flags and an isolated HOME: one session per preset, against Hono
// fakes of the services (and the mock provider for anaconda's sign-in), plus the usage errors.
import { Hono } from "hono";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { writeFakeSecretTool } from "../presets/fake_secret_tool.ts";
import { partTest, SCRIPT } from "../real/helpers.ts";
import { runCli, show, spawnCli } from "./helpers.ts";
import { serve } from "../support/server.ts";
import { fakeJwt } from "../support/jwt.ts";
import { type Home, makeHome } from "../support/home.ts";
import { onTerminal, shellLine } from "../support/terminal.ts";
import { canary } from "../support/canary.ts";
import { modeOf } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

const LINUX = Deno.build.os === "linux";

/** A shell that runs the CLI as `… > FILE` with the usual umask (022), as a batch job would. */
function redirectTo(file: string): (command: string[]) => string[] {
  return (command) => ["sh", "-c", `umask 022; exec "$@" > '${file}'`, "sh", ...command];
}

// ---------------------------------------------------------------------------------------------
// freva

const FREVA_AUTH = "/api/freva-nextgen/auth/v2";

/** A fake of freva's documented refresh endpoint: a form POST of `refresh-token`. */
function frevaServer(validRefreshToken: string) {
  const forms: Record<string, string>[] = [];
  const issued: Record<string, unknown>[] = [];
  const valid = new Set([validRefreshToken]);
  const app = new Hono();
  app.post(`${FREVA_AUTH}/device`, (c) =>
    c.json({
      device_code: "dc-1",
      user_code: "ABCD-EFGH",
      verification_uri: "https://freva.example.org/device",
      expires_in: 600,
      interval: 0.05,
    }));
  app.post(`${FREVA_AUTH}/token`, async (c) => {
    const form: Record<string, string> = {};
    for (const [k, v] of await c.req.formData()) form[k] = String(v);
    forms.push(form);
    const refresh = form["refresh-token"];
    const approved = form["device-code"] === "dc-1"; // approved at the first poll
    if (!approved && (refresh === undefined || !valid.delete(refresh))) {
      return c.json({ detail: "Invalid refresh token" }, 401);
    }
    const token = {
      access_token: fakeJwt({ sub: "u-1", preferred_username: "janedoe", n: issued.length }),
      token_type: "Bearer",
      expires: nowSeconds() + 300,
      refresh_token: canary("freva-rt-new"),
      refresh_expires: nowSeconds() + 86400,
      scope: "openid profile",
    };
    issued.push(token);
    valid.add(token.refresh_token);
    return c.json(token);
  });
  return Object.assign(serve(app.fetch), { forms, issued });
}

Deno.test("login --preset freva --token-file old.json > new.json: the token JSON alone, new file 0600, host saved", async () => {
  await using home = await makeHome();
  const oldRefresh = canary("freva-rt-old");
  await using freva = frevaServer(oldRefresh);
  // `freva-client auth > ~/.freva-login-token.json` as a shell leaves it: 0644, access expired
  await Deno.writeTextFile(
    `${home.cwd}/old.json`,
    JSON.stringify({
      access_token: "expired-access",
      token_type: "Bearer",
      expires: nowSeconds() - 10,
      refresh_token: oldRefresh,
      refresh_expires: nowSeconds() + 3600,
      scope: "openid profile",
    }),
    { mode: 0o644 },
  );
  const login = await runCli(home, [
    "login",
    "--preset",
    "freva",
    "--host",
    freva.url,
    "--token-file",
    "old.json",
  ], { wrap: redirectTo("new.json"), secrets: [oldRefresh] });
  assertEquals(login.code, 0, show(login));
  assertEquals(freva.forms, [{ "refresh-token": oldRefresh }]);
  const written = await Deno.readTextFile(`${home.cwd}/new.json`);
  assertEquals(
    JSON.parse(written),
    freva.issued[0],
    "stdout holds the token JSON and nothing else",
  );
  assertEquals(await modeOf(`${home.cwd}/new.json`), 0o600);
  assert(!login.stderr.includes(String(freva.issued[0]!.refresh_token)), show(login));
  // freva writes the token back to the token file and to its default file, both 0600
  assertEquals(await modeOf(`${home.cwd}/old.json`), 0o600);
  assertEquals(await modeOf(`${home.dir}/.cache/freva/auth-token.json`), 0o600);
  const config = JSON.parse(await Deno.readTextFile(`${home.config}/latchkey/config.json`));
  assertEquals(config.profiles.freva, { preset: "freva", host: freva.url });

  // The next job: no --host (the profile's), the new file, a valid token: no request.
  const newSecrets = [String(freva.issued[0]!.refresh_token)];
  const token = await runCli(home, ["token", "--preset", "freva", "--token-file", "new.json"], {
    secrets: newSecrets,
    stdoutMayHoldSecrets: true,
  });
  assertEquals(token.code, 0, show(token));
  assertEquals(token.stdout, `${freva.issued[0]!.access_token}\n`);
  assertEquals(freva.forms.length, 1);

  const status = await runCli(home, [
    "status",
    "--preset",
    "freva",
    "--token-file",
    "new.json",
    "--json",
  ], {
    secrets: [...newSecrets, String(freva.issued[0]!.access_token)],
  });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals(s.preset, "freva");
  assertEquals(s.host, freva.url);
  assertEquals([s.source, s.path, s.loggedIn, s.refreshable], ["file", "new.json", true, true]);
  assertEquals(s.subject, "janedoe");
  assert(s.expiresIn > 200 && s.expiresIn <= 300, status.stdout);
});

Deno.test("status --preset freva reads an expiry written as a digit string, as authenticate does", async () => {
  await using home = await makeHome();
  const access = canary("freva-at-stringly");
  const expires = String(Math.floor(Date.now() / 1000) + 300);
  await Deno.writeTextFile(`${home.cwd}/s.json`, JSON.stringify({ access_token: access, expires }));
  await Deno.chmod(`${home.cwd}/s.json`, 0o600);
  const status = await runCli(home, [
    "status",
    "--preset",
    "freva",
    "--token-file",
    "s.json",
    "--host",
    "https://freva.example.org",
    "--json",
  ], { secrets: [access] });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals([s.loggedIn, s.refreshable], [true, false], status.stdout);
  assert(s.expiresIn > 200 && s.expiresIn <= 300, status.stdout);
});

Deno.test("login --preset freva without a usable token and without a terminal exits 1, message on stderr", async () => {
  await using home = await makeHome();
  await using freva = frevaServer(canary("unused"));
  const result = await runCli(home, ["login", "--preset", "freva", "--host", freva.url]);
  assertEquals(result.code, 1, show(result));
  assertEquals(result.stdout, "");
  assertStringIncludes(result.stderr, "no valid token found");
  assertEquals(freva.forms, []);
  const noHost = await runCli(home, ["--profile", "elsewhere", "login", "--preset", "freva"]);
  assertEquals(noHost.code, 2, show(noHost));
  assertStringIncludes(noHost.stderr, "no freva host");
});

partTest({
  name:
    "login --preset freva on a terminal with stdout redirected: the device login on the terminal, the token JSON in the file",
  needs: [SCRIPT],
  async fn() {
    await using home = await makeHome();
    await using freva = frevaServer(canary("unused"));
    const result = await spawnCli(home, [
      "login",
      "--preset",
      "freva",
      "--host",
      freva.url,
      "--no-browser",
      "--timeout",
      "0",
    ], {
      interactive: true,
      env: { SHELL: "/bin/sh", TERM: "dumb" },
      wrap: (command) => onTerminal(`umask 022; ${shellLine(command)} > new.json`),
    }).finish();
    assertEquals(result.code, 0, show(result));
    assertStringIncludes(result.stderr, "ABCD-EFGH");
    assertEquals(freva.forms, [{ "device-code": "dc-1" }]);
    assertEquals(JSON.parse(await Deno.readTextFile(`${home.cwd}/new.json`)), freva.issued[0]);
    assertEquals(await modeOf(`${home.cwd}/new.json`), 0o600);
  },
});

// ---------------------------------------------------------------------------------------------
// cave, chunkedgraph

Deno.test("login --preset cave shows the steps and saves the token from stdin; token --preset cave prints it", async () => {
  await using home = await makeHome();
  const first = canary("cave");
  const login = await runCli(home, ["login", "--preset", "cave"], {
    stdin: `${first}\n`,
    secrets: [first],
  });
  assertEquals(login.code, 0, show(login));
  assertEquals(login.stdout, "");
  assertStringIncludes(login.stderr, "https://global.daf-apis.com/auth/api/v1/create_token");
  assertStringIncludes(login.stderr, "will invalidate the previous token");
  // the steps are the CLI's: paste the token here, not a Python call
  assertStringIncludes(
    login.stderr,
    "3) Paste it below, or pipe it in: … | latchkey login --preset cave",
  );
  assertEquals(/saveToken|AuthClient\(/.test(login.stderr), false, login.stderr);
  const file = `${home.dir}/.cloudvolume/secrets/cave-secret.json`;
  assertEquals(await Deno.readTextFile(file), `{"token": "${first}"}`);
  assertEquals(await modeOf(file), 0o600);

  const token = await runCli(home, ["token", "--preset", "cave"], {
    secrets: [first],
    stdoutMayHoldSecrets: true,
  });
  assertEquals(token.code, 0, show(token));
  assertEquals(token.stdout, `${first}\n`);

  // A saved token means no action without --force; --force replaces it.
  const again = await runCli(home, ["login", "--preset", "cave"], { stdin: "ignored\n" });
  assertEquals(again.code, 0, show(again));
  assertStringIncludes(again.stderr, "nothing to do (use --force");
  const second = canary("cave2");
  const forced = await runCli(home, ["login", "--preset", "cave", "-f", "--json"], {
    stdin: second,
    secrets: [first, second],
  });
  assertEquals(forced.code, 0, show(forced));
  assertEquals(JSON.parse(forced.stdout).loggedIn, true);
  assertEquals(JSON.parse(await Deno.readTextFile(file)), { token: second });

  const status = await runCli(home, ["status", "--preset", "cave", "--json"], {
    secrets: [second],
  });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals([s.preset, s.server, s.tokenKey], ["cave", "https://global.daf-apis.com", "token"]);
  assertEquals([s.source, s.path, s.loggedIn], ["file", file, true]);

  const none = await runCli(home, ["token", "--preset", "chunkedgraph"]);
  assertEquals(none.code, 1, show(none));
  assertStringIncludes(none.stderr, "latchkey login --preset chunkedgraph");
});

// ---------------------------------------------------------------------------------------------
// descarteslabs

Deno.test("token --preset descarteslabs with no credentials says so once, as the error with its hint", async () => {
  await using home = await makeHome();
  const result = await runCli(home, ["token", "--preset", "descarteslabs"]);
  assertEquals(result.code, 1, show(result));
  const said = result.stderr.match(/no valid authentication info found/gi) ?? [];
  assertEquals(said.length, 1, show(result));
  assertStringIncludes(result.stderr, "error: No valid authentication info found");
  assertStringIncludes(result.stderr, "hint: run `descarteslabs auth login`");
  // The Python client's other warning (a missing token_info.json) is a fact, not an echo: kept.
  assertStringIncludes(result.stderr, "unable to read token_info");
});

Deno.test("token --preset descarteslabs prints DESCARTESLABS_TOKEN; status shows it without the token", async () => {
  await using home = await makeHome();
  const jwt = fakeJwt({
    sub: "google-oauth2|123",
    exp: nowSeconds() + 3600,
    email: "jane@example.org",
    marker: canary("dl"),
  });
  const env = { DESCARTESLABS_TOKEN: jwt };
  const token = await runCli(home, ["token", "--preset", "descarteslabs"], {
    env,
    secrets: [jwt],
    stdoutMayHoldSecrets: true,
  });
  assertEquals(token.code, 0, show(token));
  assertEquals(token.stdout, `${jwt}\n`);

  const status = await runCli(home, ["status", "--preset", "descarteslabs", "--json"], {
    env,
    secrets: [jwt],
  });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals([s.preset, s.domain, s.loggedIn], [
    "descarteslabs",
    "https://accounts.descarteslabs.com",
    true,
  ]);
  assert(s.expiresIn > 3500, status.stdout);

  const login = await runCli(home, ["login", "--preset", "descarteslabs"], { env });
  assertEquals(login.code, 2, show(login));
  assertStringIncludes(login.stderr, "descarteslabs auth login");
});

// ---------------------------------------------------------------------------------------------
// anaconda

/** A fake secret-tool first on PATH (found by `--allow-run=secret-tool` and the keychain code). */
async function withFakeSecretTool(home: Home): Promise<Record<string, string>> {
  await writeFakeSecretTool(`${home.dir}/fake-bin`);
  return { PATH: `${home.dir}/fake-bin:${home.env.PATH}` };
}

Deno.test({
  name:
    "login --preset anaconda --basic keeps the API key in the keychain; status --json, token and logout",
  ignore: !LINUX,
  async fn() {
    await using home = await makeHome();
    const password = canary("password");
    await using provider = await startMockProvider({
      clients: [{ clientId: "anaconda-test", grants: ["password"], scope: "openid" }],
      users: [{ username: "alice", password, sub: "user-alice", email: "alice@example.org" }],
    });
    const apiKey = fakeJwt({ sub: "user-alice", exp: nowSeconds() + 86400, marker: canary("key") });
    const app = new Hono();
    const keyRequests: string[] = [];
    app.post("/api/iam/api-keys", (c) => {
      keyRequests.push(c.req.header("authorization") ?? "");
      return c.json({ api_key: apiKey }, 201);
    });
    await using api = serve(app.fetch);
    const env = {
      ...await withFakeSecretTool(home),
      ANACONDA_CLOUD_AUTH_DOMAIN: provider.issuer,
      ANACONDA_CLOUD_API_DOMAIN: api.url,
      ANACONDA_CLOUD_AUTH_CLIENT_ID: "anaconda-test",
    };
    const secrets = [password, apiKey];
    const domain = new URL(provider.issuer).host;

    const login = await runCli(home, [
      "login",
      "--preset",
      "anaconda",
      "--basic",
      "--username",
      "alice",
      "--password-stdin",
    ], { env, stdin: `${password}\n`, secrets });
    assertEquals(login.code, 0, show(login));
    assertEquals(login.stdout, "");
    assertStringIncludes(login.stderr, "deprecated");
    assertStringIncludes(login.stderr, "the API key is in the keyring");
    assertEquals(keyRequests.length, 1);
    const calls = await Deno.readTextFile(`${home.dir}/.fake-keyring/calls.log`);
    assertStringIncludes(
      calls,
      `store|--label=Password for '${domain}' on 'Anaconda Cloud'|service|Anaconda Cloud|username|${domain}|`,
    );
    assert(!calls.includes(apiKey) && !calls.includes(password), "a secret went into argv");

    const status = await runCli(home, ["status", "--preset", "anaconda", "--json"], {
      env,
      secrets,
    });
    assertEquals(status.code, 0, show(status));
    const s = JSON.parse(status.stdout);
    assertEquals([s.preset, s.domain, s.source, s.path, s.loggedIn], [
      "anaconda",
      domain,
      "keyring",
      null,
      true,
    ]);
    assertEquals(s.subject, "alice");
    assert(s.expiresIn > 86000, status.stdout);

    const token = await runCli(home, ["token", "--preset", "anaconda"], {
      env,
      secrets,
      stdoutMayHoldSecrets: true,
    });
    assertEquals(token.stdout, `${apiKey}\n`, show(token));

    // With a valid key, login does nothing (and asks for nothing).
    const again = await runCli(home, ["login", "--preset", "anaconda"], { env, secrets });
    assertEquals(again.code, 0, show(again));
    assertStringIncludes(again.stderr, "nothing to do");

    const logout = await runCli(home, ["logout", "--preset", "anaconda"], { env, secrets });
    assertEquals(logout.code, 0, show(logout));
    assertStringIncludes(logout.stderr, "the API key is removed");
    const after = await runCli(home, ["status", "--preset", "anaconda", "--json"], { env });
    assertEquals(after.code, 1, show(after));
    assertEquals(JSON.parse(after.stdout).loggedIn, false);
    const twice = await runCli(home, ["logout", "--preset", "anaconda"], { env });
    assertEquals(twice.code, 0, show(twice));
    assertStringIncludes(twice.stderr, "nothing to do");
  },
});

// ---------------------------------------------------------------------------------------------
// usage

Deno.test("--preset usage errors exit 2 with one line: unknown preset, missing action, stray options", async () => {
  await using home = await makeHome();
  const cases: [string[], RegExp][] = [
    [
      ["login", "--preset", "nope"],
      /unknown preset "nope" \(choose one of anaconda, cave, chunkedgraph, descarteslabs, freva\)/,
    ],
    [["status", "--preset", "__proto__"], /unknown preset "__proto__"/],
    [["logout", "--preset", "freva"], /the freva preset has no logout \(freva keeps no session/],
    [["logout", "--preset", "cave"], /the cave preset has no logout/],
    [
      ["token", "--preset", "cave", "--min-ttl", "5"],
      /"--min-ttl" does not apply to `token --preset cave`/,
    ],
    [["login", "--preset", "freva", "--issuer", "https://x.example"], /"--issuer" does not apply/],
    [["login", "--host", "freva.example.org"], /option "--host" needs --preset/],
    [["status", "--token-file", "f.json"], /option "--token-file" needs --preset/],
    [["login", "--preset", "anaconda", "--username", "a"], /need --basic/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(home, args)));
  results.forEach((result, i) => {
    assertEquals(result.code, 2, show(result));
    assertEquals(result.stdout, "");
    assertEquals(result.stderr.trimEnd().split("\n").length, 1, show(result));
    assert(cases[i]![1].test(result.stderr), show(result));
  });
});
