// freva.authenticate replays freva-client's documented authentication (seeds/freva-client.txt,
// S3) against a Hono fake of freva's auth API: a form POST of `refresh-token` (or
// `device-code`) to {host}/api/freva-nextgen/auth/v2/token, and /device for the device login.
import { Hono } from "hono";
import { saveProfile } from "../../src/config.ts";
import { AuthError, LoginRequiredError, OAuthError } from "../../src/errors.ts";
import type { LoginPrompt } from "../../src/prompt.ts";
import { freva } from "../../presets.ts";
import { assert, presetHome, presetTests, writeFileWithMode } from "./helpers.ts";
import { assertRejectsWith } from "../support/assert.ts";
import { serve, type TestServer } from "../support/server.ts";
import { modeOf } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

const test = presetTests(import.meta.url);

const AUTH = "/api/freva-nextgen/auth/v2";

interface Freva extends TestServer {
  /** Form fields of every token request. */
  forms: Record<string, string>[];
  /** How the device code is decided: answers given to the polls, in order, then approval. */
  polls: string[];
  /** Tokens issued so far. */
  issued: Record<string, unknown>[];
}

function token(n: number, ttl = 300): Record<string, unknown> {
  return {
    access_token: `at-${n}`,
    token_type: "Bearer",
    expires: nowSeconds() + ttl,
    refresh_token: `rt-${n}`,
    refresh_expires: nowSeconds() + 86400,
    scope: "openid profile",
  };
}

/** A fake freva REST server's auth API. */
function frevaServer(): Freva {
  const forms: Record<string, string>[] = [];
  const polls: string[] = [];
  const issued: Record<string, unknown>[] = [];
  const valid = new Set(["rt-0"]);
  let url = "";
  const issue = () => {
    const t = token(issued.length + 1);
    issued.push(t);
    valid.add(t.refresh_token as string);
    return t;
  };
  const app = new Hono();
  app.post(`${AUTH}/device`, (c) =>
    c.json({
      device_code: "dc-1",
      user_code: "ABCD-EFGH",
      verification_uri: `${url}/device`,
      verification_uri_complete: `${url}/device?user_code=ABCD-EFGH`,
      expires_in: 600,
      interval: 0.02,
    }));
  app.post(`${AUTH}/token`, async (c) => {
    const form: Record<string, string> = {};
    for (const [k, v] of await c.req.formData()) form[k] = String(v);
    forms.push(form);
    const refresh = form["refresh-token"];
    if (refresh !== undefined) {
      if (!valid.delete(refresh)) return c.json({ detail: "Invalid refresh token" }, 401);
      return c.json(issue());
    }
    if (form["device-code"] === "dc-1") {
      const answer = polls.shift();
      if (answer === undefined) return c.json(issue());
      return c.json({ error: answer }, 400);
    }
    return c.json({ detail: "Bad request" }, 400);
  });
  const server = serve(app.fetch, { record: true });
  url = server.url;
  return Object.assign(server, { forms, polls, issued });
}

function pythonDump(t: Record<string, unknown>): string {
  return `{${
    Object.entries(t).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")
  }}`;
}

test("freva: batch mode — `--token-file old.json` refreshes without a prompt and writes both files 0600", async () => {
  await using home = await presetHome();
  await using server = frevaServer();
  // `freva-client auth > ~/.freva-login-token.json` as a shell writes it: 0644, access expired
  const old = { ...token(0), expires: nowSeconds() - 10 };
  await writeFileWithMode(home.at(".freva-login-token.json"), JSON.stringify(old), 0o644);
  const prompts: LoginPrompt[] = [];

  const t = await freva.authenticate({
    tokenFile: "~/.freva-login-token.json",
    host: server.url,
    onPrompt: (p) => void prompts.push(p),
  });
  assert.deepEqual(server.forms, [{ "refresh-token": "rt-0" }]);
  assert.deepEqual(prompts, []);
  assert.deepEqual(t, server.issued[0]);

  const expected = pythonDump(server.issued[0]!);
  const custom = home.at(".freva-login-token.json");
  const fallback = home.at(".cache", "freva", "auth-token.json");
  assert.equal(await Deno.readTextFile(custom), expected);
  assert.equal(await Deno.readTextFile(fallback), expected);
  assert.equal(await modeOf(custom), 0o600);
  assert.equal(await modeOf(fallback), 0o600);
  assert.deepEqual(home.warnings, [
    `tightened "${custom}" to mode 0600: it was readable by other users`,
  ]);

  assert.deepEqual(await freva.loadToken(), t);
  assert.deepEqual(await freva.loadToken("~/.freva-login-token.json"), t);
  // A valid token (beyond 60 s) is returned as is, from freva's default file, without a request.
  assert.deepEqual(await freva.authenticate({ host: server.url }), t);
  assert.equal(server.forms.length, 1);
});

