// Journeys of the README's "Where a credential comes from" and "Use it from code": each step a
// separate process with a fresh HOME and only the environment that step has.
import { startMockProvider } from "../../testing.ts";
import { assertEquals } from "../support/assert.ts";
import { runCli, show } from "../cli/helpers.ts";
import { runProgram } from "./program.ts";
import { serviceLogin } from "./steps.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

Deno.test("README Where a credential comes from: a .env in the working folder is read, and the real environment wins over it", async () => {
  await using home = await makeHome();
  const fromFile = canary("dotenv-token");
  const fromEnv = canary("env-token");
  await Deno.writeTextFile(`${home.cwd}/.env`, `LATCHKEY_TOKEN=${fromFile}\n`, { mode: 0o600 });
  const secrets = [fromFile, fromEnv];

  const status = await runCli(home, ["status", "--json"], { secrets });
  assertEquals(status.code, 0, show(status));
  assertEquals(JSON.parse(status.stdout).source, "dotenv");
  const token = await runCli(home, ["token"], { secrets, stdoutMayHoldSecrets: true });
  assertEquals(token.stdout, `${fromFile}\n`, show(token));

  const env = { LATCHKEY_TOKEN: fromEnv };
  const winner = await runCli(home, ["token"], { env, secrets, stdoutMayHoldSecrets: true });
  assertEquals(winner.stdout, `${fromEnv}\n`, show(winner));
});

Deno.test("README Use it from code: a program's new Auth() uses the login the CLI made in another process", async () => {
  const secret = canary("client-secret");
  await using provider = await startMockProvider({
    clients: [{
      clientId: "svc",
      clientSecret: secret,
      grants: ["client_credentials"],
      scope: "api",
    }],
  });
  await using home = await makeHome();
  const login = await serviceLogin(home, provider.issuer, secret, "file");
  assertEquals(login.code, 0, show(login));

  // The user's program: its own process, the README's two lines, no secret in its environment.
  const program = `
    import { Auth } from "{{ROOT}}mod.ts";
    const auth = new Auth();
    const res = await auth.fetch(${JSON.stringify(`${provider.issuer}/api/whoami`)});
    console.log(res.status, (await res.json()).sub, (await auth.status()).source);
  `;
  const ran = await runProgram(home, program, { secrets: [secret] });
  assertEquals(ran.stdout.trim(), "200 svc file", ran.stderr);
  assertEquals(ran.stdout.includes(secret), false);
});
