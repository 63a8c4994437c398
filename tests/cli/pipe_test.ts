// A reader that closes stdout early (`latchkey fetch … | head -1`) ends the CLI quietly with
// exit 0, as curl and gh do: no "Broken pipe" error, nothing on stderr.
import { startMockProvider } from "../../testing.ts";
import { assertEquals } from "../support/assert.ts";
import { loggedInHome, runCli, show, tokenSecrets } from "./helpers.ts";

Deno.test("latchkey fetch -i piped into head -1 exits 0 and prints no error", async () => {
  await using provider = await startMockProvider();
  const { home, tokens } = await loggedInHome(provider);
  await using _ = home;
  // far more than a pipe buffer holds, so the CLI is still writing when head has gone
  const body = "x".repeat(4 << 20);
  for (let run = 0; run < 3; run++) {
    provider.inject({ path: "/api/big", status: 200, body });
    const result = await runCli(home, ["fetch", "-i", "/api/big"], {
      secrets: tokenSecrets(tokens),
      // the exit status of the pipe is the CLI's when it fails (pipefail); its stderr is kept apart
      wrap: (command) => [
        "bash",
        "-c",
        `set -o pipefail; "$@" 2>"${home.dir}/stderr.txt" | head -1`,
        "_",
        ...command,
      ],
    });
    const stderr = await Deno.readTextFile(`${home.dir}/stderr.txt`);
    assertEquals(result.code, 0, `${show(result)}\n--- CLI stderr\n${stderr}`);
    assertEquals(result.stdout.trim(), "HTTP/1.1 200 OK", show(result));
    assertEquals(stderr, "");
  }
});
