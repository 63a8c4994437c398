// Journeys of the README's "Security model": each row's promise checked the way a user meets it,
// across processes (the table names the unit tests per row; these walk the user's path).
import { Hono } from "hono";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, type RunResult, show } from "../cli/helpers.ts";
import { deviceLogin, serviceLogin } from "./steps.ts";
import { serve } from "../support/server.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";
import { modeOf } from "../support/files.ts";
import { sleep } from "../support/time.ts";

/** Every file under a folder (absolute paths) and every folder, with their modes. */
async function walk(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs = [dir];
  for (let i = 0; i < dirs.length; i++) {
    for await (const entry of Deno.readDir(dirs[i]!)) {
      const path = `${dirs[i]}/${entry.name}`;
      if (entry.isDirectory) dirs.push(path);
      else files.push(path);
    }
  }
  return { files, dirs };
}

Deno.test("README Security model: after a service login the files are 0600 in 0700 folders, the secret shows in no later output and no file but the store, a loosened or linked credential is refused", async () => {
  const secret = canary("client-secret");
  await using provider = await startMockProvider({
    clients: [{ clientId: "svc", clientSecret: secret, grants: ["client_credentials"] }],
  });
  await using home = await makeHome();
  const login = await serviceLogin(home, provider.issuer, secret, "file");
  assertEquals(login.code, 0, show(login));

  const token = await runCli(home, ["token"], { secrets: [secret], stdoutMayHoldSecrets: true });
  assertEquals(token.code, 0, show(token));
  const accessToken = token.stdout.trim();
  const secrets = [secret, accessToken];
  // Every later step, in its own process: the secret and the token appear in none of them.
  for (
    const args of [
      ["status", "--json"],
      ["status", "--all", "-v"],
      ["profiles", "--json"],
      ["fetch", "-i", "/api/whoami"],
      ["refresh", "-v"],
      ["token", "--json"],
    ]
  ) {
    const step = await runCli(home, args, {
      secrets: args[0] === "refresh" || args[0] === "token" ? [secret] : secrets,
      stdoutMayHoldSecrets: args[0] === "refresh" || args[0] === "token",
    });
    assertEquals(step.code, 0, `latchkey ${args.join(" ")}\n${show(step)}`);
  }

  const root = `${home.config}/latchkey`;
  const { files, dirs } = await walk(root);
  for (const dir of dirs) assertEquals(await modeOf(dir, { lstat: true }), 0o700, dir);
  for (const file of files) assertEquals(await modeOf(file, { lstat: true }), 0o600, file);
  // Only the credential store holds the secret; nothing else in HOME does (config included).
  const store = `${root}/credentials/`;
  for (const file of (await walk(home.dir)).files) {
    if (file.startsWith(store) || file.includes("/.cache/")) continue;
    const text = await Deno.readTextFile(file).catch(() => "");
    assert(!text.includes(secret), `the client secret is in ${file}`);
  }
  const credential = `${store}default.json`;
  assert(files.includes(credential), `no ${credential} in ${files}`);

  // Another user could read it: refused with the chmod that fixes it, which works as printed.
  await Deno.chmod(credential, 0o644);
  const loose = await runCli(home, ["token"], { secrets });
  assertEquals(loose.code, 2, show(loose));
  assertStringIncludes(loose.stderr, `chmod 600`);
  await Deno.chmod(credential, 0o600);
  const fixed = await runCli(home, ["status", "--json"], { secrets });
  assertEquals(fixed.code, 0, show(fixed));

  // A link out of the store in the credential's place is refused, its target untouched.
  const outside = `${home.dir}/elsewhere.json`;
  await Deno.rename(credential, outside);
  await Deno.symlink(outside, credential);
  const before = await Deno.readTextFile(outside);
  const linked = await runCli(home, ["token"], { secrets });
  assertEquals(linked.code, 2, show(linked));
  assertEquals(await Deno.readTextFile(outside), before);
});

/** An API origin that redirects, and another origin that records what reached it. */
function twoOrigins() {
  const seen: { path: string; authorization: string | null; cookie: string | null }[] = [];
  const record = (c: { req: { path: string; header(name: string): string | undefined } }) =>
    seen.push({
      path: c.req.path,
      authorization: c.req.header("authorization") ?? null,
      cookie: c.req.header("cookie") ?? null,
    });
  const other = new Hono();
  let api = "";
  other.get("/landing", (c) => {
    record(c);
    return c.text("landed");
  });
  other.get("/bounce", (c) => {
    record(c);
    return c.redirect(`${api}/back`, 302);
  });
  const otherServer = serve(other.fetch);
  const app = new Hono();
  app.get("/to-other", (c) => {
    record(c);
    return c.redirect(`${otherServer.origin}/landing`, 302);
  });
  app.get("/a-b-a", (c) => {
    record(c);
    return c.redirect(`${otherServer.origin}/bounce`, 307);
  });
  app.get("/back", (c) => {
    record(c);
    return c.text("back");
  });
  app.get(
    "/to-file",
    () => new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } }),
  );
  app.get("/echo-401", (c) => {
    record(c);
    const token = (c.req.header("authorization") ?? "").replace(/^Bearer /, "");
    return c.text("no", 401, {
      "www-authenticate": `Bearer error="invalid_token", error_description="bad token ${token}"`,
    });
  });
  const apiServer = serve(app.fetch);
  api = apiServer.origin;
  return {
    api,
    other: otherServer.origin,
    seen,
    async [Symbol.asyncDispose]() {
      await apiServer[Symbol.asyncDispose]();
      await otherServer[Symbol.asyncDispose]();
    },
  };
}

