// A token someone hands over (a CI secret, a token copied from a web page) becomes a working
// profile in one step, as with `gh auth login --with-token`: `save-token --api ORIGIN` and
// `login --with-token --api ORIGIN` read it from stdin, and the next process's `fetch` sends it.
import { startMockProvider } from "../../testing.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, show } from "./helpers.ts";
import { makeHome } from "../support/home.ts";

for (const command of [["save-token"], ["login", "--with-token"]]) {
  Deno.test(`${command.join(" ")} --api ORIGIN makes a profile whose fetch sends the token`, async () => {
    await using provider = await startMockProvider();
    await using home = await makeHome();
    const { access_token: token } = await provider.issueTokens({
      username: "alice",
      clientId: "latchkey-cli",
    });
    const saved = await runCli(home, [...command, "--api", provider.issuer, "--json"], {
      stdin: token,
      secrets: [token],
    });
    assertEquals(saved.code, 0, show(saved));
    const status = JSON.parse(saved.stdout);
    assertEquals([status.loggedIn, status.apiOrigins], [true, [provider.issuer]]);
    // the next process, with nothing in its environment
    const fetched = await runCli(home, ["fetch", "/api/whoami"], { secrets: [token] });
    assertEquals(fetched.code, 0, show(fetched));
    assertEquals(JSON.parse(fetched.stdout).sub, "user-alice");
  });
}

Deno.test("login --with-token refuses the options of a sign-in, exit 2", async () => {
  await using home = await makeHome();
  const result = await runCli(home, ["login", "--with-token", "--flow", "device"], {
    stdin: "a-token",
  });
  assertEquals(result.code, 2, show(result));
  assertStringIncludes(result.stderr, "--with-token and --flow do not go together");
});

Deno.test("save-token with a client secret in the environment saves to the profile, which the next process uses", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const { access_token: token } = await provider.issueTokens({
    username: "alice",
    clientId: "latchkey-cli",
  });
  // A secret in the environment is material of its own, cached under a hash of it: a token a
  // person saves still belongs to the profile.
  const env = { LATCHKEY_CLIENT_SECRET: "unrelated-secret" };
  const saved = await runCli(home, ["save-token", "--api", provider.issuer], {
    stdin: token,
    env,
    secrets: [token, env.LATCHKEY_CLIENT_SECRET],
  });
  assertEquals(saved.code, 0, show(saved));
  const status = await runCli(home, ["status", "--json"], { secrets: [token] });
  assertEquals(status.code, 0, show(status));
  assertEquals(JSON.parse(status.stdout).loggedIn, true);
});

Deno.test("an empty stdin's hint names the command that was run", async () => {
  await using home = await makeHome();
  for (const command of [["save-token"], ["login", "--with-token"]]) {
    const result = await runCli(home, command, { stdin: "" });
    assertEquals(result.code, 2, show(result));
    assertStringIncludes(result.stderr, `… | latchkey ${command.join(" ")}\``);
  }
});
