/**
 * `latchkey fetch` against a hostile API and look-alike URLs, in a subprocess with the flags of
 * `deno task cli` (it may read any file): a redirect to a `file:` or `data:` URL — the
 * credential file itself, or a file holding a canary — fails as a network error (exit 3) with
 * nothing of the file on stdout or stderr; a URL whose origin only starts like the API origin
 * is refused before sending (exit 2).
 */

import { startMockProvider } from "../../testing.ts";
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { loggedInHome, runCli, show, tokenSecrets, writeConfig } from "../cli/helpers.ts";
import { makeHome } from "../support/home.ts";
import { CANARY } from "../support/canary.ts";

Deno.test("latchkey fetch answered by a redirect to a file: or data: URL exits 3 and prints nothing of it", async () => {
  await using provider = await startMockProvider();
  const { home, tokens, credentialPath } = await loggedInHome(provider);
  await using _ = home;
  const canaryPath = `${home.dir}/canary.txt`;
  await Deno.writeTextFile(canaryPath, `refresh_token=${CANARY.fileRefresh}\n`);
  const secrets = [
    ...tokenSecrets(tokens),
    CANARY.fileRefresh,
    credentialPath,
    canaryPath,
    await Deno.readTextFile(credentialPath),
  ];
  const locations = {
    "file:": [`file://${credentialPath}`, `file://${canaryPath}`],
    "data:": [`data:text/plain,${CANARY.fileRefresh}`],
  };
  for (const [scheme, urls] of Object.entries(locations)) {
    for (const location of urls) {
      for (const status of [302, 307]) {
        provider.inject({ path: "/api/leak", status, headers: { location } });
        const result = await runCli(home, ["fetch", "-i", "/api/leak"], { secrets });
        const label = `${status} to ${scheme}\n${show(result)}`;
        assertEquals(result.code, 3, label);
        assertEquals(result.stdout, "", label);
        assertStringIncludes(result.stderr, `redirect to a "${scheme}" URL is not followed`, label);
      }
    }
  }
});

Deno.test("latchkey fetch refuses a URL whose origin only starts like the API origin, with exit 2", async () => {
  await using home = await makeHome();
  await writeConfig(home, {
    default: {
      issuer: "https://id.example.org",
      clientId: "latchkey-cli",
      apiOrigins: ["https://api.example.org"],
      store: "file",
    },
  });
  const env = { LATCHKEY_TOKEN: CANARY.envToken };
  const results = await Promise.all(
    [
      "https://api.example.org.evil.example/x",
      "https://api.example.org:444/x",
      "https://api.example.org@evil.example/x",
      "http://api.example.org/x",
    ].map((url) => runCli(home, ["fetch", url], { env, secrets: [CANARY.envToken] })),
  );
  for (const result of results) {
    assertEquals(result.code, 2, show(result));
    assertStringIncludes(result.stderr, "not one of the profile's API origins", show(result));
  }
});
