// chunkedgraph.AuthClient replays FrameworkClient's documented auth session
// (seeds/framework-client.txt, S1), and CAVEclient reads its file as a legacy location.
import { cave, chunkedgraph } from "../../presets.ts";
import { assert, captureStdout, presetHome, presetTests, writeFileWithMode } from "./helpers.ts";
import { modeOf } from "../support/files.ts";

const test = presetTests(import.meta.url);

test("chunkedgraph: the documented session — no token, instructions, save, a new client reads it, an explicit token overrides", async () => {
  await using home = await presetHome();
  const file = home.at(".cloudvolume", "secrets", "chunkedgraph-secret.json");

  const auth = new chunkedgraph.AuthClient();
  assert.equal(await auth.token(), undefined);

  const { out, value } = await captureStdout(() => auth.getNewToken());
  assert.equal(out, value);
  assert.ok(value.includes("https://global.daf-apis.com/auth/api/v1/refresh_token"), value);
  assert.ok(value.includes('saveToken("PASTE_YOUR_TOKEN_HERE")'));
  assert.ok(value.includes("will invalidate the previous token"));

  await auth.saveToken("fake_token_123");
  assert.equal(await auth.token(), "fake_token_123");
  assert.equal(await Deno.readTextFile(file), '{"token": "fake_token_123"}');
  assert.equal(await modeOf(file), 0o600);

  assert.equal(await new chunkedgraph.AuthClient().token(), "fake_token_123");
  assert.equal(
    await new chunkedgraph.AuthClient({ token: "another_fake_token_678" }).token(),
    "another_fake_token_678",
  );
});

test("chunkedgraph: another file or key can be given to saveToken", async () => {
  await using home = await presetHome();
  const auth = new chunkedgraph.AuthClient();
  const file = home.at("tokens", "cg.json");
  await auth.saveToken("cg-token", { tokenFile: file, tokenKey: "chunkedgraph" });
  assert.equal(await Deno.readTextFile(file), '{"chunkedgraph": "cg-token"}');
  assert.equal(
    await new chunkedgraph.AuthClient({ tokenFile: file, tokenKey: "chunkedgraph" }).token(),
    "cg-token",
  );
});

test("chunkedgraph: it does not read cave-secret.json, while cave reads chunkedgraph-secret.json as legacy", async () => {
  await using home = await presetHome();
  const dir = home.at(".cloudvolume", "secrets");
  await writeFileWithMode(`${dir}/cave-secret.json`, '{"token": "cave"}', 0o600);
  assert.equal(await new chunkedgraph.AuthClient().token(), undefined);
  await Deno.remove(`${dir}/cave-secret.json`);

  await new chunkedgraph.AuthClient().saveToken("from-framework-client");
  assert.equal(await new cave.AuthClient().token(), "from-framework-client");
  assert.equal(home.warnings.length, 1);
  assert.ok(home.warnings[0]!.includes("deprecated"));
});
