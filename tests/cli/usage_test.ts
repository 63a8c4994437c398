// Help, version, and the one-line usage errors (exit 2) of the CLI.
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { COMMANDS } from "../../cli/commands.ts";
import { runCli, show, writeConfig } from "./helpers.ts";
import { makeHome } from "../support/home.ts";

Deno.test("every command has --help with a usage line and an example, on stdout", async () => {
  await using home = await makeHome();
  const names = Object.keys(COMMANDS);
  const results = await Promise.all(names.map((name) => runCli(home, [name, "--help"])));
  results.forEach((result, i) => {
    assertEquals(result.code, 0, show(result));
    assertStringIncludes(result.stdout, `Usage: latchkey ${names[i]}`);
    assert(/^Examples?:\n {2}.*latchkey /m.test(result.stdout), show(result));
    assertStringIncludes(result.stdout, "--profile P");
    assertEquals(result.stderr, "");
  });
  const main = await runCli(home, ["-h"]);
  assertEquals(main.code, 0);
  for (const name of names) assertStringIncludes(main.stdout, `  ${name} `);
});

Deno.test("--version and -V print the version from deno.json, before or after a command", async () => {
  await using home = await makeHome();
  const { version } = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  const results = await Promise.all([
    runCli(home, ["--version"]),
    runCli(home, ["status", "-V"]),
  ]);
  for (const result of results) {
    assertEquals(result.code, 0, show(result));
    assert(result.stdout.startsWith(`latchkey ${version} `), show(result));
  }
});

Deno.test("unknown commands and bad flags exit 2 with a one-line hint on stderr", async () => {
  await using home = await makeHome();
  const cases: [string[], RegExp][] = [
    [["frobnicate"], /unknown command "frobnicate" \(run `latchkey --help`/],
    [["stauts"], /did you mean `latchkey status`\?/],
    [["status", "--frob"], /unknown option "--frob" for "status" \(see `latchkey status --help`\)/],
    [["--issuer", "https://x.example", "login"], /command options go after the command/],
    [
      ["login", "--flow", "magic"],
      /"--flow" must be one of device, browser, client_credentials, password/,
    ],
    [["login", "--timeout", "soon"], /"--timeout" needs a number of seconds/],
    [["status", "--profile"], /option "--profile" needs a value/],
    [["token", "extra"], /"token" takes no arguments/],
    [["fetch"], /"fetch" needs more arguments/],
    [["refresh", "--in-place"], /--in-place needs --token-file F/],
    [["profiles", "switch", "x"], /unknown action "switch"/],
    [["save-token", "--key", "k"], /--key needs --file/],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(home, args)));
  results.forEach((result, i) => {
    assertEquals(result.code, 2, show(result));
    assertEquals(result.stdout, "");
    assertEquals(result.stderr.trimEnd().split("\n").length, 1, show(result));
    assert(cases[i]![1].test(result.stderr), `${cases[i]![1]}\n${show(result)}`);
  });
});

Deno.test("secrets offered as options are refused without echoing them", async () => {
  await using home = await makeHome();
  const secret = "s3cr3t-value-never-echoed";
  // (The secret is in these children's argv on purpose: the user typed it there.)
  const results = await Promise.all([
    runCli(home, ["login", `--client-secret=${secret}`]),
    runCli(home, ["login", "--password", secret]),
    runCli(home, ["save-token", `--token=${secret}`]),
  ]);
  for (const result of results) {
    assertEquals(result.code, 2, show(result));
    assertStringIncludes(result.stderr, "secrets are never read from arguments");
    assert(!result.stderr.includes(secret) && !result.stdout.includes(secret), show(result));
  }
  assertStringIncludes(results[0]!.stderr, "LATCHKEY_CLIENT_SECRET or use --client-secret-stdin");
});

Deno.test("latchkey without a command prints the help on stderr and exits 2", async () => {
  await using home = await makeHome();
  const result = await runCli(home, []);
  assertEquals(result.code, 2);
  assertEquals(result.stdout, "");
  assertStringIncludes(result.stderr, "Usage: latchkey");
});

Deno.test("global flags work before and after the command", async () => {
  await using home = await makeHome();
  await writeConfig(home, { work: { issuer: "https://id.example.org", clientId: "cli" } });
  const [before, after] = await Promise.all([
    runCli(home, ["--profile", "work", "--json", "status"]),
    runCli(home, ["status", "--json", "--profile=work"]),
  ]);
  for (const result of [before, after]) {
    assertEquals(result.code, 1, show(result));
    assertEquals(JSON.parse(result.stdout).profile, "work");
  }
});

Deno.test("login --help names every store the parser accepts", async () => {
  await using home = await makeHome();
  const help = await runCli(home, ["login", "--help"]);
  const line = help.stdout.split("\n").find((l) => l.includes("--store STORE"))!;
  for (const store of ["auto", "keyring", "file", "redis", "kv"]) {
    assert(new RegExp(`\\b${store}\\b`).test(line), `${store} in: ${line}`);
  }
});

Deno.test("--json prints JSON where it means something and is refused where it does not", async () => {
  await using home = await makeHome();
  const [version, logout, fetched] = await Promise.all([
    runCli(home, ["-V", "--json"]),
    runCli(home, ["logout", "--json"]),
    runCli(home, ["fetch", "--json", "/x"]),
  ]);
  assertEquals(version.code, 0, show(version));
  assertEquals(Object.keys(JSON.parse(version.stdout)), ["version", "deno"]);
  assertEquals(logout.code, 0, show(logout));
  assertEquals(JSON.parse(logout.stdout), {
    profile: "default",
    revoked: false,
    deleted: false,
    warning: null,
  });
  assertEquals(fetched.code, 2, show(fetched));
  assertStringIncludes(fetched.stderr, "--json does not apply to fetch");
});

Deno.test("mock-server --help shows the demo credentials, which the mock accepts", async () => {
  await using home = await makeHome();
  const help = await runCli(home, ["mock-server", "--help"]);
  for (const text of ["alice", "wonderland", "latchkey-service", "service-secret"]) {
    assertStringIncludes(help.stdout, text);
  }
  const { startMockProvider } = await import("../../testing.ts");
  await using provider = await startMockProvider();
  const login = await runCli(home, [
    "login",
    "--issuer",
    provider.issuer,
    "--client-id",
    "latchkey-service",
    "--api",
    provider.issuer,
  ], { env: { LATCHKEY_CLIENT_SECRET: "service-secret", LATCHKEY_STORE: "file" } });
  assertEquals(login.code, 0, show(login));
});

Deno.test("a password login without a terminal names --username and --password-stdin", async () => {
  await using home = await makeHome();
  const args = ["login", "--flow", "password", "--issuer", "https://id.example.org"];
  const [noUser, noPassword] = await Promise.all([
    runCli(home, [...args, "--client-id", "cli"]),
    runCli(home, [...args, "--client-id", "cli", "--username", "alice"]),
  ]);
  assertEquals(noUser.code, 2, show(noUser));
  assertStringIncludes(noUser.stderr, "--username U");
  assertEquals(noPassword.code, 2, show(noPassword));
  assertStringIncludes(noPassword.stderr, "--password-stdin");
});
