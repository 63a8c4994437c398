// On a machine without a working keychain (a headless server), the "keyring is not available"
// note comes once, when a credential goes to the file store instead, not on every command.
import { startMockProvider } from "../../testing.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { writeFakeSecretTool } from "../presets/fake_secret_tool.ts";
import { runCli, show } from "./helpers.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

const NOTE = "the keyring is not available";

Deno.test({
  name: "the keyring-unavailable note shows at login only, once, and not on later commands",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const secret = canary("client-secret");
    await using provider = await startMockProvider({
      clients: [{ clientId: "svc", clientSecret: secret, grants: ["client_credentials"] }],
    });
    await using home = await makeHome();
    await writeFakeSecretTool(`${home.dir}/fake-bin`);
    const env = { PATH: `${home.dir}/fake-bin:${home.env.PATH}`, FAKE_KEYRING_DOWN: "1" };
    const before = await runCli(home, ["status"], { env });
    assertEquals(before.code, 1, show(before));
    assertEquals(before.stderr.includes(NOTE), false, show(before));
    const login = await runCli(home, [
      "login",
      "--issuer",
      provider.issuer,
      "--client-id",
      "svc",
      "--api",
      provider.issuer,
    ], { env: { ...env, LATCHKEY_CLIENT_SECRET: secret }, secrets: [secret] });
    assertEquals(login.code, 0, show(login));
    assertEquals(login.stderr.split(NOTE).length - 1, 1, show(login));
    assertStringIncludes(login.stderr, "file store");
    for (const args of [["status"], ["token"], ["logout"]]) {
      const result = await runCli(home, args, { env, secrets: [secret] });
      assertEquals(result.code, 0, show(result));
      assertEquals(result.stderr.includes(NOTE), false, show(result));
    }
  },
});
