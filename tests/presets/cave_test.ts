// cave.AuthClient replays CAVEclient's documented auth session (seeds/cave-client.txt, S0).
import { Hono } from "hono";
import { AuthError } from "../../src/errors.ts";
import { cave } from "../../presets.ts";
import { assert, captureStdout, presetHome, presetTests, writeFileWithMode } from "./helpers.ts";
import { assertRejectsWith } from "../support/assert.ts";
import { serve } from "../support/server.ts";
import { modeOf } from "../support/files.ts";

const test = presetTests(import.meta.url);

test("cave: the documented session — no token, instructions, save, a new client reads it, an explicit token overrides", async () => {
  await using home = await presetHome();
  const file = home.at(".cloudvolume", "secrets", "cave-secret.json");

  // "Let's see if you have a token already. Probably not."
  const auth = new cave.AuthClient();
  assert.equal(await auth.token(), undefined);

  // get_new_token() prints the steps (stdout) and returns them.
  const { out, value } = await captureStdout(() => auth.getNewToken());
  assert.equal(out, value);
  assert.ok(value.includes("https://global.daf-apis.com/auth/api/v1/create_token"), value);
  assert.ok(value.includes('saveToken("PASTE_YOUR_TOKEN_HERE")'), value);
  assert.ok(
    value.includes("Creating a new token by finishing step 2 will invalidate the previous token!"),
  );
  // A CLI keeps stdout for results: print: false only returns the text.
  const quiet = await captureStdout(() => auth.getNewToken({ print: false }));
  assert.equal(quiet.out, "");
  assert.equal(quiet.value, value);

  // save_token(token=new_token) writes the CloudVolume-compatible default file.
  await auth.saveToken("abcdef1234567890");
  assert.equal(await auth.token(), "abcdef1234567890");
  assert.equal(await Deno.readTextFile(file), '{"token": "abcdef1234567890"}');
  assert.equal(await modeOf(file), 0o600);
  assert.equal(await modeOf(home.at(".cloudvolume", "secrets")), 0o700);
  assert.equal(await modeOf(home.at(".cloudvolume")), 0o700);

  // A new client picks the saved token up automatically.
  assert.equal(await new cave.AuthClient().token(), "abcdef1234567890");
  assert.equal(await new cave.AuthClient().tokenFile(), file);

  // A directly specified token overrides the file.
  const direct = new cave.AuthClient({ token: "another_fake_token_678" });
  assert.equal(await direct.token(), "another_fake_token_678");
  assert.deepEqual(await direct.requestHeader(), {
    Authorization: "Bearer another_fake_token_678",
  });
  assert.deepEqual(home.warnings, []);
});

test("cave: saveToken refuses to replace a key unless overwrite is true, and keeps the other keys", async () => {
  await using home = await presetHome();
  const file = home.at(".cloudvolume", "secrets", "cave-secret.json");
  await writeFileWithMode(file, '{"token": "old", "other": "kept"}', 0o600);
  const auth = new cave.AuthClient();
  assert.equal(await auth.token(), "old");

  const error = await assertRejectsWith(() => auth.saveToken("new"), AuthError, "USAGE");
  assert.equal(
    error.message,
    `Cannot save token: key "token" already exists in token file "${file}"`,
  );
  assert.ok(error.hint?.includes("overwrite: true"));
  assert.equal(await Deno.readTextFile(file), '{"token": "old", "other": "kept"}');

  await auth.saveToken("new", { overwrite: true });
  assert.equal(await Deno.readTextFile(file), '{"token": "new", "other": "kept"}');
  assert.equal(await auth.token(), "new");
});

