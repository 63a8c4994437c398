// An OS error the user can fix is one line naming the file or the port, with a hint and exit 2,
// never a bare "Is a directory (os error 21)" or "Address already in use (os error 98)".
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, show } from "./helpers.ts";
import { makeHome } from "../support/home.ts";

function assertOneError(stderr: string, needle: string): void {
  assertStringIncludes(stderr, needle);
  assert(!/os error|\n\s+at /.test(stderr), `a raw OS error or a stack trace:\n${stderr}`);
  assertEquals(stderr.split("\n").filter((l) => l.startsWith("latchkey: error:")).length, 1);
  assertStringIncludes(stderr, "latchkey: hint:");
}

Deno.test("a token file that is a directory is refused naming it, exit 2", async () => {
  await using home = await makeHome();
  const dir = `${home.dir}/tokens`;
  await Deno.mkdir(dir);
  for (
    const [args, env] of [
      [["token"], { LATCHKEY_TOKEN_FILE: dir }],
      [["refresh", "--token-file", dir], {}],
    ] as const
  ) {
    const result = await runCli(home, [...args], { env });
    assertEquals(result.code, 2, show(result));
    assertOneError(result.stderr, `Cannot read token file "${dir}": it is a directory`);
  }
});

Deno.test("a config file that is a directory is refused naming it, exit 2", async () => {
  await using home = await makeHome();
  const path = `${home.config}/latchkey/config.json`;
  await Deno.mkdir(path, { recursive: true });
  const result = await runCli(home, ["status"]);
  assertEquals(result.code, 2, show(result));
  assertOneError(result.stderr, `Cannot read config file "${path}": it is a directory`);
});

Deno.test("mock-server on a busy port names the port, exit 2", async () => {
  await using home = await makeHome();
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const result = await runCli(home, ["mock-server", "--port", String(port)]);
  assertEquals(result.code, 2, show(result));
  // a usage error: one line, its hint in parentheses
  assertEquals(
    result.stderr,
    `latchkey: port ${port} on 127.0.0.1 is in use (pick another with --port N, or leave --port out for a free one)\n`,
  );
});
