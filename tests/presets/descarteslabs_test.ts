// descarteslabs.Auth replays Descartes Labs' documented Auth (seeds/descarteslabs-auth.txt, S2)
// against a Hono fake of its accounts server (JSON `POST {domain}/token`).
import { Hono } from "hono";
import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "../../src/errors.ts";
import { descarteslabs } from "../../presets.ts";
import { assert, presetHome, presetTests, sha1, writeFileWithMode } from "./helpers.ts";
import { assertRejectsWith } from "../support/assert.ts";
import { serve, type TestServer } from "../support/server.ts";
import { fakeJwt } from "../support/jwt.ts";
import { modeOf } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

const test = presetTests(import.meta.url);

const CLIENT_ID = "ZOBAi4UROl5gKZIpxxlwOEfx8KpqXf2c";
const SECRET = "b70B_ozH6CaV23WQ-toFQ8CaujGHDs-eC39QEJTRnZa9Z";
const SUB = "google-oauth2|111394065463461298461";

interface Accounts extends TestServer {
  /** JSON bodies of the token requests, in order. */
  bodies: Record<string, unknown>[];
  /** Statuses to answer with before succeeding (e.g. [503, 503]); push onto it. */
  failures: number[];
}

/**
 * Runs `fn`, returning the delay of every timer set while it ran (through the
 * global `setTimeout`, which the retry's sleep uses).
 */
async function timerDelays(fn: () => Promise<unknown>): Promise<number[]> {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((handler: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return original(handler, ms);
  }) as typeof setTimeout;
  try {
    await fn();
  } finally {
    globalThis.setTimeout = original;
  }
  return delays;
}

/** A fake of the Descartes Labs accounts server, as the Python client's source speaks to it. */
function accounts(clients: Record<string, string> = { [CLIENT_ID]: SECRET }): Accounts {
  const bodies: Record<string, unknown>[] = [];
  const failures: number[] = [];
  const app = new Hono();
  app.post("/token", async (c) => {
    if (c.req.header("content-type") !== "application/json") return c.text("JSON expected", 415);
    const body = await c.req.json();
    bodies.push(body);
    const failure = failures.shift();
    if (failure !== undefined) return c.text("try again later", failure as 503);
    const { client_id, grant_type, refresh_token } = body;
    if (grant_type !== "refresh_token" || clients[client_id] !== refresh_token) {
      // a server that echoes what it got: the client must not repeat the secret
      return c.json({
        error: "invalid_grant",
        error_description: `unknown refresh token ${refresh_token}`,
      }, 401);
    }
    return c.json({
      access_token: fakeJwt({
        aud: client_id,
        sub: SUB,
        exp: nowSeconds() + 3600,
        iat: nowSeconds(),
        name: "Ada Lovelace",
        groups: ["public"],
        org: "descarteslabs",
        email: "ada@example.org",
        email_verified: true,
      }),
      token_type: "Bearer",
    });
  });
  return Object.assign(serve(app.fetch, { record: true }), { bodies, failures });
}

test("descarteslabs: the documented default — credentials from token_info.json, a JSON refresh, namespace and payload", async () => {
  await using home = await presetHome();
  await using server = accounts();
  // What `descarteslabs auth login` wrote, with Python's default umask.
  const file = home.at(".descarteslabs", "token_info.json");
  await writeFileWithMode(
    file,
    `{"client_id": "${CLIENT_ID}", "client_secret": "${SECRET}", "refresh_token": "${SECRET}", "name": "Ada"}`,
    0o644,
  );

  const auth = new descarteslabs.Auth({ domain: server.url });
  const token = await auth.token();
  assert.deepEqual(server.bodies, [
    { client_id: CLIENT_ID, grant_type: "refresh_token", refresh_token: SECRET },
  ]);
  assert.equal(await auth.namespace(), await sha1(SUB));
  assert.equal((await auth.namespace()).length, 40);
  const payload = await auth.payload();
  assert.equal(payload.name, "Ada Lovelace");
  assert.deepEqual(payload.groups, ["public"]);
  assert.equal(payload.email_verified, true);
  assert.equal(await auth.clientId(), CLIENT_ID);
  assert.equal(await auth.tokenInfoPath(), file);

  // The new access token is kept in token_info.json (other keys kept), now 0600.
  assert.equal(
    await Deno.readTextFile(file),
    `{"client_id": "${CLIENT_ID}", "client_secret": "${SECRET}", "refresh_token": "${SECRET}", "name": "Ada", "jwt_token": "${token}"}`,
  );
  assert.equal(await modeOf(file), 0o600);
  assert.deepEqual(home.warnings, [
    `tightened "${file}" to mode 0600: it was readable by other users`,
  ]);

  // Another instance uses it without asking the server again.
  const next = new descarteslabs.Auth({ domain: server.url });
  const status = await next.status(); // local state only
  assert.equal(server.bodies.length, 1);
  assert.equal(status.loggedIn, true);
  assert.equal(status.refreshable, true);
  assert.equal(status.source, "file");
  assert.equal(status.path, file);
  assert.equal(status.subject, SUB);
  assert.ok(!JSON.stringify(status).includes(SECRET) && !JSON.stringify(status).includes(token));
  assert.equal(await next.token(), token);
  assert.equal(server.bodies.length, 1);
});

