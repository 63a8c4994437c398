// README, top: "`deno task demo` … runs offline in under 10 s" — run as a newcomer runs it, with
// output piped (as into a file or `less`): the whole session, no ANSI escapes when piped or under
// NO_COLOR, and nothing to download but what it needs (the test tools are pinned in tests/).
import meta from "../../deno.json" with { type: "json" };
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** What a first run needs to reach the npm registry from this machine (proxy, CA bundle). */
function network(): Record<string, string> {
  const names = ["HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "DENO_CERT", "DENO_TLS_CA_STORE"];
  names.push("SSL_CERT_FILE", "SSL_CERT_DIR");
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = Deno.env.get(name) ?? Deno.env.get(name.toLowerCase());
    if (value !== undefined) out[name] = value;
  }
  return out;
}

async function demo(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const home = await Deno.makeTempDir({ prefix: "latchkey-demo-home-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "demo"],
      cwd: ROOT,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: home,
        DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
        DENO_NO_UPDATE_CHECK: "1",
        ...network(),
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("README top: deno task demo signs in, calls the API, refreshes, with no escapes when piped", async () => {
  for (const env of [{}, { NO_COLOR: "1" }] as Record<string, string>[]) {
    const { code, out } = await demo(env);
    assertEquals(code, 0, out);
    for (const step of ["auth.login", "auth.status()", "auth.fetch again", "Done."]) {
      assertStringIncludes(out, step);
    }
    assert(!out.includes("\x1b["), `ANSI escapes in piped output:\n${out}`);
  }
});

Deno.test("README top: deno.lock, which deno task installs first, names none of the test tools", async () => {
  const lock = await Deno.readTextFile(`${ROOT}deno.lock`);
  for (const tool of ["playwright-core", "fast-check"]) {
    assert(!lock.includes(tool), `${tool} is in deno.lock: the demo would download it`);
  }
  assertStringIncludes(lock, "openid-client");
  assert(!JSON.stringify(meta.imports).includes("fast-check"), "a test tool in deno.json");
});

Deno.test("the tests run on the package versions deno.lock pins for users", async () => {
  const users = JSON.parse(await Deno.readTextFile(`${ROOT}deno.lock`)).specifiers;
  const tests = JSON.parse(await Deno.readTextFile(`${ROOT}tests/deno.lock`)).specifiers;
  for (const [specifier, version] of Object.entries(users)) {
    assertEquals(tests[specifier], version, `${specifier} in tests/deno.lock`);
  }
});
