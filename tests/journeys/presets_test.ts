// Journeys of the README's "Presets": each preset's user path as the README shows it, across
// processes — a token saved by the CLI (or by the Python client, 0644) used by a program in
// another process, and written back in the same format, 0600.
import { Hono } from "hono";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, show } from "../cli/helpers.ts";
import { programs, realTest, startSecretService } from "../real/helpers.ts";
import { runProgram } from "./program.ts";
import { realHome } from "./steps.ts";
import { serve, type TestServer } from "../support/server.ts";
import { fakeJwt } from "../support/jwt.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";
import { modeOf } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

/** A loopback Hono server that records the Authorization header of each request. */
function serveApp(app: Hono): TestServer & { authorizations: string[] } {
  const authorizations: string[] = [];
  const outer = new Hono();
  outer.use(async (c, next) => {
    authorizations.push(c.req.header("authorization") ?? "");
    await next();
  });
  outer.route("/", app);
  return Object.assign(serve(outer.fetch), { authorizations });
}

Deno.test("README Presets: cave — a token saved by `latchkey login --preset cave < token.txt` is used by a program's cave.AuthClient in another process", async () => {
  await using home = await makeHome();
  const app = new Hono();
  app.get("/info/api/v2/datastacks", (c) => c.json(["minnie65_public"]));
  await using server = serveApp(app);
  const token = canary("cave-token");
  await Deno.writeTextFile(`${home.cwd}/token.txt`, `${token}\n`, { mode: 0o600 });

  const login = await runCli(home, ["login", "--preset", "cave", "--host", server.url], {
    stdin: await Deno.readTextFile(`${home.cwd}/token.txt`),
    secrets: [token],
  });
  assertEquals(login.code, 0, show(login));
  assertStringIncludes(login.stderr, `${server.url}/auth/api/v1/create_token`); // getNewToken's steps
  const file = `${home.dir}/.cloudvolume/secrets/cave-secret.json`;
  assertEquals(JSON.parse(await Deno.readTextFile(file)), { token });
  assertEquals(await modeOf(file), 0o600);

  const program = await runProgram(
    home,
    `import { cave } from "{{ROOT}}presets.ts";
    const c = new cave.AuthClient({ serverAddress: ${JSON.stringify(server.url)} });
    const res = await c.fetch(${JSON.stringify(`${server.url}/info/api/v2/datastacks`)});
    console.log(res.status, (await c.token()) === ${JSON.stringify(token)});`,
    { secrets: [token] },
  );
  assertEquals(program.stdout.trim(), "200 true", show(program));
  assertEquals(server.authorizations, [`Bearer ${token}`]);
});

Deno.test("README Presets: cave — a cave-secret.json the Python client wrote 0644, other keys and all, is used as is, and a new token is written back in its format, 0600, with one warning", async () => {
  await using home = await makeHome();
  const dir = `${home.dir}/.cloudvolume/secrets`;
  await Deno.mkdir(dir, { recursive: true });
  const file = `${dir}/cave-secret.json`;
  const first = canary("cave-token");
  await Deno.writeTextFile(file, JSON.stringify({ token: first, other: "kept" }), { mode: 0o644 });

  const token = await runCli(home, ["token", "--preset", "cave"], {
    secrets: [first],
    stdoutMayHoldSecrets: true,
  });
  assertEquals([token.code, token.stdout], [0, `${first}\n`], show(token));
  assertEquals(token.stderr.trim().split("\n").length, 1, show(token));
  assertStringIncludes(token.stderr, "0600");
  assertEquals(await modeOf(file), 0o600);

  const second = canary("cave-token");
  const saved = await runProgram(
    home,
    `import { cave } from "{{ROOT}}presets.ts";
    await new cave.AuthClient({}).saveToken(${JSON.stringify(second)}, { overwrite: true });`,
    { secrets: [first, second] },
  );
  assertEquals(saved.code, 0, show(saved));
  assertEquals(JSON.parse(await Deno.readTextFile(file)), { token: second, other: "kept" });
  assertEquals(await modeOf(file), 0o600);
});

/** A fake of the Descartes Labs accounts server: JSON `POST /token`, a refresh grant. */
function accounts(clientId: string, secret: string) {
  const bodies: Record<string, unknown>[] = [];
  const app = new Hono();
  app.post("/token", async (c) => {
    const body = await c.req.json();
    bodies.push(body);
    if (body.client_id !== clientId || body.refresh_token !== secret) {
      return c.json({ error: "invalid_grant" }, 401);
    }
    return c.json({
      access_token: fakeJwt({
        aud: clientId,
        sub: "google-oauth2|1",
        exp: nowSeconds() + 3600,
        n: bodies.length,
      }),
      token_type: "Bearer",
    });
  });
  return Object.assign(serveApp(app), { bodies });
}