test("descarteslabs: DESCARTESLABS_CLIENT_ID + _CLIENT_SECRET, the access token cached per client without revealing the secret", async () => {
  await using home = await presetHome();
  await using server = accounts();
  Deno.env.set("DESCARTESLABS_CLIENT_ID", CLIENT_ID);
  Deno.env.set("DESCARTESLABS_CLIENT_SECRET", SECRET);
  Deno.env.set("CLIENT_ID", "unprefixed-is-ignored");
  Deno.env.set("LATCHKEY_CLIENT_ID", "latchkey-is-ignored");

  const token = await new descarteslabs.Auth({ domain: server.url }).token();
  assert.equal(server.bodies[0]!.client_id, CLIENT_ID);
  const cache = home.at(".descarteslabs", `jwt_token_${await sha1(SECRET)}.json`);
  assert.equal(await Deno.readTextFile(cache), `{"jwt_token": "${token}"}`);
  assert.equal(await modeOf(cache), 0o600);
  for (const entry of Deno.readDirSync(home.at(".descarteslabs"))) {
    assert.ok(!entry.name.includes(SECRET));
  }
  // token_info.json is not consulted when credentials come from the environment
  assert.deepEqual(home.warnings, []);

  assert.equal(await new descarteslabs.Auth({ domain: server.url }).token(), token);
  assert.equal(server.bodies.length, 1);

  // DESCARTESLABS_NO_JWT_CACHE=true: the cache is not read
  Deno.env.set("DESCARTESLABS_NO_JWT_CACHE", "true");
  await new descarteslabs.Auth({ domain: server.url }).token();
  assert.equal(server.bodies.length, 2);
  Deno.env.delete("CLIENT_ID");
});

test("descarteslabs: refreshToken ≡ clientSecret — both and different warns and the refresh token wins; env and params mix", async () => {
  await using home = await presetHome();
  await using server = accounts();
  const auth = new descarteslabs.Auth({
    domain: server.url,
    clientId: CLIENT_ID,
    clientSecret: "stale-secret",
    refreshToken: SECRET,
  });
  await auth.token();
  assert.equal(server.bodies[0]!.refresh_token, SECRET);
  assert.equal(home.warnings.length, 1);
  assert.ok(home.warnings[0]!.includes("clientSecret and refreshToken differ"));
  assert.ok(!home.warnings[0]!.includes(SECRET));

  // the client id from the environment, the secret as a parameter
  Deno.env.set("DESCARTESLABS_CLIENT_ID", CLIENT_ID);
  await new descarteslabs.Auth({ domain: server.url, clientSecret: SECRET, tokenInfoPath: null })
    .token();
  // DESCARTESLABS_REFRESH_TOKEN is DESCARTESLABS_CLIENT_SECRET
  Deno.env.set("DESCARTESLABS_REFRESH_TOKEN", SECRET);
  Deno.env.set("DESCARTESLABS_NO_JWT_CACHE", "1");
  await new descarteslabs.Auth({ domain: server.url }).token();
  assert.equal(server.bodies.at(-1)!.refresh_token, SECRET);
});

test("descarteslabs: a short-lived token alone is used until it expires, and discarded when it was issued to another client", async () => {
  await using home = await presetHome();
  await using server = accounts();
  const valid = fakeJwt({ aud: CLIENT_ID, sub: SUB, exp: nowSeconds() + 3600 });
  Deno.env.set("DESCARTESLABS_TOKEN", valid);
  assert.equal(await new descarteslabs.Auth({ domain: server.url }).token(), valid);
  Deno.env.delete("DESCARTESLABS_TOKEN");

  const expired = fakeJwt({ aud: CLIENT_ID, sub: SUB, exp: nowSeconds() - 10 });
  await assertRejectsWith(
    () => new descarteslabs.Auth({ domain: server.url, jwtToken: expired }).token(),
    TokenExpiredError,
    "TOKEN_EXPIRED",
  );

  const foreign = fakeJwt({ aud: "another-client", sub: SUB, exp: nowSeconds() + 3600 });
  const error = await assertRejectsWith(
    () =>
      new descarteslabs.Auth({ domain: server.url, jwtToken: foreign, clientId: CLIENT_ID })
        .token(),
    AuthError,
    "CONFIG_INVALID",
  );
  assert.ok(error.message.includes(CLIENT_ID));

  // With id and secret, a matching token is used until it falls within the leeway, then renewed.
  const soon = fakeJwt({ aud: CLIENT_ID, sub: SUB, exp: nowSeconds() + 400 });
  const base = { domain: server.url, clientId: CLIENT_ID, clientSecret: SECRET, jwtToken: soon };
  assert.equal(await new descarteslabs.Auth({ ...base, leeway: 300 }).token(), soon);
  assert.equal(server.bodies.length, 0);
  const renewed = await new descarteslabs.Auth({ ...base, tokenInfoPath: null }).token(); // leeway 500
  assert.notEqual(renewed, soon);
  assert.equal(server.bodies.length, 1);
  assert.ok(home.warnings.every((w) => !w.includes(SECRET)));
});