Deno.test("README Security model: the token goes to the API origin only — fetch elsewhere exits 2, a redirect off it drops the token (A → B → A too), file: is not followed, a 401 does not echo it", async () => {
  await using servers = twoOrigins();
  await using home = await makeHome();
  const token = canary("token");
  const saved = await runCli(home, ["login", "--with-token", "--api", servers.api], {
    stdin: token,
    env: { LATCHKEY_STORE: "file" },
    secrets: [token],
  });
  assertEquals(saved.code, 0, show(saved));
  const run = (args: string[]): Promise<RunResult> =>
    runCli(home, ["fetch", ...args], { secrets: [token] });

  const elsewhere = await run([`${servers.other}/landing`]);
  assertEquals(elsewhere.code, 2, show(elsewhere));
  assertEquals(servers.seen, [], "nothing was sent to the other origin");

  const cookie = ["-H", "Cookie: session=not-a-secret"];
  const off = await run([...cookie, `${servers.api}/to-other`]);
  assertEquals([off.code, off.stdout], [0, "landed"], show(off));
  const aba = await run([...cookie, "/a-b-a"]);
  assertEquals([aba.code, aba.stdout], [0, "back"], show(aba));
  assertEquals(servers.seen.map((s) => [s.path, s.authorization !== null, s.cookie !== null]), [
    ["/to-other", true, true],
    ["/landing", false, false],
    ["/a-b-a", true, true],
    ["/bounce", false, false],
    ["/back", false, false],
  ]);
  assertEquals(servers.seen[0]!.authorization, `Bearer ${token}`);

  const file = await run(["/to-file"]);
  assertEquals([file.code, file.stdout], [3, ""], show(file));
  assert(!file.stderr.includes("/etc/passwd") && !file.stderr.includes("root:"), show(file));

  const echoed = await run(["/echo-401"]);
  assertEquals(echoed.code, 1, show(echoed)); // runCli checked that the token is not on stderr
});

Deno.test("README Security model: a malformed token is refused from stdin, naming the source and not the value, and nothing is saved", async () => {
  await using home = await makeHome();
  const bad = `${canary("token")} tail`;
  const saved = await runCli(home, ["save-token"], {
    stdin: bad,
    secrets: [bad, bad.split(" ")[0]!],
  });
  assertEquals(saved.code, 2, show(saved));
  assertStringIncludes(saved.stderr, "the token on stdin"); // the source; runCli: not the value
  const status = await runCli(home, ["status", "--json"]);
  assertEquals(JSON.parse(status.stdout).loggedIn, false, show(status));
});

Deno.test("README Security model: the opener and the browser behind it inherit none of the secret variables of the shell that runs `latchkey login`", async () => {
  await using provider = await startMockProvider({ deviceInterval: 0.2 });
  await using home = await makeHome();
  const dump = `${home.dir}/browser-env.txt`;
  const browser = `${home.dir}/browser.sh`;
  await Deno.writeTextFile(browser, `#!/bin/sh\nenv > '${dump}'\n`, { mode: 0o700 });
  const shell = {
    BROWSER: browser,
    DESCARTESLABS_CLIENT_SECRET: canary("dl-secret"),
    LATCHKEY_STORE_KEY: canary("store-key"),
  };
  const secrets = [shell.DESCARTESLABS_CLIENT_SECRET, shell.LATCHKEY_STORE_KEY];
  const result = await deviceLogin(home, provider, {
    env: shell,
    secrets,
    // the person approves once the browser has opened
    beforeApprove: async () => {
      for (let i = 0; i < 100 && !(await exists(dump)); i++) await sleep(50);
    },
  });
  assertEquals(result.code, 0, show(result));
  const env = await Deno.readTextFile(dump);
  assertStringIncludes(env, "BROWSER=");
  for (const secret of secrets) assert(!env.includes(secret), "the browser got a secret variable");
  // Removed, or blank where the CLI may not read the whole environment (README's row says so).
  assertEquals(env.match(/^(LATCHKEY_|DESCARTESLABS_)\w*=.+$/gm), null, env);
});

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