test("freva: an access token within 60 s of expiry is refreshed; force recreates a valid one through a refresh without a terminal", async () => {
  await using home = await presetHome();
  await using server = frevaServer();
  const file = home.at(".cache", "freva", "auth-token.json");
  await writeFileWithMode(file, JSON.stringify({ ...token(0), expires: nowSeconds() + 30 }), 0o600);
  const first = await freva.authenticate({ host: server.url, interactive: false });
  assert.equal(first.access_token, "at-1");

  const forced = await freva.authenticate({ host: server.url, force: true, interactive: false });
  assert.equal(forced.access_token, "at-2");
  assert.deepEqual(server.forms, [{ "refresh-token": "rt-0" }, { "refresh-token": "rt-1" }]);
  assert.equal(await Deno.readTextFile(file), pythonDump(server.issued[1]!));
});

test("freva: times written as digit strings count as numbers, as in every other token JSON Latchkey reads", async () => {
  await using home = await presetHome();
  await using server = frevaServer();
  // A valid access token whose expiry a tool wrote as a string: used as is, without a request.
  const file = home.at(".cache", "freva", "auth-token.json");
  const stringly = { ...token(0), expires: String(nowSeconds() + 300), refresh_expires: "1" };
  await writeFileWithMode(file, JSON.stringify(stringly), 0o600);
  assert.deepEqual(await freva.authenticate({ host: server.url, interactive: false }), stringly);
  assert.deepEqual(server.forms, []);
  // Its refresh expiry, a string too, is in the past: once the access token expires, there
  // is nothing left to try without a person.
  await Deno.writeTextFile(
    file,
    JSON.stringify({ ...stringly, expires: String(nowSeconds() - 1) }),
  );
  await assertRejectsWith(
    () => freva.authenticate({ host: server.url, interactive: false }),
    LoginRequiredError,
  );
  assert.deepEqual(server.forms, []);
});