test("cave: another file and key, with missing folders created; ~ is expanded", async () => {
  await using home = await presetHome();
  const auth = new cave.AuthClient();
  await auth.saveToken("t-123", {
    tokenFile: "~/elsewhere/deep/my-secret.json",
    tokenKey: "mykey",
  });
  const file = home.at("elsewhere", "deep", "my-secret.json");
  assert.equal(await Deno.readTextFile(file), '{"mykey": "t-123"}');
  assert.equal(await modeOf(file), 0o600);
  // the client switched to that file and key (switch_token=True)
  assert.equal(await auth.token(), "t-123");
  assert.equal(auth.tokenKey, "mykey");

  const reader = new cave.AuthClient({ tokenFile: file, tokenKey: "mykey" });
  assert.equal(await reader.token(), "t-123");
  // a key that is missing is no token, not an error (as in Python)
  assert.equal(await new cave.AuthClient({ tokenFile: file }).token(), undefined);
  // get_token(token_key) reloads from the file under another key
  const other = new cave.AuthClient({ tokenFile: file, token: "explicit" });
  assert.equal(await other.getToken("mykey"), "t-123");
  assert.equal(await other.token(), "t-123");
});

test("cave: <host>-cave-secret.json is preferred for its server, and saves go there", async () => {
  await using home = await presetHome();
  const dir = home.at(".cloudvolume", "secrets");
  await writeFileWithMode(`${dir}/cave-secret.json`, '{"token": "global"}', 0o600);
  await writeFileWithMode(
    `${dir}/minnie.example.org-cave-secret.json`,
    '{"token": "minnie"}',
    0o600,
  );

  assert.equal(await new cave.AuthClient().token(), "global");
  const minnie = new cave.AuthClient({ serverAddress: "minnie.example.org" });
  assert.equal(minnie.serverAddress, "https://minnie.example.org");
  assert.equal(await minnie.token(), "minnie");
  await minnie.saveToken("minnie-2", { overwrite: true });
  assert.equal(
    await Deno.readTextFile(`${dir}/minnie.example.org-cave-secret.json`),
    '{"token": "minnie-2"}',
  );
  assert.equal(await Deno.readTextFile(`${dir}/cave-secret.json`), '{"token": "global"}');
});

test("cave: the deprecated chunkedgraph-secret.json is read with a warning; saves go to cave-secret.json", async () => {
  await using home = await presetHome();
  const dir = home.at(".cloudvolume", "secrets");
  await writeFileWithMode(`${dir}/chunkedgraph-secret.json`, '{"token": "legacy"}', 0o600);
  const auth = new cave.AuthClient();
  assert.equal(await auth.token(), "legacy");
  assert.equal(home.warnings.length, 1);
  assert.ok(home.warnings[0]!.includes("is deprecated"), home.warnings[0]);
  assert.ok(home.warnings[0]!.includes("cave-secret.json"));
  await auth.saveToken("fresh");
  assert.equal(await Deno.readTextFile(`${dir}/cave-secret.json`), '{"token": "fresh"}');
  assert.equal(await Deno.readTextFile(`${dir}/chunkedgraph-secret.json`), '{"token": "legacy"}');
});

test("cave: a file the Python client wrote 0644 is tightened to 0600 with one warning", async () => {
  await using home = await presetHome();
  const file = home.at(".cloudvolume", "secrets", "cave-secret.json");
  await writeFileWithMode(file, '{"token": "py"}', 0o644);
  assert.equal(await new cave.AuthClient().token(), "py");
  assert.equal(await modeOf(file), 0o600);
  assert.equal(home.warnings.length, 1);
  assert.ok(home.warnings[0]!.includes("0600"));
});

test("cave: a file that is not a JSON object is BAD_TOKEN_FILE naming the file, never the content", async () => {
  await using home = await presetHome();
  const file = home.at(".cloudvolume", "secrets", "cave-secret.json");
  await writeFileWithMode(file, "s3cr3t-not-json", 0o600);
  const error = await assertRejectsWith(
    () => new cave.AuthClient().token(),
    AuthError,
    "BAD_TOKEN_FILE",
  );
  assert.ok(error.message.includes(file));
  assert.ok(!error.message.includes("s3cr3t"));
  await Deno.writeTextFile(file, '{"token": 42}');
  await assertRejectsWith(() => new cave.AuthClient().token(), AuthError, "BAD_TOKEN_FILE");
});

