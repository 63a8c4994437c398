// End-to-end tests of token, status, fetch, refresh, save-token, logout, profiles and
// mock-server through the CLI, against the mock provider.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "../support/assert.ts";
import {
  loggedInHome,
  mockProfile,
  runCli,
  show,
  spawnCli,
  tokenSecrets,
  writeConfig,
} from "./helpers.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

Deno.test("token prints only the cached access token, without any request to the provider", async () => {
  await using provider = await startMockProvider();
  const { home, tokens } = await loggedInHome(provider);
  await using _ = home;
  const requests = provider.counts.discovery + provider.counts.token.refresh_token!;
  const [plain, json] = await Promise.all([
    runCli(home, ["token"], { secrets: tokenSecrets(tokens), stdoutMayHoldSecrets: true }),
    runCli(home, ["token", "--json"], {
      secrets: tokenSecrets(tokens),
      stdoutMayHoldSecrets: true,
    }),
  ]);
  assertEquals(plain.code, 0, show(plain));
  assertEquals(plain.stdout, tokens.access_token + "\n");
  assertEquals(plain.stderr, "");
  assert(!plain.stdout.includes(tokens.refresh_token), "only the access token");
  const body = JSON.parse(json.stdout);
  assertEquals(body.accessToken, tokens.access_token);
  assertEquals(body.tokenType, "Bearer");
  assert(body.expiresIn > 3000 && typeof body.expiresAt === "string", json.stdout);
  assertEquals(provider.counts.discovery + provider.counts.token.refresh_token!, requests);
});

Deno.test("token --min-ttl refreshes first and saves the rotated refresh token", async () => {
  await using provider = await startMockProvider();
  const { home, tokens, credentialPath } = await loggedInHome(provider, { ttl: 600 });
  await using _ = home;
  const result = await runCli(home, ["token", "--min-ttl", "3000"], {
    secrets: tokenSecrets(tokens),
  });
  assertEquals(result.code, 0, show(result));
  assertNotEquals(result.stdout.trim(), tokens.access_token);
  assertEquals(provider.counts.token.refresh_token, 1);
  const saved = JSON.parse(await Deno.readTextFile(credentialPath));
  assertNotEquals(saved.refresh_token, tokens.refresh_token);
  assertEquals(saved.access_token, result.stdout.trim());
});

Deno.test("token --min-ttl that even a fresh token cannot meet exits 1 with the lifetime it got", async () => {
  await using provider = await startMockProvider({ accessTokenTtl: 20 });
  const { home, tokens } = await loggedInHome(provider, { ttl: 20 });
  await using _ = home;
  const result = await runCli(home, ["token", "--min-ttl", "5000"], {
    secrets: tokenSecrets(tokens),
  });
  assertEquals(result.code, 1, show(result));
  assertEquals(result.stdout, "", "no token a script would rely on");
  assertStringIncludes(result.stderr, "less than --min-ttl 5000");
  assert(/valid for (1\d|20) s/.test(result.stderr), show(result));
});

Deno.test("refresh without a token file renews the profile's credential now and prints its token JSON", async () => {
  await using provider = await startMockProvider();
  const { home, tokens, credentialPath } = await loggedInHome(provider, { ttl: 600 });
  await using _ = home;
  const result = await runCli(home, ["refresh"], { secrets: tokenSecrets(tokens) });
  assertEquals(result.code, 0, show(result));
  const printed = JSON.parse(result.stdout);
  assertNotEquals(printed.access_token, tokens.access_token);
  assertEquals(provider.counts.token.refresh_token, 1);
  const saved = JSON.parse(await Deno.readTextFile(credentialPath));
  assertEquals(saved.access_token, printed.access_token, "renewed in the profile's store");
  // a profile with nothing to refresh from says how to get it
  await using empty = await makeHome();
  const none = await runCli(empty, ["refresh"]);
  assertEquals(none.code, 1, show(none));
  assertStringIncludes(none.stderr, "run `latchkey login`");
});