test("descarteslabs: tokenInfoPath with credentials writes them; a matching file is reused, a conflicting one overwritten", async () => {
  await using home = await presetHome();
  await using server = accounts({ [CLIENT_ID]: SECRET, "other-client": "other-secret" });
  const file = home.at("accounts", "work.json");
  const auth = new descarteslabs.Auth({
    domain: server.url,
    tokenInfoPath: file,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
  });
  const token = await auth.token();
  assert.equal(
    await Deno.readTextFile(file),
    `{"client_id": "${CLIENT_ID}", "client_secret": "${SECRET}", "refresh_token": "${SECRET}", "jwt_token": "${token}"}`,
  );
  assert.equal(await modeOf(file), 0o600);

  // matching: the file's access token is used, no new request
  const again = new descarteslabs.Auth({
    domain: server.url,
    tokenInfoPath: file,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
  });
  assert.equal(await again.token(), token);
  assert.equal(server.bodies.length, 1);

  // alone, the path switches accounts like DESCARTESLABS_TOKEN_INFO_PATH
  assert.equal(
    await new descarteslabs.Auth({ domain: server.url, tokenInfoPath: file }).token(),
    token,
  );

  // conflicting: overwritten with the new credentials
  const other = await new descarteslabs.Auth({
    domain: server.url,
    tokenInfoPath: file,
    clientId: "other-client",
    clientSecret: "other-secret",
  }).token();
  assert.equal(
    await Deno.readTextFile(file),
    `{"client_id": "other-client", "client_secret": "other-secret", "refresh_token": "other-secret", "jwt_token": "${other}"}`,
  );
  assert.deepEqual(home.warnings, []);
});

test("descarteslabs: DESCARTESLABS_TOKEN_INFO_PATH moves the file; tokenInfoPath null never reads one", async () => {
  await using home = await presetHome();
  await using server = accounts();
  const file = home.at("elsewhere", "token_info.json");
  await writeFileWithMode(
    file,
    `{"client_id": "${CLIENT_ID}", "refresh_token": "${SECRET}"}`,
    0o600,
  );
  Deno.env.set("DESCARTESLABS_TOKEN_INFO_PATH", file);
  const token = await new descarteslabs.Auth({ domain: server.url }).token();
  assert.equal(
    await Deno.readTextFile(file),
    `{"client_id": "${CLIENT_ID}", "refresh_token": "${SECRET}", "jwt_token": "${token}"}`,
  );

  const none = new descarteslabs.Auth({ domain: server.url, tokenInfoPath: null });
  await assertRejectsWith(() => none.token(), LoginRequiredError, "LOGIN_REQUIRED");
  assert.deepEqual(home.warnings, [
    "no valid authentication info found: see https://docs.descarteslabs.com/authentication.html",
  ]);
});

test("descarteslabs: no credentials at all — the two warnings of the Python client, then LoginRequiredError", async () => {
  await using home = await presetHome();
  const auth = new descarteslabs.Auth();
  assert.equal(auth.domain, "https://accounts.descarteslabs.com");
  assert.equal(auth.leeway, 500);
  const error = await assertRejectsWith(() => auth.token(), LoginRequiredError, "LOGIN_REQUIRED");
  assert.ok(error.hint?.includes("descarteslabs auth login"));
  assert.deepEqual(home.warnings, [
    `unable to read token_info from "${
      home.at(".descarteslabs", "token_info.json")
    }": no such file`,
    "no valid authentication info found: see https://docs.descarteslabs.com/authentication.html",
  ]);

  // A client id without a secret is incomplete.
  await assertRejectsWith(
    () => new descarteslabs.Auth({ clientId: CLIENT_ID, tokenInfoPath: null }).token(),
    AuthError,
    "CONFIG_INVALID",
  );
  // A secret without a client id too.
  await assertRejectsWith(
    () => new descarteslabs.Auth({ clientSecret: SECRET, tokenInfoPath: null }).token(),
    AuthError,
    "CONFIG_INVALID",
  );
});