Deno.test("README Presets: descarteslabs — `latchkey token --preset descarteslabs` uses the token_info.json the Python client wrote, keeps its format, and a program in another process reuses the token", async () => {
  await using home = await makeHome();
  const clientId = "dl-client";
  const secret = canary("dl-secret");
  await using server = accounts(clientId, secret);
  const dir = `${home.dir}/.descarteslabs`;
  await Deno.mkdir(dir);
  const file = `${dir}/token_info.json`;
  // What `descarteslabs auth login` wrote, with Python's default umask.
  const written =
    `{"client_id": "${clientId}", "client_secret": "${secret}", "refresh_token": "${secret}", "name": "Ada"}`;
  await Deno.writeTextFile(file, written, { mode: 0o644 });

  const token = await runCli(home, ["token", "--preset", "descarteslabs", "--domain", server.url], {
    secrets: [secret],
    stdoutMayHoldSecrets: true,
  });
  assertEquals(token.code, 0, show(token));
  const jwt = token.stdout.trim();
  assertEquals(server.bodies, [{
    client_id: clientId,
    grant_type: "refresh_token",
    refresh_token: secret,
  }]);
  assertEquals(
    await Deno.readTextFile(file),
    `${written.slice(0, -1)}, "jwt_token": "${jwt}"}`,
    "written back in its own format, other keys kept",
  );
  assertEquals(await modeOf(file), 0o600);
  assertEquals(token.stderr.trim().split("\n").length, 1, show(token)); // the one warning

  const program = await runProgram(
    home,
    `import { descarteslabs } from "{{ROOT}}presets.ts";
    const d = new descarteslabs.Auth({ domain: ${JSON.stringify(server.url)} });
    console.log((await d.token()) === ${JSON.stringify(jwt)}, (await d.payload()).sub);`,
    { secrets: [secret] },
  );
  assertEquals(program.stdout.trim(), "true google-oauth2|1", show(program));
  assertEquals(server.bodies.length, 1, "the program reused the token");
});

Deno.test("README Presets: descarteslabs — from DESCARTESLABS_CLIENT_ID/_SECRET, later processes reuse the cached token", async () => {
  await using home = await makeHome();
  const secret = canary("dl-secret");
  await using server = accounts("dl-client", secret);
  const env = { DESCARTESLABS_CLIENT_ID: "dl-client", DESCARTESLABS_CLIENT_SECRET: secret };
  const args = ["token", "--preset", "descarteslabs", "--domain", server.url];
  const first = await runCli(home, args, { env, secrets: [secret], stdoutMayHoldSecrets: true });
  const second = await runCli(home, args, { env, secrets: [secret], stdoutMayHoldSecrets: true });
  assertEquals([first.code, second.code], [0, 0], show(first) + show(second));
  assertEquals(second.stdout, first.stdout);
  assertEquals(server.bodies.length, 1);
});

/** A fake of freva's refresh endpoint: a form POST of `refresh-token`. */
function frevaServer(refreshToken: string) {
  const forms: Record<string, string>[] = [];
  let valid = refreshToken;
  const app = new Hono();
  app.post("/api/freva-nextgen/auth/v2/token", async (c) => {
    const form = Object.fromEntries([...await c.req.formData()].map(([k, v]) => [k, String(v)]));
    forms.push(form);
    if (form["refresh-token"] !== valid) return c.json({ detail: "Invalid refresh token" }, 401);
    valid = canary("freva-rt");
    return c.json({
      access_token: fakeJwt({ sub: "u-1", preferred_username: "janedoe", n: forms.length }),
      token_type: "Bearer",
      expires: nowSeconds() + (forms.length === 1 ? 2 : 300),
      refresh_token: valid,
      refresh_expires: nowSeconds() + 86400,
      scope: "openid profile",
    });
  });
  return Object.assign(serveApp(app), { forms });
}