Deno.test("status --json has every field of the contract and no secret", async () => {
  await using provider = await startMockProvider();
  const { home, tokens, credentialPath } = await loggedInHome(provider);
  await using _ = home;
  const [json, human] = await Promise.all([
    runCli(home, ["status", "--json"], { secrets: tokenSecrets(tokens) }),
    runCli(home, ["status", "-v"], { secrets: tokenSecrets(tokens) }),
  ]);
  assertEquals(json.code, 0, show(json));
  const status = JSON.parse(json.stdout);
  for (
    const key of [
      "profile",
      "issuer",
      "clientId",
      "source",
      "path",
      "loggedIn",
      "expiresAt",
      "expiresIn",
      "scope",
      "subject",
      "refreshable",
    ]
  ) assert(key in status, `status --json lacks "${key}"`);
  assertEquals(status.profile, "default");
  assertEquals(status.issuer, provider.issuer);
  assertEquals(status.clientId, "latchkey-cli");
  assertEquals(status.source, "file");
  assertEquals(status.path, credentialPath);
  assertEquals(status.loggedIn, true);
  assertEquals(new Date(status.expiresAt).toISOString(), status.expiresAt);
  assert(status.expiresIn > 3000 && status.expiresIn <= 3600);
  assertEquals(status.scope, "openid profile offline_access");
  assertEquals(status.subject, "user-alice");
  assertEquals(status.refreshable, true);
  assertEquals(human.code, 0, show(human));
  assertStringIncludes(human.stdout, "user-alice");
  assertEquals(provider.counts.discovery, 0, "status reads local state only");
});

Deno.test("fetch sends the token to an API origin, refuses any other before sending", async () => {
  await using provider = await startMockProvider();
  const { home, tokens } = await loggedInHome(provider);
  await using _ = home;
  const secrets = tokenSecrets(tokens);
  await Deno.writeTextFile(`${home.cwd}/body.json`, '{"n":1}');
  const [path, url, post, include, other] = await Promise.all([
    runCli(home, ["fetch", "/api/me"], { secrets }),
    runCli(home, ["fetch", `${provider.apiUrl}/items?x=1`], { secrets }),
    runCli(home, ["fetch", "-X", "put", "-H", "X-Trace: 1", "-d", "@body.json", "api/items"], {
      secrets,
    }),
    runCli(home, ["fetch", "-i", "/api/me"], { secrets }),
    runCli(home, ["fetch", "https://elsewhere.example.org/steal"], { secrets }),
  ]);
  assertEquals(path.code, 0, show(path));
  assertEquals(JSON.parse(path.stdout), {
    ok: true,
    sub: "user-alice",
    path: "/api/me",
    method: "GET",
  });
  assertEquals(JSON.parse(url.stdout).path, "/api/items");
  assertEquals(JSON.parse(post.stdout).method, "PUT");
  assertEquals(include.code, 0, show(include));
  assert(include.stdout.startsWith("HTTP/1.1 200 "), include.stdout);
  assertStringIncludes(include.stdout, "content-type: application/json");
  assertEquals(other.code, 2, show(other));
  assertStringIncludes(other.stderr, "not one of the profile's API origins");
  assertEquals(provider.counts.api, 4, "the refused request was never sent");
});

