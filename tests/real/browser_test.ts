// The browser and device logins completed by a real headless Chromium (Debian's, driven by
// npm playwright-core; no browser download): `latchkey login` opens the URL through
// xdg-open and $BROWSER, the person's part is clicked on the provider's real pages.
import { join } from "node:path";
import { FileStore } from "../../mod.ts";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  childEnv,
  CHROMIUM,
  CHROMIUM_ARGS,
  latchkeyCommand,
  programs,
  realTest,
  run,
  start,
} from "./helpers.ts";
import { type TempHome, tempHome } from "../support/home.ts";

const CHROMIUM_PARTS = [programs(CHROMIUM, "xdg-open")];
const USER_CODE = /\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b/;

/** A $BROWSER that hands each URL to the test by appending it to a file. */
async function handOffBrowser(
  home: TempHome,
): Promise<{ script: string; next: () => Promise<string> }> {
  const urls = join(home.path, "browser-urls.txt");
  const script = join(home.path, "browser.sh");
  await Deno.writeTextFile(script, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${urls}'\n`, {
    mode: 0o700,
  });
  const next = async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const text = await Deno.readTextFile(urls).catch(() => "");
      const first = text.split("\n")[0];
      if (first) return first;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("$BROWSER was not called within 20 s");
  };
  return { script, next };
}

async function launch() {
  const { chromium } = await (await import("../test_deps.ts")).loadPlaywright();
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

realTest(
  "latchkey login --flow browser: Chromium signs in on the provider's page and lands on the loopback callback",
  CHROMIUM_PARTS,
  120_000,
  async () => {
    await using home = await tempHome();
    await using provider = await startMockProvider();
    const browser = await handOffBrowser(home);
    const latchkey = latchkeyCommand();
    const env = childEnv({ ...home.env, BROWSER: browser.script });
    await using login = start(Deno.execPath(), [
      ...latchkey.args,
      "login",
      "--issuer",
      provider.issuer,
      "--client-id",
      "latchkey-cli",
      "--scope",
      "openid profile offline_access",
      "--api",
      provider.issuer,
      "--flow",
      "browser",
      "--store",
      "file",
      "--timeout",
      "60",
    ], { env });
    const url = await browser.next();
    assert(url.startsWith(`${provider.issuer}/authorize?`), url);
    assertStringIncludes((await login.waitForStderr(/http\S+authorize\S+/))[0], url);

    const chromium = await launch();
    try {
      const page = await chromium.newPage();
      await page.goto(url);
      await page.fill("#username", "alice");
      await page.fill("#password", "wonderland");
      await Promise.all([
        page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/, { timeout: 20_000 }),
        page.click("#allow"),
      ]);
      const text = await page.textContent("body");
      assertStringIncludes(text ?? "", "You are signed in");
      assertEquals(await page.title(), "Signed in");
    } finally {
      await chromium.close();
    }

    const done = await login.done;
    assertEquals(done.code, 0, done.stderr);
    const saved = await new FileStore({ dir: join(home.configDir, "credentials") }).read("default");
    assertEquals(saved?.subject, "user-alice");
    const status = await run(Deno.execPath(), [...latchkey.args, "status", "--json"], { env });
    assertEquals(JSON.parse(status.stdout).loggedIn, true, status.stderr);
  },
);

realTest(
  "latchkey login --flow device: Chromium enters the code on the verification page and approves it",
  CHROMIUM_PARTS,
  120_000,
  async () => {
    await using home = await tempHome();
    await using provider = await startMockProvider({ deviceInterval: 0.2 });
    const browser = await handOffBrowser(home);
    const latchkey = latchkeyCommand();
    const env = childEnv({ ...home.env, BROWSER: browser.script });
    await using login = start(Deno.execPath(), [
      ...latchkey.args,
      "login",
      "--issuer",
      provider.issuer,
      "--client-id",
      "latchkey-cli",
      "--flow",
      "device",
      "--store",
      "file",
      "--timeout",
      "60",
    ], { env });
    const code = (await login.waitForStderr(USER_CODE))[1]!;
    // The opener got verification_uri_complete; the person types the code on the plain page.
    const opened = new URL(await browser.next());
    assertEquals(opened.searchParams.get("user_code"), code);
    const verification = `${opened.origin}${opened.pathname}`;

    const chromium = await launch();
    try {
      const page = await chromium.newPage();
      await page.goto(verification);
      assertEquals(await page.inputValue("#user_code"), "");
      await page.fill("#user_code", code.toLowerCase().replace("-", ""));
      await page.fill("#username", "alice");
      await page.fill("#password", "wonderland");
      await Promise.all([page.waitForLoadState("load"), page.click("#approve")]);
      await page.waitForSelector("#message", { timeout: 20_000 });
      assertStringIncludes(await page.textContent("#message") ?? "", "Device approved");
    } finally {
      await chromium.close();
    }

    const done = await login.done;
    assertEquals(done.code, 0, done.stderr);
    const token = await run(Deno.execPath(), [...latchkey.args, "token"], { env });
    assertEquals(token.code, 0, token.stderr);
    const me = await fetch(`${provider.apiUrl}/me`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    assertEquals((await me.json()).sub, "user-alice");
  },
);
