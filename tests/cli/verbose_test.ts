// `-v` shows each debug line once: the CLI builds more than one Auth for some commands (login
// resolves, then signs in), and a line said while building one must not repeat for the next.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { runCli, show } from "./helpers.ts";
import { makeHome } from "../support/home.ts";

Deno.test("-v login and -v token print no line twice", async () => {
  await using provider = await startMockProvider();
  await using home = await makeHome();
  const login = await runCli(home, [
    "-v",
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-service",
    "--flow",
    "client_credentials",
    "--store",
    "file",
  ], { env: { LATCHKEY_CLIENT_SECRET: "service-secret" }, secrets: ["service-secret"] });
  assertEquals(login.code, 0, show(login));
  const token = await runCli(home, ["-v", "token"], { stdoutMayHoldSecrets: true });
  assertEquals(token.code, 0, show(token));
  for (const result of [login, token]) {
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    const repeated = lines.filter((line, i) => lines.indexOf(line) !== i);
    assertEquals(repeated, [], show(result));
  }
  assert(login.stderr.includes("debug:"), `-v showed no debug line:\n${show(login)}`);
});