Deno.test("refresh --token-file prints the new token JSON with the rotated refresh token, no config needed", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const tokens = await provider.issueTokens({
    clientId: "latchkey-cli",
    scope: "openid offline_access",
  });
  const file = `${home.cwd}/old.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({ refresh_token: tokens.refresh_token, scope: tokens.scope }),
    {
      mode: 0o600,
    },
  );
  const result = await runCli(home, ["refresh", "--token-file", "old.json"], {
    env: { LATCHKEY_ISSUER: provider.issuer, LATCHKEY_CLIENT_ID: "latchkey-cli" },
    secrets: tokenSecrets(tokens),
    stdoutMayHoldSecrets: true,
  });
  assertEquals(result.code, 0, show(result));
  assert(!result.stderr.includes(tokens.refresh_token));
  const next = JSON.parse(result.stdout);
  assert(typeof next.access_token === "string" && next.access_token.length > 20);
  assert(typeof next.refresh_token === "string");
  assertNotEquals(next.refresh_token, tokens.refresh_token, "the refresh token rotated");
  assertEquals(next.issuer, provider.issuer);
  assertEquals(next.client_id, "latchkey-cli");
  assertEquals(provider.counts.token.refresh_token, 1);
  assertEquals(
    JSON.parse(await Deno.readTextFile(file)).refresh_token,
    tokens.refresh_token,
    "F untouched",
  );
  const config = await Deno.stat(`${home.config}/latchkey/config.json`).catch(() => undefined);
  assertEquals(config, undefined, "no config was written");

  // The printed JSON carries issuer and client id: the next refresh needs no environment.
  await Deno.writeTextFile(`${home.cwd}/new.json`, result.stdout, { mode: 0o600 });
  const again = await runCli(home, ["refresh", "--token-file", "new.json"], {
    secrets: [next.refresh_token],
    stdoutMayHoldSecrets: true,
  });
  assertEquals(again.code, 0, show(again));
  assertEquals(provider.counts.token.refresh_token, 2);
});

Deno.test("refresh --token-file old.json > new.json: the shell's file (umask 022) is made 0600 before the token goes in", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const tokens = await provider.issueTokens({
    clientId: "latchkey-cli",
    scope: "openid offline_access",
  });
  await Deno.writeTextFile(
    `${home.cwd}/old.json`,
    JSON.stringify({ refresh_token: tokens.refresh_token }),
    { mode: 0o600 },
  );
  const result = await runCli(home, ["refresh", "--token-file", "old.json"], {
    env: { LATCHKEY_ISSUER: provider.issuer, LATCHKEY_CLIENT_ID: "latchkey-cli" },
    secrets: tokenSecrets(tokens),
    wrap: (command) => ["sh", "-c", 'umask 022; exec "$@" > new.json', "sh", ...command],
  });
  assertEquals(result.code, 0, show(result));
  const written = JSON.parse(await Deno.readTextFile(`${home.cwd}/new.json`));
  assert(
    typeof written.refresh_token === "string" && written.refresh_token !== tokens.refresh_token,
  );
  assertEquals((await Deno.stat(`${home.cwd}/new.json`)).mode! & 0o777, 0o600);
});

Deno.test("refresh --in-place rewrites the file atomically with mode 0600, keeping its other keys", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const tokens = await provider.issueTokens({
    clientId: "latchkey-cli",
    scope: "openid offline_access",
  });
  const file = `${home.cwd}/freva-token.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      token_type: "Bearer",
      expires: 1,
      note: "kept",
    }),
    { mode: 0o600 },
  );
  const result = await runCli(home, [
    "refresh",
    "--token-file",
    file,
    "--in-place",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
  ], { secrets: tokenSecrets(tokens) });
  assertEquals(result.code, 0, show(result));
  assertEquals(result.stdout, "", "nothing on stdout with --in-place");
  const data = JSON.parse(await Deno.readTextFile(file));
  assertNotEquals(data.refresh_token, tokens.refresh_token);
  assertNotEquals(data.access_token, tokens.access_token);
  assertEquals(data.note, "kept");
  assert(data.expires > Date.now() / 1000, "the freva expiry key is kept and updated");
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
  const leftovers = [...Deno.readDirSync(home.cwd)].map((e) => e.name).filter((n) =>
    n.endsWith(".tmp")
  );
  assertEquals(leftovers, []);
});

