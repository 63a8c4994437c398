/**
 * The contract's "Where a credential comes from": every precedence step and conflict rule.
 *
 * Each scenario runs in a child process (`probe()`) with a clean environment, its own HOME,
 * XDG_CONFIG_HOME and current folder: `deno test --parallel` runs all test files in one
 * process, so setting variables or changing folder here would leak into other files.
 */

import { resolveSettings } from "../../src/resolve.ts";
import { AuthError } from "../../src/errors.ts";
import { startMockProvider } from "../../src/testing/mock_provider.ts";
import { failed, ok, probe } from "./helpers.ts";
import { assertEquals, assertExcludes, assertThrowsWith } from "../support/assert.ts";

const STORE_FILE = "xdg/latchkey/credentials/default.json";
const STORE_PATH = `$ROOT/${STORE_FILE}`;
const stored = (token: string) => ({ access_token: token, expires_at: 4_000_000_000 });

Deno.test("an explicit token option beats LATCHKEY_TOKEN in the environment", async () => {
  const { results: [token, status] } = await probe({
    options: { token: "from-option", dotenv: false },
    env: { LATCHKEY_TOKEN: "from-env" },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-option");
  assertEquals(ok(status).status.source, "option");
  assertEquals(ok(status).status.loggedIn, true);
});

Deno.test("LATCHKEY_TOKEN in the environment beats the same key in .env", async () => {
  const { results: [token, status] } = await probe({
    env: { LATCHKEY_TOKEN: "from-env" },
    files: { "cwd/.env": "LATCHKEY_TOKEN=from-dotenv\n" },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-env");
  assertEquals(ok(status).status.source, "env");
});

Deno.test("the real environment wins over .env for settings too", async () => {
  const { results: [status] } = await probe({
    env: { LATCHKEY_CLIENT_ID: "env-client" },
    files: {
      "cwd/.env":
        "LATCHKEY_CLIENT_ID=dotenv-client\nLATCHKEY_SCOPE=dotenv-scope\nLATCHKEY_TOKEN=t\n",
    },
    actions: ["status"],
  });
  assertEquals(ok(status).status.clientId, "env-client");
  assertEquals(ok(status).status.scope, "dotenv-scope");
  assertEquals(ok(status).status.source, "dotenv");
});

Deno.test(".env in the current folder is read when nothing ranks higher", async () => {
  const { results: [token, status] } = await probe({
    files: { "cwd/.env": "# comment\nLATCHKEY_TOKEN='from-dotenv'\n" },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-dotenv");
  assertEquals(ok(status).status.source, "dotenv");
});

Deno.test("the dotenv option names another .env file", async () => {
  const { results: [token, status] } = await probe({
    options: { dotenv: "$ROOT/custom.env" },
    files: {
      "custom.env": "LATCHKEY_TOKEN=from-custom\n",
      "cwd/.env": "LATCHKEY_TOKEN=from-cwd\n",
    },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-custom");
  assertEquals(ok(status).status.source, "dotenv");
});

Deno.test("dotenv: false ignores the .env file", async () => {
  const { results: [status, token] } = await probe({
    options: { dotenv: false },
    files: { "cwd/.env": "LATCHKEY_TOKEN=from-dotenv\n" },
    actions: ["status", "token"],
  });
  assertEquals(ok(status).status.source, "none");
  assertEquals(ok(status).status.loggedIn, false);
  failed(token, "LoginRequiredError", "LOGIN_REQUIRED");
});

Deno.test(".env material beats a token file", async () => {
  const { results: [token, status] } = await probe({
    options: { tokenFile: "$ROOT/token.json" },
    files: {
      "token.json": { access_token: "from-file" },
      "cwd/.env": "LATCHKEY_TOKEN=from-dotenv\n",
    },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-dotenv");
  assertEquals(ok(status).status.source, "dotenv");
});

Deno.test("the tokenFile option beats the profile's file store", async () => {
  const { results: [token, status] } = await probe({
    options: { tokenFile: "$ROOT/token.json", dotenv: false },
    files: {
      [STORE_FILE]: stored("from-store"),
      "token.json": { access_token: "from-file", expires_at: 4_000_000_000 },
    },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-file");
  const s = ok(status).status;
  assertEquals([s.source, s.path], ["token-file", "$ROOT/token.json"]);
  assertEquals(s.expiresAt, new Date(4_000_000_000_000).toISOString());
});

Deno.test("LATCHKEY_TOKEN_FILE names the token file when no option does", async () => {
  const { results: [token, status] } = await probe({
    options: { dotenv: false },
    env: { LATCHKEY_TOKEN_FILE: "$ROOT/secret.json" },
    files: { [STORE_FILE]: stored("from-store"), "secret.json": { token: "from-env-file" } },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-env-file");
  assertEquals(ok(status).status.source, "token-file");
  assertEquals(ok(status).status.path, "$ROOT/secret.json");
});

Deno.test("LATCHKEY_TOKEN_FILE in .env names the token file too", async () => {
  const { results: [token, status] } = await probe({
    files: {
      "cwd/.env": "LATCHKEY_TOKEN_FILE=../secret.json\n",
      "secret.json": { token: "from-dotenv-file" },
    },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-dotenv-file");
  assertEquals(ok(status).status.source, "token-file");
});

Deno.test("the tokenFile option beats LATCHKEY_TOKEN_FILE", async () => {
  const { results: [token, status] } = await probe({
    options: { tokenFile: "$ROOT/option.json", dotenv: false },
    env: { LATCHKEY_TOKEN_FILE: "$ROOT/env.json" },
    files: { "option.json": { token: "option-file" }, "env.json": { token: "env-file" } },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "option-file");
  assertEquals(ok(status).status.path, "$ROOT/option.json");
});

Deno.test("the profile's file store is used when nothing else is given", async () => {
  const { results: [token, status] } = await probe({
    files: { [STORE_FILE]: stored("from-store") },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "from-store");
  const s = ok(status).status;
  assertEquals([s.source, s.path, s.profile], ["file", STORE_PATH, "default"]);
});

Deno.test("LATCHKEY_PROFILE picks another profile's stored credential", async () => {
  const { results: [token, status] } = await probe({
    env: { LATCHKEY_PROFILE: "work" },
    files: {
      [STORE_FILE]: stored("default-token"),
      "xdg/latchkey/credentials/work.json": stored("work-token"),
    },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "work-token");
  assertEquals([ok(status).status.profile, ok(status).status.source], ["work", "file"]);
});

Deno.test("the default profile of config.json is used, and options beat it", async () => {
  const config = {
    default: "work",
    profiles: { work: { issuer: "https://id.example.org", clientId: "saved", scope: "saved" } },
  };
  const { results: [status] } = await probe({
    options: { clientId: "option-client" },
    files: {
      "xdg/latchkey/config.json": config,
      "xdg/latchkey/credentials/work.json": stored("work-token"),
    },
    actions: ["status"],
  });
  const s = ok(status).status;
  assertEquals(
    [s.profile, s.issuer, s.clientId, s.scope, s.source],
    ["work", "https://id.example.org", "option-client", "saved", "file"],
  );
});

Deno.test("an issuer without a client id: token() names the client id as missing", async () => {
  const { results: [token] } = await probe({
    options: { issuer: "https://id.example.org", dotenv: false },
    actions: ["token"],
  });
  const error = failed(token, "LoginRequiredError", "LOGIN_REQUIRED");
  assertEquals(error.message, "No credential found, and no client id is set to get one with");
});

Deno.test("an issuer and a client id but no login: token() says to log in", async () => {
  const { results: [token] } = await probe({
    options: { issuer: "https://id.example.org", clientId: "cli", dotenv: false },
    actions: ["token"],
  });
  const error = failed(token, "LoginRequiredError", "LOGIN_REQUIRED");
  assertEquals([error.message, error.hint], ["No credential found", "run `latchkey login`"]);
});

Deno.test("nothing anywhere: token() throws LoginRequiredError and status says none", async () => {
  const { results: [token, status] } = await probe({ actions: ["token", "status"] });
  const error = failed(token, "LoginRequiredError", "LOGIN_REQUIRED");
  // What is missing is named: a login, or the issuer and client id to get one.
  assertEquals(
    error.message,
    "No credential found, and neither an issuer nor a client id is set to get one with",
  );
  assertEquals(
    error.hint,
    "log in once: `latchkey login --issuer URL --client-id ID`; or give both to every call " +
      "(the issuer and clientId options, or LATCHKEY_ISSUER and LATCHKEY_CLIENT_ID)",
  );
  const s = ok(status).status;
  assertEquals(
    [s.source, s.loggedIn, s.refreshable, s.expiresAt, s.path],
    ["none", false, false, null, STORE_PATH],
  );
});

Deno.test("a refresh token in the environment makes the source env and refreshable", async () => {
  const { results: [status] } = await probe({
    options: { dotenv: false },
    env: {
      LATCHKEY_REFRESH_TOKEN: "refresh-from-env",
      LATCHKEY_ISSUER: "https://id.example.org",
      LATCHKEY_CLIENT_ID: "cli",
    },
    actions: ["status"],
  });
  const s = ok(status).status;
  assertEquals(
    [s.source, s.refreshable, s.loggedIn, s.issuer, s.clientId],
    ["env", true, true, "https://id.example.org", "cli"],
  );
});

Deno.test("options beat the environment for settings as well as secrets", async () => {
  const { results: [status] } = await probe({
    options: {
      issuer: "https://option.example.org/",
      clientId: "option-client",
      scope: "option-scope",
      token: "t",
      dotenv: false,
    },
    env: {
      LATCHKEY_ISSUER: "https://env.example.org",
      LATCHKEY_CLIENT_ID: "env-client",
      LATCHKEY_SCOPE: "env-scope",
    },
    actions: ["status"],
  });
  const s = ok(status).status;
  assertEquals(
    [s.issuer, s.clientId, s.scope],
    ["https://option.example.org", "option-client", "option-scope"],
  );
});

Deno.test("mixed sources: a client id from the environment pairs with a secret option", async () => {
  await using provider = await startMockProvider();
  const { results: [before, token] } = await probe({
    options: {
      issuer: provider.issuer,
      clientSecret: "service-secret",
      scope: "api",
      dotenv: false,
      store: "memory",
    },
    env: { LATCHKEY_CLIENT_ID: "latchkey-service" },
    actions: ["status", "token"],
  });
  const s = ok(before).status;
  assertEquals([s.source, s.clientId, s.refreshable], ["option", "latchkey-service", true]);
  const accessToken = ok(token);
  assertEquals(provider.counts.token.client_credentials, 1);
  const me = await fetch(`${provider.apiUrl}/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  assertEquals(me.status, 200);
  await me.body?.cancel();
});

Deno.test("a custom envPrefix reads only variables with that prefix", async () => {
  const both = await probe({
    options: { envPrefix: "DESCARTESLABS_", dotenv: false },
    env: { LATCHKEY_TOKEN: "latchkey-value", DESCARTESLABS_TOKEN: "descartes-value" },
    actions: ["token", "status"],
  });
  assertEquals(ok(both.results[0]), "descartes-value");
  assertEquals(ok(both.results[1]).status.source, "env");

  const other = await probe({
    options: { envPrefix: "DESCARTESLABS_", dotenv: false },
    env: { LATCHKEY_TOKEN: "latchkey-value", LATCHKEY_TOKEN_FILE: "$ROOT/t.json" },
    files: { "t.json": { token: "file" } },
    actions: ["status", "token"],
  });
  assertEquals(ok(other.results[0]).status.source, "none");
  failed(other.results[1], "LoginRequiredError", "LOGIN_REQUIRED");
});

Deno.test("a custom envPrefix also applies to the .env file", async () => {
  const { results: [token, status] } = await probe({
    options: { envPrefix: "DESCARTESLABS_" },
    files: { "cwd/.env": "LATCHKEY_TOKEN=latchkey-value\nDESCARTESLABS_TOKEN=descartes-value\n" },
    actions: ["token", "status"],
  });
  assertEquals(ok(token), "descartes-value");
  assertEquals(ok(status).status.source, "dotenv");
});

Deno.test("two prefixes with different values for one key are CONFLICTING_CREDENTIALS", async () => {
  const { results: [token, status] } = await probe({
    options: { envPrefix: ["LATCHKEY_", "MYSDK_"], dotenv: false },
    env: { LATCHKEY_TOKEN: "canary-one-9f3a", MYSDK_TOKEN: "canary-two-7b1c" },
    actions: ["token", "status"],
  });
  const error = failed(token, "AuthError", "CONFLICTING_CREDENTIALS");
  assertEquals(
    error.message,
    'Conflicting credentials in the environment: "LATCHKEY_TOKEN" and "MYSDK_TOKEN" hold different values',
  );
  assertExcludes(error.text, "canary-one-9f3a");
  assertExcludes(error.text, "canary-two-7b1c");
  failed(status, "AuthError", "CONFLICTING_CREDENTIALS");
});

Deno.test("two prefixes holding the same value for one key are no conflict", async () => {
  const { results: [token] } = await probe({
    options: { envPrefix: ["LATCHKEY_", "MYSDK_"], dotenv: false },
    env: { LATCHKEY_TOKEN: "same", MYSDK_TOKEN: "same" },
    actions: ["token"],
  });
  assertEquals(ok(token), "same");
});

Deno.test("two prefixes with different values in .env are CONFLICTING_CREDENTIALS", async () => {
  const { results: [token] } = await probe({
    options: { envPrefix: ["LATCHKEY_", "MYSDK_"] },
    files: { "cwd/.env": "LATCHKEY_CLIENT_ID=one\nMYSDK_CLIENT_ID=two\nLATCHKEY_TOKEN=t\n" },
    actions: ["token"],
  });
  const error = failed(token, "AuthError", "CONFLICTING_CREDENTIALS");
  assertEquals(
    error.message,
    `Conflicting credentials in the file ".env": "LATCHKEY_CLIENT_ID" and "MYSDK_CLIENT_ID" hold different values`,
  );
});

Deno.test("a token_info file whose client_secret and refresh_token differ is CONFLICTING_CREDENTIALS", async () => {
  const { results: [token] } = await probe({
    options: { tokenFile: "$ROOT/token_info.json", dotenv: false },
    files: {
      "token_info.json": {
        client_id: "dl-client",
        client_secret: "canary-secret-5d2e",
        refresh_token: "canary-refresh-8c4f",
      },
    },
    actions: ["token"],
  });
  const error = failed(token, "AuthError", "CONFLICTING_CREDENTIALS");
  assertEquals(
    error.message,
    `Cannot read token file "$ROOT/token_info.json": keys "client_secret" and "refresh_token" hold different values`,
  );
  assertExcludes(error.text, "canary-secret-5d2e");
  assertExcludes(error.text, "canary-refresh-8c4f");
});

Deno.test("status().source names each rank in turn as higher ranks are removed", async () => {
  const files = {
    [STORE_FILE]: stored("store"),
    "t.json": { token: "file" },
    "cwd/.env": "LATCHKEY_TOKEN=dotenv\n",
  };
  const steps: [Record<string, unknown>, Record<string, string>][] = [
    [{ token: "option", tokenFile: "$ROOT/t.json" }, { LATCHKEY_TOKEN: "env" }],
    [{ tokenFile: "$ROOT/t.json" }, { LATCHKEY_TOKEN: "env" }],
    [{ tokenFile: "$ROOT/t.json" }, {}],
    [{ tokenFile: "$ROOT/t.json", dotenv: false }, {}],
    [{ dotenv: false }, {}],
  ];
  const seen = await Promise.all(steps.map(async ([options, env]) => {
    const { results: [status, token] } = await probe({
      options,
      env,
      files,
      actions: ["status", "token"],
    });
    return [ok(status).status.source, ok(token)];
  }));
  assertEquals(seen, [
    ["option", "option"],
    ["env", "env"],
    ["dotenv", "dotenv"],
    ["token-file", "file"],
    ["file", "store"],
  ]);
});

Deno.test("resolveSettings keeps secrets of one rank together and mixes only settings", () => {
  const r = resolveSettings(
    { refreshToken: "option-refresh" },
    {
      TOKEN: { value: "env-token", name: "LATCHKEY_TOKEN" },
      CLIENT_ID: { value: "env-client", name: "LATCHKEY_CLIENT_ID" },
    },
    { SCOPE: { value: "dotenv-scope", name: "LATCHKEY_SCOPE" } },
    { profiles: {} },
  );
  assertEquals(r.material?.source, "option");
  assertEquals(r.material?.refreshToken?.reveal(), "option-refresh");
  assertEquals(r.material?.accessToken, undefined);
  assertEquals(r.clientId, "env-client");
  assertEquals(r.scope, "dotenv-scope");
  assertEquals(r.origins, { client_id: "env", scope: "dotenv" });
});

Deno.test("resolveSettings refuses an unknown store name with CONFIG_INVALID", () => {
  const error = assertThrowsWith(
    () =>
      resolveSettings({}, { STORE: { value: "floppy", name: "LATCHKEY_STORE" } }, {}, {
        profiles: {},
      }),
    AuthError,
    "CONFIG_INVALID",
  );
  assertEquals(
    error.message,
    'Invalid store "floppy": expected one of auto, file, keyring, memory, redis, kv',
  );
});