test("descarteslabs: a refused refresh is an OAuthError 'Could not retrieve token' that never echoes the secret", async () => {
  await using _home = await presetHome();
  await using server = accounts();
  const auth = new descarteslabs.Auth({
    domain: server.url,
    clientId: CLIENT_ID,
    clientSecret: "wrong-secret-value",
    tokenInfoPath: null,
  });
  const error = await assertRejectsWith(() => auth.token(), OAuthError, "OAUTH_ERROR");
  assert.ok(error.message.startsWith("Could not retrieve token: invalid_grant"), error.message);
  assert.equal(error.status, 401);
  assert.ok(!error.message.includes("wrong-secret-value"), error.message);
  assert.ok(!Deno.inspect(auth).includes("wrong-secret-value"));
});

test("descarteslabs: retries 429/5xx with a random backoff within the bounds, then gives up", async () => {
  await using home = await presetHome();
  await using server = accounts();
  const base = {
    domain: server.url,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    tokenInfoPath: null,
  };
  Deno.env.set("DESCARTESLABS_NO_JWT_CACHE", "true");

  server.failures.push(503, 429, 502);
  const started = Date.now();
  const delays = await timerDelays(() =>
    new descarteslabs.Auth({ ...base, retries: { minBackoff: 0.05, maxBackoff: 0.08 } }).token()
  );
  const elapsed = Date.now() - started;
  assert.equal(server.bodies.length, 4);
  assert.ok(elapsed >= 150, `waited ${elapsed} ms`);
  // Each of the three waits lies within [minBackoff, maxBackoff], read off the timers set
  // (not the clock, which a loaded machine stretches).
  assert.equal(delays.length, 3, `timers set: ${delays.join(", ")}`);
  for (const ms of delays) assert.ok(ms >= 50 && ms <= 80, `waited ${ms} ms, expected 50 to 80`);

  server.failures.push(500, 500);
  const error = await assertRejectsWith(
    () =>
      new descarteslabs.Auth({ ...base, retries: { total: 1, minBackoff: 0.01, maxBackoff: 0.01 } })
        .token(),
    OAuthError,
    "OAUTH_ERROR",
  );
  assert.equal(error.status, 500);
  assert.equal(server.bodies.length, 6);

  // When a refresh fails, the current token is used until it really expires.
  server.failures.push(500);
  const soon = fakeJwt({ aud: CLIENT_ID, sub: SUB, exp: nowSeconds() + 100 });
  assert.equal(await new descarteslabs.Auth({ ...base, jwtToken: soon, retries: 0 }).token(), soon);
  assert.ok(
    home.warnings.some((w) => w.startsWith("could not renew the token")),
    home.warnings.join("\n"),
  );
});

test("descarteslabs: scope is sent space-separated; a token without exp counts as expired", async () => {
  await using _home = await presetHome();
  await using server = accounts();
  const noExp = fakeJwt({ aud: CLIENT_ID, sub: SUB });
  await new descarteslabs.Auth({
    domain: server.url,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    jwtToken: noExp,
    scope: ["openid", "name", "groups"],
    tokenInfoPath: null,
  }).token();
  assert.deepEqual(server.bodies, [
    {
      client_id: CLIENT_ID,
      grant_type: "refresh_token",
      refresh_token: SECRET,
      scope: "openid name groups",
    },
  ]);
});

test("descarteslabs: fromEnvironmentOrTokenJson, getDefaultAuth (lazy singleton) and setDefaultAuth", async () => {
  await using _home = await presetHome();
  descarteslabs.Auth.setDefaultAuth(undefined);
  const first = descarteslabs.Auth.getDefaultAuth();
  assert.equal(descarteslabs.Auth.getDefaultAuth(), first);
  const mine = descarteslabs.Auth.fromEnvironmentOrTokenJson({ domain: "accounts.example.org" });
  assert.ok(mine instanceof descarteslabs.Auth);
  assert.equal(mine.domain, "https://accounts.example.org");
  descarteslabs.Auth.setDefaultAuth(mine);
  assert.equal(descarteslabs.Auth.getDefaultAuth(), mine);
  descarteslabs.Auth.setDefaultAuth(undefined);
  try {
    new descarteslabs.Auth({ domain: "http://accounts.example.org" });
    assert.fail("expected INSECURE_URL");
  } catch (error) {
    assert.ok(error instanceof AuthError && error.code === "INSECURE_URL");
  }
});