test("cave: fetch sends the token to the server and the services' origins only, shared by all services", async () => {
  await using _home = await presetHome();
  const seen = (server: string) => (request: Request) => ({
    server,
    path: new URL(request.url).pathname,
    authorization: request.headers.get("authorization"),
    cookie: request.headers.get("cookie"),
    userAgent: request.headers.get("user-agent"),
  });
  const log: ReturnType<ReturnType<typeof seen>>[] = [];
  const app = (name: string) =>
    new Hono().all("*", (c) => {
      log.push(seen(name)(c.req.raw));
      return c.json({ ok: true });
    });
  await using global = serve(app("global").fetch, { record: true });
  await using materialize = serve(app("materialize").fetch, { record: true });
  await using elsewhere = serve(app("elsewhere").fetch, { record: true });

  const auth = new cave.AuthClient({
    serverAddress: global.url,
    token: "abcdef1234567890",
    apiOrigins: [materialize.url],
    userAgent: "caveclient-ts/1.0",
  });
  assert.deepEqual(auth.apiOrigins, [global.url, materialize.url]);
  // Every sub-service gets the same bound fetch.
  const services = { info: auth.fetch, materialize: auth.fetch };
  await (await services.info(`${global.url}/info/api/v2/datastacks`)).body?.cancel();
  await (await services.materialize(`${materialize.url}/materialize/api/v3/tables`)).body?.cancel();
  await (await auth.fetch(`${elsewhere.url}/leak`)).body?.cancel();

  assert.deepEqual(log, [
    {
      server: "global",
      path: "/info/api/v2/datastacks",
      authorization: "Bearer abcdef1234567890",
      cookie: "middle_auth_token=abcdef1234567890",
      userAgent: "caveclient-ts/1.0",
    },
    {
      server: "materialize",
      path: "/materialize/api/v3/tables",
      authorization: "Bearer abcdef1234567890",
      cookie: "middle_auth_token=abcdef1234567890",
      userAgent: "caveclient-ts/1.0",
    },
    {
      server: "elsewhere",
      path: "/leak",
      authorization: null,
      cookie: null,
      userAgent: "caveclient-ts/1.0",
    },
  ]);

  // Without a token, requests go out unauthenticated (request_header is {}).
  log.length = 0;
  const anonymous = new cave.AuthClient({ serverAddress: global.url });
  assert.deepEqual(await anonymous.requestHeader(), {});
  await (await anonymous.fetch(`${global.url}/public`)).body?.cancel();
  assert.equal(log[0]!.authorization, null);

  // After saveToken, the same fetch uses the new token.
  await anonymous.saveToken("new-token");
  await (await anonymous.fetch(`${global.url}/private`)).body?.cancel();
  assert.equal(log[1]!.authorization, "Bearer new-token");
});

test("cave: server addresses are https unless on loopback; the token never shows in inspect or JSON", async () => {
  await using _home = await presetHome();
  assert.equal(
    new cave.AuthClient({ serverAddress: "global.daf-apis.com" }).serverAddress,
    "https://global.daf-apis.com",
  );
  try {
    new cave.AuthClient({ serverAddress: "http://global.daf-apis.com" });
    assert.fail("expected INSECURE_URL");
  } catch (error) {
    assert.ok(error instanceof AuthError && error.code === "INSECURE_URL");
  }
  const auth = new cave.AuthClient({ token: "hidden-token-value" });
  assert.ok(!Deno.inspect(auth).includes("hidden-token-value"));
  assert.ok(!JSON.stringify(auth).includes("hidden-token-value"));
  await assertRejectsWith(() => auth.saveToken(""), TypeError);
});
