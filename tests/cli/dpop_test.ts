// DPoP through the CLI, one process per step, against a mock provider whose clients must prove a
// key: `login --dpop` keeps the key with the credential; `fetch` in new processes proves it, also
// after the token expired (the renewal proves the persisted key); the printed token is refused
// as a plain bearer token; the private key shows in no output; logout deletes it.
import { decodeJwt } from "../../src/jwt.ts";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { makeHome } from "../support/home.ts";
import { runCli, show } from "./helpers.ts";

const strictClients = [
  {
    clientId: "latchkey-cli",
    grants: ["password", "refresh_token"],
    scope: "openid offline_access",
    dpop: true,
  },
  {
    clientId: "latchkey-service",
    clientSecret: "service-secret",
    grants: ["client_credentials"],
    scope: "api",
    dpop: true,
  },
];

Deno.test("login --dpop, then fetch in new processes proves the kept key, also after expiry; the printed token is no bearer token", async () => {
  await using provider = await startMockProvider({ clients: strictClients, accessTokenTtl: 2 });
  await using home = await makeHome();
  const login = await runCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-cli",
    "--flow",
    "password",
    "--username",
    "alice",
    "--password-stdin",
    "--dpop",
    "--api",
    provider.issuer,
    "--store",
    "file",
  ], { stdin: "wonderland\n", secrets: ["wonderland"] });
  assertEquals(login.code, 0, show(login));

  const credentialFile = `${home.config}/latchkey/credentials/default.json`;
  const stored = JSON.parse(await Deno.readTextFile(credentialFile));
  assertEquals(stored.token_type, "DPoP");
  const privateD = JSON.parse(stored.dpop_key).d as string;
  assert(typeof privateD === "string" && privateD.length > 20, "the key rests with the credential");
  assertEquals((await Deno.stat(credentialFile)).mode! & 0o777, 0o600);
  const config = JSON.parse(await Deno.readTextFile(`${home.config}/latchkey/config.json`));
  assertEquals(config.profiles.default.dpop, true, "the profile remembers DPoP");
  const never = { secrets: [privateD] };

  const status = await runCli(home, ["status", "--json"], never);
  assertEquals(status.code, 0, show(status));
  assertEquals(JSON.parse(status.stdout).dpop, true);

  const first = await runCli(home, ["fetch", "/api/me"], never);
  assertEquals([first.code, JSON.parse(first.stdout).sub], [0, "user-alice"], show(first));

  // Past the 2 s lifetime: the refresh proves the persisted key (a refresh token bound to it).
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const refreshes = provider.counts.token.refresh_token!;
  const later = await runCli(home, ["fetch", "/api/me"], never);
  assertEquals([later.code, JSON.parse(later.stdout).sub], [0, "user-alice"], show(later));
  assertEquals(provider.counts.token.refresh_token, refreshes + 1);

  const token = await runCli(home, ["token"], { ...never, stdoutMayHoldSecrets: true });
  assertEquals(token.code, 0, show(token));
  const printed = token.stdout.trim();
  assert(decodeJwt(printed)?.payload.cnf !== undefined, "the token is bound to the key");
  const stolen = await fetch(`${provider.apiUrl}/me`, {
    headers: { authorization: `Bearer ${printed}` },
  });
  assertEquals(stolen.status, 401, "a copied token is useless as a bearer token");
  await stolen.body?.cancel();
  // The one refusal is the stolen token's; every proof Latchkey sent was accepted.
  assertEquals(provider.counts.dpopRefused, 1);

  const logout = await runCli(home, ["logout"], never);
  assertEquals(logout.code, 0, show(logout));
  const left = await Deno.readTextFile(credentialFile).catch(() => "");
  assert(!left.includes(privateD), "logout deletes the key with the credential");
});

Deno.test("a service login with --dpop renews by client credentials proving the same key", async () => {
  await using provider = await startMockProvider({ clients: strictClients, accessTokenTtl: 2 });
  await using home = await makeHome();
  const login = await runCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-service",
    "--flow",
    "client_credentials",
    "--dpop",
    "--api",
    provider.issuer,
    "--store",
    "file",
  ], { env: { LATCHKEY_CLIENT_SECRET: "service-secret" }, secrets: ["service-secret"] });
  assertEquals(login.code, 0, show(login));
  const keyOf = async () =>
    JSON.parse(
      JSON.parse(await Deno.readTextFile(`${home.config}/latchkey/credentials/default.json`))
        .dpop_key,
    ).x as string;
  const before = await keyOf();
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const api = await runCli(home, ["fetch", "/api/me"]);
  assertEquals([api.code, JSON.parse(api.stdout).sub], [0, "latchkey-service"], show(api));
  assertEquals(provider.counts.token.client_credentials, 2);
  assertEquals(await keyOf(), before, "the renewal proves the kept key, not a new one");
  assertEquals(provider.counts.dpopRefused, 0);
});