Deno.test("README Presets: freva — a program's freva.authenticate with README's line (the host saved by `latchkey login --preset freva`, the file freva-client wrote) refreshes it in its format, and `latchkey token --preset freva` uses the result", async () => {
  await using home = await makeHome();
  const refresh = canary("freva-rt");
  await using freva = frevaServer(refresh);
  const file = `${home.dir}/.freva-login-token.json`;
  // `freva-client auth > ~/.freva-login-token.json` as a shell leaves it: 0644, access expired
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      access_token: "expired-access",
      token_type: "Bearer",
      expires: nowSeconds() - 10,
      refresh_token: refresh,
      refresh_expires: nowSeconds() + 3600,
      scope: "openid profile",
      extra: "kept",
    }),
    { mode: 0o644 },
  );
  const read = async () => JSON.parse(await Deno.readTextFile(file));

  // The batch job's first run names the host; the token it gets lives 2 s.
  const login = await runCli(home, [
    "login",
    "--preset",
    "freva",
    "--host",
    freva.url,
    "--token-file",
    file,
  ], { secrets: [refresh], stdoutMayHoldSecrets: true });
  assertEquals(login.code, 0, show(login));
  const first = await read();
  assertEquals(JSON.parse(login.stdout).access_token, first.access_token);
  assertEquals([first.extra, await modeOf(file)], ["kept", 0o600]);

  await new Promise((resolve) => setTimeout(resolve, 2_100));
  // README's line as is: no host (the profile's), the file by "~".
  const program = await runProgram(
    home,
    `import { freva } from "{{ROOT}}presets.ts";
    const t = await freva.authenticate({ tokenFile: "~/.freva-login-token.json" });
    console.log(typeof t.access_token, typeof t.refresh_token);`,
    { secrets: [first.refresh_token] },
  );
  assertEquals(program.stdout.trim(), "string string", show(program));
  assertEquals(freva.forms, [{ "refresh-token": refresh }, {
    "refresh-token": first.refresh_token,
  }]);
  const second = await read();
  assert(second.refresh_token !== first.refresh_token, "the rotated refresh token is kept");
  assertEquals([second.extra, typeof second.expires, await modeOf(file)], [
    "kept",
    "number",
    0o600,
  ]);

  const token = await runCli(home, ["token", "--preset", "freva", "--token-file", file], {
    secrets: [second.refresh_token],
    stdoutMayHoldSecrets: true,
  });
  assertEquals([token.code, token.stdout], [0, `${second.access_token}\n`], show(token));
  assertEquals(freva.forms.length, 2, "a valid token: no request");
});

/** The anaconda API's fake: issues an API key, then answers the client's requests. */
function anacondaApi(apiKey: string) {
  const app = new Hono();
  app.post("/api/iam/api-keys", (c) => c.json({ api_key: apiKey }, 201));
  app.get("/api/endpoint", (c) => c.json({ ok: true }));
  return serveApp(app);
}

realTest(
  "README Presets: anaconda — `latchkey login --preset anaconda` keeps the API key in the real keychain, a program's clientFactory client uses it in another process, and logout removes it",
  [programs("dbus-run-session", "gnome-keyring-daemon", "secret-tool")],
  120_000,
  async () => {
    await using home = await makeHome();
    await using service = await startSecretService(realHome(home));
    const password = canary("password");
    await using provider = await startMockProvider({
      clients: [{ clientId: "anaconda-test", grants: ["password"], scope: "openid" }],
      users: [{ username: "alice", password, sub: "user-alice", email: "alice@example.org" }],
    });
    const apiKey = fakeJwt({ sub: "user-alice", exp: nowSeconds() + 86400, marker: canary("key") });
    await using api = anacondaApi(apiKey);
    const env = {
      DBUS_SESSION_BUS_ADDRESS: service.env.DBUS_SESSION_BUS_ADDRESS!,
      ANACONDA_CLOUD_AUTH_DOMAIN: provider.issuer,
      ANACONDA_CLOUD_API_DOMAIN: api.url,
      ANACONDA_CLOUD_AUTH_CLIENT_ID: "anaconda-test",
    };
    const secrets = [password, apiKey];
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

    // Where anaconda-cloud-auth looks: service "Anaconda Cloud", user = the auth domain.
    const domain = new URL(provider.issuer).host;
    const lookup = await secretTool(
      ["lookup", "service", "Anaconda Cloud", "username", domain],
      env,
    );
    assertEquals(lookup.code, 0, "the keychain holds the API key where the Python client looks");

    const program = await runProgram(
      home,
      `import { anaconda } from "{{ROOT}}presets.ts";
      const Client = anaconda.clientFactory("my-app/1.0");
      const res = await new Client().get("/api/endpoint");
      console.log(res.status, JSON.stringify(await res.json()));`,
      { env, secrets },
    );
    assertEquals(program.stdout.trim(), '200 {"ok":true}', show(program));
    assertEquals(api.authorizations.at(-1), `Bearer ${apiKey}`);

    const logout = await runCli(home, ["logout", "--preset", "anaconda"], { env, secrets });
    assertEquals(logout.code, 0, show(logout));
    const gone = await secretTool(["lookup", "service", "Anaconda Cloud", "username", domain], env);
    assert(gone.code !== 0 || gone.stdout === "", "the API key is still in the keychain");
  },
);

async function secretTool(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command("secret-tool", {
    args,
    env,
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}