test("freva: without a usable token and without a person, it fails with the documented message", async () => {
  await using home = await presetHome();
  await using server = frevaServer();
  const error = await assertRejectsWith(
    () => freva.authenticate({ host: server.url, interactive: false }),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assert.equal(error.message, "Login failed or no valid token found in this environment");

  // A refresh token the server refuses: the same failure, the server's answer as the cause.
  const file = home.at("old.json");
  await writeFileWithMode(file, JSON.stringify({ ...token(9), expires: nowSeconds() - 1 }), 0o600);
  const refused = await assertRejectsWith(
    () => freva.authenticate({ tokenFile: file, host: server.url, interactive: false }),
    LoginRequiredError,
  );
  assert.ok(refused.cause instanceof OAuthError);
  assert.ok(!refused.message.includes("rt-9") && !String(refused.hint).includes("rt-9"));

  // An expired refresh token is not even tried.
  await Deno.writeTextFile(
    file,
    JSON.stringify({ ...token(0), expires: nowSeconds() - 1, refresh_expires: nowSeconds() - 1 }),
  );
  const before = server.forms.length;
  await assertRejectsWith(
    () => freva.authenticate({ tokenFile: file, host: server.url, interactive: false }),
    LoginRequiredError,
  );
  assert.equal(server.forms.length, before);
});

test("freva: interactively, the device login shows the URL and code, honours slow_down, and writes the token", async () => {
  await using home = await presetHome();
  await using server = frevaServer();
  server.polls.push("authorization_pending", "slow_down");
  const prompts: LoginPrompt[] = [];
  const started = Date.now();
  const t = await freva.authenticate({
    host: server.url,
    interactive: true,
    openBrowser: false,
    timeout: 0,
    onPrompt: (p) => void prompts.push(p),
  });
  assert.ok(Date.now() - started >= 5000 - 50, "slow_down adds 5 s");
  assert.equal(t.access_token, "at-1");
  assert.deepEqual(prompts, [{
    kind: "device",
    verificationUri: `${server.url}/device`,
    userCode: "ABCD-EFGH",
    verificationUriComplete: `${server.url}/device?user_code=ABCD-EFGH`,
    expiresIn: 600,
  }]);
  assert.deepEqual(server.forms, [
    { "device-code": "dc-1" },
    { "device-code": "dc-1" },
    { "device-code": "dc-1" },
  ]);
  assert.equal(
    await Deno.readTextFile(home.at(".cache", "freva", "auth-token.json")),
    pythonDump(server.issued[0]!),
  );

  // force with a terminal logs in again even with a valid refresh token
  const again = await freva.authenticate({
    host: server.url,
    force: true,
    interactive: true,
    openBrowser: false,
    onPrompt: () => {},
  });
  assert.equal(again.access_token, "at-2");
  assert.deepEqual(server.forms.at(-1), { "device-code": "dc-1" });
});

test("freva: a denied or unfinished device login fails clearly", async () => {
  await using _home = await presetHome();
  await using server = frevaServer();
  server.polls.push("access_denied");
  const options = { host: server.url, interactive: true, openBrowser: false, onPrompt: () => {} };
  await assertRejectsWith(() => freva.authenticate(options), LoginRequiredError, "LOGIN_REQUIRED");

  server.polls.push(...Array(1000).fill("authorization_pending"));
  const error = await assertRejectsWith(
    () => freva.authenticate({ ...options, timeout: 0.3 }),
    AuthError,
    "TIMEOUT",
  );
  assert.ok(error.message.startsWith("Login did not complete within the allotted time"));
});

test("freva: the host comes from the option or the saved profile; FREVA_TOKEN_FILE and XDG_CACHE_HOME move the default file", async () => {
  await using home = await presetHome();
  await using server = frevaServer();
  await assertRejectsWith(
    () => freva.authenticate({ interactive: false }),
    AuthError,
    "CONFIG_INVALID",
  );
  await assertRejectsWith(
    () => freva.authenticate({ host: "http://freva.example.org", interactive: false }),
    AuthError,
    "INSECURE_URL",
  );

  await saveProfile("freva", { preset: "freva", host: server.url });
  Deno.env.set("XDG_CACHE_HOME", home.at("xdg-cache"));
  assert.equal(freva.defaultTokenFile(), home.at("xdg-cache", "freva", "auth-token.json"));
  Deno.env.set("FREVA_TOKEN_FILE", "~/custom/freva.json");
  assert.equal(freva.defaultTokenFile(), home.at("custom", "freva.json"));
  await writeFileWithMode(home.at("custom", "freva.json"), JSON.stringify(token(0, -5)), 0o600);
  const t = await freva.authenticate({ interactive: false });
  assert.equal(t.access_token, "at-1");
  assert.equal(
    await Deno.readTextFile(home.at("custom", "freva.json")),
    pythonDump(server.issued[0]!),
  );
});

test("freva: isInteractive — BROWSER_SESSION decides, batch variables mean no person", async () => {
  await using _home = await presetHome();
  Deno.env.set("BROWSER_SESSION", "1");
  Deno.env.set("SLURM_JOB_ID", "42");
  assert.equal(freva.isInteractive(), true);
  Deno.env.set("BROWSER_SESSION", "false");
  assert.equal(freva.isInteractive(), false);
  Deno.env.delete("BROWSER_SESSION");
  assert.equal(freva.isInteractive(), false);
  Deno.env.delete("SLURM_JOB_ID");
  assert.equal(freva.isInteractive(), Deno.stdin.isTerminal() && Deno.stdout.isTerminal());
});
