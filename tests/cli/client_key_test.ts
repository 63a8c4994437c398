// A secretless service login (private_key_jwt): `login --client-key KEY.pem` in one process,
// then `status` and `token` in others with nothing in their environment, renewing unattended
// from the kept key path. No client secret exists anywhere; the key never leaves its file.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { makeHome } from "../support/home.ts";
import { runCli, show } from "./helpers.ts";

async function keyedProvider(accessTokenTtl: number) {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const jwk = { ...await crypto.subtle.exportKey("jwk", pair.publicKey), kid: "svc-1" };
  const provider = await startMockProvider({
    accessTokenTtl,
    clients: [{ clientId: "svc", jwks: [jwk], grants: ["client_credentials"], scope: "api" }],
  });
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const body = der.toBase64().replace(/(.{64})/g, "$1\n");
  return { provider, pem: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n` };
}

Deno.test("login --client-key: later processes without any secret are logged in and renew from the key file", async () => {
  const { provider, pem } = await keyedProvider(2);
  await using _provider = provider;
  await using home = await makeHome();
  const keyFile = `${home.cwd}/svc-key.pem`;
  await Deno.writeTextFile(keyFile, pem, { mode: 0o600 });
  const keyLines = pem.split("\n").filter((line) => line.length > 40);

  const login = await runCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "svc",
    "--client-key",
    "svc-key.pem",
    "--api",
    provider.issuer,
    "--store",
    "file",
  ], { secrets: keyLines });
  assertEquals(login.code, 0, show(login));
  assertEquals(provider.counts.token.client_credentials, 1);

  const status = await runCli(home, ["status", "--json"], { secrets: keyLines });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals([s.loggedIn, s.refreshable, s.clientId], [true, true, "svc"]);
  const stored = await Deno.readTextFile(`${home.config}/latchkey/credentials/default.json`);
  assertEquals(JSON.parse(stored).client_key_file, keyFile, "the absolute path is kept");
  assert(!keyLines.some((line) => stored.includes(line)), "the key itself is never stored");

  // Past the token's lifetime: a new process renews with the key, unattended.
  await new Promise((resolve) => setTimeout(resolve, 2200));
  const token = await runCli(home, ["token"], { secrets: keyLines, stdoutMayHoldSecrets: true });
  assertEquals(token.code, 0, show(token));
  assertEquals(provider.counts.token.client_credentials, 2);
  const api = await runCli(home, ["fetch", "/api/me"], { secrets: keyLines });
  assertEquals([api.code, JSON.parse(api.stdout).sub], [0, "svc"], show(api));
});

Deno.test("login --client-key with a key file others can read is exit 2 naming the file and the chmod", async () => {
  const { provider, pem } = await keyedProvider(60);
  await using _provider = provider;
  await using home = await makeHome();
  const keyFile = `${home.cwd}/loose.pem`;
  await Deno.writeTextFile(keyFile, pem);
  await Deno.chmod(keyFile, 0o644);
  const args = ["login", "--issuer", provider.issuer, "--client-id", "svc", "--store", "file"];
  const loose = await runCli(home, [...args, "--client-key", keyFile]);
  assertEquals(loose.code, 2, show(loose));
  assertStringIncludes(loose.stderr, `Refusing to use client key file "${keyFile}"`);
  assertStringIncludes(loose.stderr, `chmod 600 '${keyFile}'`);
  assertEquals(provider.counts.token.client_credentials, 0, "nothing was sent");
  assertEquals((await Deno.stat(keyFile)).mode! & 0o777, 0o644, "never tightened silently");

  const orphan = await runCli(home, [...args, "--client-key-id", "k"]);
  assertEquals(orphan.code, 2, show(orphan));
  assertStringIncludes(orphan.stderr, "--client-key-id needs --client-key");
});

Deno.test("refresh --token-file for a client with a key: --client-key or LATCHKEY_CLIENT_KEY authenticates the refresh", async () => {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  await using provider = await startMockProvider({
    clients: [{
      clientId: "keyed",
      jwks: [jwk],
      grants: ["refresh_token"],
      scope: "openid offline_access",
    }],
  });
  await using home = await makeHome();
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const keyFile = `${home.cwd}/keyed.pem`;
  await Deno.writeTextFile(
    keyFile,
    `-----BEGIN PRIVATE KEY-----\n${der.toBase64()}\n-----END PRIVATE KEY-----\n`,
    { mode: 0o600 },
  );
  for (const how of ["flag", "env"] as const) {
    const t = await provider.issueTokens({ clientId: "keyed", scope: "openid offline_access" });
    const file = `${home.cwd}/token-${how}.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ ...t, issuer: provider.issuer, client_id: "keyed" }),
      { mode: 0o600 },
    );
    const result = await runCli(
      home,
      ["refresh", "--token-file", file, ...(how === "flag" ? ["--client-key", keyFile] : [])],
      {
        ...(how === "env" ? { env: { LATCHKEY_CLIENT_KEY: keyFile } } : {}),
        secrets: [t.refresh_token],
        stdoutMayHoldSecrets: true,
      },
    );
    assertEquals(result.code, 0, show(result));
    const next = JSON.parse(result.stdout);
    assert(next.refresh_token !== t.refresh_token, `${how}: the rotated refresh token`);
  }
  assertEquals(provider.counts.token.refresh_token, 2);
});
