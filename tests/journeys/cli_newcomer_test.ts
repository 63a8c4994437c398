// Journey of the README's "The CLI", walked by a newcomer: every command once on a fresh HOME with
// nothing set. Each failure is one error line with a hint and the contract's exit code; every
// hint that is a command is run as printed (placeholders filled in) and must lead somewhere else;
// each command's --help names the flags README's CLI table gives it, and README names every flag
// --help lists.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { ROOT, runCli, type RunResult, show, spawnCli } from "../cli/helpers.ts";
import { type Home, makeHome } from "../support/home.ts";

const README = await Deno.readTextFile(`${ROOT}README.md`);

/** A newcomer's first try of each command, and the contract's exit code for it. */
const WALK: { args: string[]; exit: number; stdin?: string }[] = [
  { args: ["bogus"], exit: 2 },
  { args: ["login"], exit: 2 },
  { args: ["login", "--with-token"], exit: 2, stdin: "" },
  { args: ["status"], exit: 1 },
  { args: ["status", "--all"], exit: 1 },
  { args: ["token"], exit: 1 },
  { args: ["fetch"], exit: 2 },
  { args: ["fetch", "/v1/me"], exit: 2 },
  { args: ["logout"], exit: 0 },
  { args: ["logout", "--all"], exit: 0 },
  { args: ["refresh"], exit: 1 },
  { args: ["refresh", "--token-file", "token.json"], exit: 2 },
  { args: ["save-token"], exit: 2, stdin: "" },
  { args: ["profiles"], exit: 0 },
  { args: ["profiles", "use", "work"], exit: 2 },
  { args: ["profiles", "remove", "work"], exit: 2 },
  { args: ["--profile", "work", "status"], exit: 2 },
];

/** The lines of stderr that are not a hint (a warning counts: it is one more line to read). */
function errorLines(result: RunResult): string[] {
  return result.stderr.split("\n").filter((line) =>
    line.trim() !== "" && !/^latchkey: hint: /.test(line)
  );
}

/** The commands a message tells the reader to run: `latchkey …` in backquotes, or after "Try:". */
function hintedCommands(text: string): string[] {
  const quoted = [...text.matchAll(/`(latchkey [^`]+)`/g)].map((m) => m[1]!);
  const tried = [...text.matchAll(/^Try: (latchkey .+)$/gm)].map((m) => m[1]!);
  // a pipe, a redirect or an ellipsis is a shape to fill in, not a command to run as printed
  return [...quoted, ...tried].filter((command) => !/[|<>…]/.test(command));
}

/** Runs a hinted command as printed, approving a device login it starts as the person would. */
async function runHint(
  home: Home,
  command: string,
  approve: (code: string) => void,
): Promise<RunResult> {
  const cli = spawnCli(home, command.split(" ").slice(1));
  let finished = false;
  const approving = (async () => {
    while (!finished) {
      const code = cli.output().match(/enter the code: (\S+)/)?.[1];
      if (code) return approve(code);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const result = await cli.finish();
  finished = true;
  await approving;
  return result;
}

Deno.test("README The CLI: a newcomer's every command on a fresh HOME fails in one line with a hint and the contract's exit code, and each hinted command leads on", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.2 });
  const fill = (command: string) =>
    command.replaceAll("URL", provider.issuer).replaceAll(" ID", " latchkey-cli")
      .replaceAll("NAME", "default").replace(/ --force$/, "");
  const hints = new Map<string, RunResult>(); // hinted command → the result that printed it
  {
    // No command at all: the usage, as git and gh show it, and exit 2.
    await using home = await makeHome();
    const bare = await runCli(home, []);
    assertEquals(bare.code, 2, show(bare));
    assert(bare.stderr.startsWith("Usage: latchkey "), show(bare));
  }
  for (const step of WALK) {
    await using home = await makeHome();
    const result = await runCli(
      home,
      step.args,
      step.stdin === undefined ? {} : {
        stdin: step.stdin,
      },
    );
    const label = `latchkey ${step.args.join(" ")}\n${show(result)}`;
    assertEquals(result.code, step.exit, label);
    if (result.code !== 0) {
      assertEquals(errorLines(result).length, 1, `not one error line: ${label}`);
      assert(/latchkey: hint: |\(.+\)|`latchkey /.test(result.stderr), `no hint: ${label}`);
    }
    for (const command of hintedCommands(result.stderr)) {
      if (!hints.has(command)) hints.set(command, result);
    }
  }
  assert(hints.size >= 3, `too few hinted commands: ${[...hints.keys()]}`);

  for (const [hint, before] of hints) {
    await using home = await makeHome();
    const result = await runHint(home, fill(hint), (code) => provider.approveDevice(code));
    console.log(`hint: ${hint} -> exit ${result.code}: ${errorLines(result)[0] ?? ""}`);
    const label = `hint \`${hint}\` (run as \`${fill(hint)}\`)\n${show(result)}\nprinted by\n${
      show(before)
    }`;
    assert(result.code !== 130 && !/unknown (command|option)/.test(result.stderr), label);
    assert(
      result.code !== before.code || errorLines(result)[0] !== errorLines(before)[0],
      `the hint leads back to the same error: ${label}`,
    );
  }
});