Deno.test("refresh for a confidential client takes its secret from the environment or stdin", async () => {
  const secret = canary("client-secret");
  await using provider = await startMockProvider({
    clients: [{ clientId: "svc", clientSecret: secret, grants: ["refresh_token"], scope: "api" }],
  });
  await using home = await makeHome();
  const args = ["--issuer", provider.issuer, "--client-id", "svc"];
  for (const name of ["env.json", "stdin.json"]) {
    const tokens = await provider.issueTokens({ clientId: "svc" });
    await Deno.writeTextFile(
      `${home.cwd}/${name}`,
      JSON.stringify({ refresh_token: tokens.refresh_token }),
      {
        mode: 0o600,
      },
    );
  }
  const [fromEnv, fromStdin] = await Promise.all([
    runCli(home, ["refresh", "--token-file", "env.json", ...args], {
      env: { LATCHKEY_CLIENT_SECRET: secret },
      secrets: [secret],
      stdoutMayHoldSecrets: false,
    }),
    runCli(home, ["refresh", "--token-file", "stdin.json", "--client-secret-stdin", ...args], {
      stdin: secret + "\n",
      secrets: [secret],
    }),
  ]);
  assertEquals(fromEnv.code, 0, show(fromEnv));
  assertEquals(fromStdin.code, 0, show(fromStdin));
  assertEquals(provider.counts.token.refresh_token, 2);
});

Deno.test("save-token stores a token from stdin for the profile, or into a secret JSON file", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  await writeConfig(home, { default: mockProfile(provider) });
  const { access_token: token } = await provider.issueTokens();
  const [profile, file] = await Promise.all([
    runCli(home, ["save-token"], { stdin: token + "\n", secrets: [token] }),
    runCli(home, ["save-token", "--file", "secrets/cave-secret.json", "--key", "token"], {
      stdin: token,
      secrets: [token],
    }),
  ]);
  assertEquals(profile.code, 0, show(profile));
  assertEquals(file.code, 0, show(file));
  const path = `${home.cwd}/secrets/cave-secret.json`;
  assertEquals(JSON.parse(await Deno.readTextFile(path)), { token });
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);

  await Deno.writeTextFile(path, JSON.stringify({ token, other: "x" }), { mode: 0o600 });
  const second = await runCli(home, ["save-token", "--file", path, "--key", "chunkedgraph"], {
    stdin: "second-token",
  });
  assertEquals(second.code, 0, show(second));
  assertEquals(JSON.parse(await Deno.readTextFile(path)), {
    token,
    other: "x",
    chunkedgraph: "second-token",
  });

  const [printed, fetched] = await Promise.all([
    runCli(home, ["token"], { secrets: [token], stdoutMayHoldSecrets: true }),
    runCli(home, ["fetch", "/api/me"], { secrets: [token] }),
  ]);
  assertEquals(printed.stdout, token + "\n");
  assertEquals(JSON.parse(fetched.stdout).sub, "user-alice");
});

