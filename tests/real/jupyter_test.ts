// examples/notebook.ipynb executed headless by Jupyter (nbconvert) on the Deno kernel against
// the mock provider: the device prompt is rich output, the API answers, no secret is shown.
import { join } from "node:path";
import { FileStore } from "../../mod.ts";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { childEnv, realTest, ROOT } from "./helpers.ts";
import {
  type Cell,
  executeNotebook,
  installDenoKernel,
  joinText as join2,
  NOTEBOOK_PARTS,
} from "./notebook.ts";
import { tempHome } from "../support/home.ts";

realTest(
  "examples/notebook.ipynb signs in with the device flow as rich output and calls the API (Deno kernel, nbconvert)",
  NOTEBOOK_PARTS,
  240_000,
  async (t) => {
    await using home = await tempHome();
    await using provider = await startMockProvider({ deviceInterval: 0.2 });
    const urls = join(home.path, "browser-urls.txt");
    const browser = join(home.path, "browser.sh");
    await Deno.writeTextFile(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${urls}'\n`, {
      mode: 0o700,
    });
    const env = childEnv({
      ...home.env,
      LATCHKEY_ISSUER: provider.issuer,
      LATCHKEY_CLIENT_ID: "latchkey-cli",
      // The library opens the verification URL through xdg-open; this "browser" hands it to
      // the test, which approves the code as the person would.
      BROWSER: browser,
    });

    await t.step("deno jupyter --install puts the kernelspec in the throwaway HOME", async () => {
      await installDenoKernel(env);
    });

    // The person: waits for the opened link, then approves its code through the mock's hook.
    const stop = new AbortController();
    const person = (async () => {
      while (!stop.signal.aborted) {
        const first = (await Deno.readTextFile(urls).catch(() => "")).split("\n")[0];
        if (first) {
          const userCode = new URL(first).searchParams.get("user_code") ?? "";
          const answer = await fetch(`${provider.issuer}/_mock/device/approve`, {
            method: "POST",
            body: new URLSearchParams({ user_code: userCode }),
          });
          assertEquals(answer.status, 200, await answer.text());
          return userCode;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    })();

    const out = join(home.path, "out");
    let executed: { cells: Cell[]; text: string } | undefined;
    let text = "";
    await t.step("nbconvert executes every cell without an error", async () => {
      try {
        executed = await executeNotebook(join(ROOT, "examples", "notebook.ipynb"), out, env);
      } finally {
        stop.abort();
      }
      text = executed!.text;
      // A compact record of what each cell showed (the mock's throwaway tokens only).
      for (const cell of executed!.cells.filter((c) => c.cell_type === "code")) {
        for (const o of cell.outputs ?? []) {
          const shown = o.data ? Object.keys(o.data).join(",") : join2(o.text).slice(0, 160);
          console.log(`  [${cell.id}] ${o.output_type}${o.name ? `/${o.name}` : ""}: ${shown}`);
        }
      }
      const errors = executed!.cells.flatMap((c) => c.outputs ?? [])
        .filter((o) => o.output_type === "error");
      assertEquals(errors.map((e) => `${e.ename}: ${e.evalue}`), []);
    });

    const outputs = (id: string) => executed!.cells.find((c) => c.id === id)?.outputs ?? [];

    await t.step("the login cell shows a link, the code and a QR image", async () => {
      const userCode = await person;
      assert(userCode, "the notebook did not open the verification link");
      const html = outputs("login").map((o) => join2(o.data?.["text/html"])).join("");
      assertStringIncludes(html, `<a href="${provider.issuer}/device?user_code=${userCode}"`);
      assertStringIncludes(html, `<code style="font-size:1.4em">${userCode}</code>`);
      assertStringIncludes(html, '<img alt="QR code" src="data:image/png;base64,');
      const plain = outputs("login").map((o) => join2(o.data?.["text/plain"])).join("");
      assertStringIncludes(plain, "Signed in as user-alice");
    });

    await t.step("the API cell shows the demo API's answer", () => {
      const plain = outputs("api").map((o) => join2(o.data?.["text/plain"])).join("");
      assertStringIncludes(plain, "/api/hello");
      assertStringIncludes(
        outputs("status").map((o) => join2(o.data?.["text/plain"])).join(""),
        "user-alice",
      );
    });

    await t.step("no token appears in any output", async () => {
      const saved = await new FileStore({ dir: join(home.configDir, "credentials") }).read(
        "default",
      );
      const secrets = [saved?.accessToken, saved?.refreshToken, saved?.idToken]
        .filter((s) => s !== undefined).map((s) => s.reveal());
      assertEquals(secrets.length, 3, "expected the login to have saved three tokens");
      for (const secret of secrets) assert(!text.includes(secret), "a token is in the outputs");
      for (const secret of secrets) {
        assert(!text.includes(secret.slice(0, 24)), "part of a token is in the outputs");
      }
    });
  },
);
