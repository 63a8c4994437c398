// Journey of the README's "Use it in a notebook": a person signs in once with `latchkey login`
// in a terminal (its own process), then runs examples/notebook.ipynb headless on the Deno kernel
// (jupyter nbconvert); the notebook's Auth finds that login and shows no prompt.
import { join } from "node:path";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT, runCli, show, tokenSecrets } from "../cli/helpers.ts";
import { childEnv, realTest } from "../real/helpers.ts";
import { deviceLogin } from "./steps.ts";
import { executeNotebook, installDenoKernel, joinText, NOTEBOOK_PARTS } from "../real/notebook.ts";
import { makeHome } from "../support/home.ts";

const SCOPE = "openid profile offline_access";

realTest(
  "README Use it in a notebook: the notebook's Auth uses the login `latchkey login` made in another process",
  NOTEBOOK_PARTS,
  240_000,
  async () => {
    await using provider = await startMockProvider({ deviceInterval: 0.2 });
    await using home = await makeHome();

    // The terminal: a device login, approved by the person.
    const loggedIn = await deviceLogin(home, provider, {
      args: ["--scope", SCOPE, "--no-browser"],
    });
    assertEquals(loggedIn.code, 0, show(loggedIn));
    const saved = JSON.parse(
      await Deno.readTextFile(`${home.config}/latchkey/credentials/default.json`),
    );
    const secrets = tokenSecrets(saved);
    const status = await runCli(home, ["status", "--json"], { secrets });
    assertEquals(JSON.parse(status.stdout).loggedIn, true, show(status));

    // Jupyter, started later with the notebook's two settings and nothing of the terminal.
    const env = childEnv({
      ...home.env,
      XDG_DATA_HOME: join(home.dir, ".local", "share"),
      LATCHKEY_ISSUER: provider.issuer,
      LATCHKEY_CLIENT_ID: "latchkey-cli",
      BROWSER: "/bin/false", // a prompt would try to open it; none must come
    });
    await installDenoKernel(env);
    // The Deno kernel now and then reports a cell idle before its display message, which
    // nbclient then never sees (a cell with no output at all; a loaded machine, about one run
    // in five). Such a run says nothing about Latchkey: it is run once more, and everything
    // below is checked on the run that delivered the login cell's output.
    let executed;
    let device = 0;
    let api = 0;
    for (let attempt = 1;; attempt++) {
      const before = { device: provider.counts.device, api: provider.counts.api };
      executed = await executeNotebook(
        join(ROOT, "examples", "notebook.ipynb"),
        join(home.dir, `out-${attempt}`),
        env,
      );
      device = provider.counts.device - before.device;
      api = provider.counts.api - before.api;
      const login = executed.cells.find((c) => c.id === "login");
      if ((login?.outputs ?? []).length > 0 || attempt === 2) break;
      console.log("the kernel delivered no output for the login cell; running the notebook again");
    }
    const outputs = (id: string) => executed.cells.find((c) => c.id === id)?.outputs ?? [];
    const plain = (id: string) =>
      outputs(id).map((o) => joinText(o.data?.["text/plain"]) + joinText(o.text)).join("");
    const errors = executed.cells.flatMap((c) => c.outputs ?? [])
      .filter((o) => o.output_type === "error");
    assertEquals(errors.map((e) => `${e.ename}: ${e.evalue}`), []);

    assertEquals(device, 0, "the notebook started no device login of its own");
    assertEquals(provider.counts.device, 1, "one device login in all: the terminal's");
    assert(
      !outputs("login").some((o) => o.data?.["text/html"]),
      "the login cell showed a prompt",
    );
    assertStringIncludes(plain("login"), "Signed in as user-alice");
    assertStringIncludes(plain("login"), "file store");
    // The API's own count, not the cell's display: a busy kernel can drop a display message.
    assertEquals(api, 1, "the notebook called the API once");
    for (const secret of secrets) {
      assert(!executed.text.includes(secret), "a token is in the notebook's outputs");
    }
  },
);
