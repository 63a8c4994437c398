// On a terminal (a pseudo terminal from util-linux `script`) the CLI shows a QR code and a spinner
// while it waits, and colours its messages unless NO_COLOR is set; off a terminal it writes no
// escape sequence at all.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { partTest, SCRIPT } from "../real/helpers.ts";
import { runCli, type RunOptions, show, spawnCli } from "./helpers.ts";
import { type Home, makeHome } from "../support/home.ts";
import { inTerminal } from "../support/terminal.ts";

function terminalOptions(env: Record<string, string>): RunOptions {
  return {
    interactive: true,
    env: { SHELL: "/bin/sh", TERM: "xterm", ...env },
    wrap: inTerminal,
  };
}

async function terminalRun(home: Home, args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(home, args, terminalOptions(env));
  return await cli.finish();
}

partTest({
  name: "a device login on a terminal shows a QR code and a spinner; NO_COLOR drops every colour",
  needs: [SCRIPT],
  async fn() {
    await using provider = await startMockProvider({ deviceInterval: 0.2 });
    await using home = await makeHome();
    const args = [
      "login",
      "--issuer",
      provider.issuer,
      "--client-id",
      "latchkey-cli",
      "--store",
      "file",
      "--no-browser",
      "--force",
    ];
    for (const env of [{}, { NO_COLOR: "1" }] as Record<string, string>[]) {
      const cli = spawnCli(home, args, terminalOptions(env));
      const [, code] = await cli.waitFor(/enter the code: (\S+)/);
      await cli.waitFor(/Waiting for you to approve the code/);
      provider.approveDevice(code!);
      const result = await cli.finish();
      assertEquals(result.code, 0, show(result));
      assertStringIncludes(result.stderr, "Logged in to");
      if ("NO_COLOR" in env) {
        assert(!new RegExp("\x1b\\[[\\d;]*m").test(result.stderr), "no colour with NO_COLOR");
      } else {
        assert(/[▀▄█]/.test(result.stderr), "a QR code is drawn");
      }
    }
  },
});

partTest({
  name: "errors are coloured on a terminal, plain with NO_COLOR and off a terminal",
  needs: [SCRIPT],
  async fn() {
    await using home = await makeHome();
    const [coloured, plain, piped] = await Promise.all([
      terminalRun(home, ["token"]),
      terminalRun(home, ["token"], { NO_COLOR: "1" }),
      runCli(home, ["token"], { env: { TERM: "xterm" } }),
    ]);
    for (const result of [coloured, plain, piped]) assertEquals(result.code, 1, show(result));
    assertStringIncludes(coloured.stderr, "\x1b[31mlatchkey: error:");
    assert(!plain.stderr.includes("\x1b["), show(plain));
    assert(!piped.stderr.includes("\x1b["), show(piped));
  },
});