Deno.test("logout revokes at the provider and deletes the credential; --all covers every profile", async () => {
  await using provider = await startMockProvider();
  const { home, tokens, credentialPath } = await loggedInHome(provider);
  await using _ = home;
  const result = await runCli(home, ["logout"], { secrets: tokenSecrets(tokens) });
  assertEquals(result.code, 0, show(result));
  assert(provider.counts.revoke >= 1, "revocation reached the provider");
  assertStringIncludes(result.stderr, "tokens revoked");
  assertEquals(await Deno.stat(credentialPath).catch(() => undefined), undefined);
  const denied = await fetch(`${provider.apiUrl}/me`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  await denied.body?.cancel();
  assertEquals(denied.status, 401, "the access token was revoked");
  const status = await runCli(home, ["status"]);
  assertEquals(status.code, 1, show(status));

  // --all: two profiles, the provider unreachable for revocation → warning, exit 0, both gone.
  const profile = mockProfile(provider);
  await writeConfig(home, { a: profile, b: profile });
  const store = `${home.config}/latchkey/credentials`;
  await Deno.mkdir(store, { recursive: true, mode: 0o700 });
  for (const name of ["a", "b"]) {
    const t = await provider.issueTokens();
    await Deno.writeTextFile(
      `${store}/${name}.json`,
      JSON.stringify({ ...t, issuer: provider.issuer }),
      {
        mode: 0o600,
      },
    );
  }
  provider.inject({
    path: "/revoke",
    status: 400,
    body: '{"error":"invalid_request"}',
    times: Infinity,
  });
  const all = await runCli(home, ["logout", "--all"]);
  assertEquals(all.code, 0, show(all));
  assertStringIncludes(all.stderr, "warning");
  assertEquals([...Deno.readDirSync(store)].filter((e) => e.name.endsWith(".json")), []);
});

Deno.test("profiles lists the profiles and `profiles use` switches the default", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  await writeConfig(home, {
    default: mockProfile(provider),
    work: { ...mockProfile(provider), clientId: "work-cli" },
  });
  const list = await runCli(home, ["profiles", "--json"]);
  assertEquals(list.code, 0, show(list));
  const body = JSON.parse(list.stdout);
  assertEquals(body.active, "default");
  assertEquals(body.profiles.map((p: { name: string }) => p.name), ["default", "work"]);
  const use = await runCli(home, ["profiles", "use", "work"]);
  assertEquals(use.code, 0, show(use));
  const [after, status, missing] = await Promise.all([
    runCli(home, ["profiles"]),
    runCli(home, ["status", "--json"]),
    runCli(home, ["profiles", "use", "nope"]),
  ]);
  assert(/^\* work /m.test(after.stdout), show(after));
  assertEquals(JSON.parse(status.stdout).clientId, "work-cli");
  assertEquals(missing.code, 2, show(missing));
  assertStringIncludes(missing.stderr, 'no profile "nope"');
});

Deno.test("mock-server serves a provider on loopback until interrupted", async () => {
  await using home = await makeHome();
  const server = spawnCli(home, ["mock-server", "--access-ttl", "120", "--json"]);
  const [, issuer] = await server.waitFor(/Mock provider at (http:\/\/127\.0\.0\.1:\d+)/);
  const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
  assertEquals((await discovery.json()).issuer, issuer);
  const login = await runCli(home, [
    "login",
    "--issuer",
    issuer!,
    "--client-id",
    "latchkey-service",
    "--api",
    issuer!,
    "--store",
    "file",
    "--json",
  ], { env: { LATCHKEY_CLIENT_SECRET: "service-secret" } });
  assertEquals(login.code, 0, show(login));
  assert(JSON.parse(login.stdout).expiresIn <= 120);
  server.kill("SIGINT");
  const result = await server.finish();
  assertEquals(result.code, 130, show(result));
  assertEquals(JSON.parse(result.stdout).issuer, issuer);
});

Deno.test("a refused refresh token in a token file says how to write a new one, and that works", async () => {
  await using provider = await startMockProvider();
  const { home, tokens } = await loggedInHome(provider, { ttl: 600 });
  await using _ = home;
  const file = `${home.dir}/job-token.json`;
  const bogus = canary("refused-refresh");
  await Deno.writeTextFile(file, JSON.stringify({ refresh_token: bogus }), { mode: 0o600 });
  const flags = ["--issuer", provider.issuer, "--client-id", "latchkey-cli"];
  const secrets = [...tokenSecrets(tokens), bogus];
  const refused = await runCli(home, ["refresh", "--token-file", file, ...flags], { secrets });
  assertEquals(refused.code, 1, show(refused));
  assertStringIncludes(refused.stderr, `The refresh token in "${file}" was refused`);
  assertStringIncludes(refused.stderr, `\`latchkey refresh > '${file}'\``);
  // the hint, as printed: the profile is logged in, so `latchkey refresh > F` mends the file
  const fresh = await runCli(home, ["refresh"], { secrets, stdoutMayHoldSecrets: true });
  assertEquals(fresh.code, 0, show(fresh));
  await Deno.writeTextFile(file, fresh.stdout, { mode: 0o600 });
  const again = await runCli(home, ["refresh", "--token-file", file, "--in-place", ...flags], {
    secrets: [...secrets, JSON.parse(fresh.stdout).refresh_token],
  });
  assertEquals(again.code, 0, show(again));
});