Deno.test("README The CLI: mock-server's own Try: line works as printed against it, and Ctrl-C exits 130", async () => {
  await using home = await makeHome();
  const server = spawnCli(home, ["mock-server"]);
  const [, tryLine] = await server.waitFor(/^Try: (latchkey .+)$/m);
  await using client = await makeHome();
  const approve = async (code: string) => {
    const issuer = tryLine!.match(/--issuer (\S+)/)![1]!;
    const answer = await fetch(`${issuer}/_mock/device/approve`, {
      method: "POST",
      body: new URLSearchParams({ user_code: code }),
    });
    assertEquals(answer.status, 200, await answer.text());
  };
  let approved: Promise<void> = Promise.resolve();
  const login = await runHint(client, tryLine!, (code) => (approved = approve(code)));
  await approved;
  assertEquals(login.code, 0, show(login));
  const status = await runCli(client, ["fetch", "/api/hello"]);
  assertEquals(status.code, 0, show(status));
  server.kill("SIGINT");
  const stopped = await server.finish();
  assertEquals(stopped.code, 130, show(stopped));
});

/** The flags in a piece of README or help text: `--long` and `-s`. */
function flagsIn(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/(?<![\w-])(--[a-z][\w-]*|-[a-zA-Z])(?![\w-])/g)].map((m) => m[1]!),
  );
}

/** The options a command's --help lists, each as its short and long names. */
function helpOptions(help: string): string[][] {
  return [...help.matchAll(/^ {2}(?:(-\w), )?\s*(--[\w-]+)/gm)].map((m) =>
    [m[1], m[2]!].filter((name): name is string => name !== undefined)
  );
}

Deno.test("README The CLI: each command's --help and README's CLI table name the same flags", async () => {
  await using home = await makeHome();
  const section = README.slice(README.indexOf("## The CLI"), README.indexOf("## Security model"));
  const rows = [...section.matchAll(/^\| `([a-z-]+)([^`]*)`/gm)];
  const global = flagsIn(section.slice(section.indexOf("Global flags")));
  const presets = README.slice(README.indexOf("## Presets"), README.indexOf("## The CLI"));
  const presetSentence = presets.match(/The CLI takes `--preset NAME` on[^:]*:/)![0];
  const presetCommands = [...presetSentence.matchAll(/`([a-z]+)`/g)].map((m) => m[1]!);
  const commands = [...new Set(rows.map((row) => row[1]!))];
  assertEquals(commands.sort(), [
    "fetch",
    "login",
    "logout",
    "mock-server",
    "profiles",
    "refresh",
    "save-token",
    "status",
    "token",
  ]);
  const main = await runCli(home, ["--help"]);
  // the forms README's table gives `profiles`, in the summary a newcomer reads first
  for (const form of ["profiles use NAME", "profiles remove NAME"]) {
    assert(main.stdout.includes(form), `latchkey --help does not name ${form}`);
  }
  for (const command of commands) {
    assert(new RegExp(`^ {2}${command} `, "m").test(main.stdout), `--help lacks ${command}`);
    const documented = new Set([
      ...global,
      ...rows.filter((row) => row[1] === command).flatMap((row) => [...flagsIn(row[2]!)]),
    ]);
    // the preset options README names for the commands that take --preset, not each of them
    const mentioned = new Set([
      ...documented,
      ...(presetCommands.includes(command) ? flagsIn(presetSentence) : []),
    ]);
    const help = await runCli(home, [command, "--help"]);
    assertEquals(help.code, 0, show(help));
    assert(!help.stdout.includes("(repeatable) (repeatable)"), `${command} --help: ${help.stdout}`);
    const listed = helpOptions(help.stdout);
    const known = new Set(listed.flat());
    for (const flag of documented) {
      assert(known.has(flag), `README gives ${command} ${flag}, its --help does not`);
    }
    for (const names of listed) {
      assert(
        names.some((name) => mentioned.has(name)),
        `${command} --help lists ${names.join("/")}, README's CLI table does not`,
      );
    }
  }
});
