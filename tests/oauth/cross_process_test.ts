// Many processes share one profile whose access token lives 2 s and whose
// refresh token rotates: refreshes happen under the store's lock, re-read
// first, so no process ever presents a rotated-away refresh token.
import { assert, assertEquals } from "../assert.ts";
import { startMockProvider } from "../../testing.ts";
import { isolateHome, seedProfile } from "./helpers.ts";

const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? "30");
const home = await isolateHome();
const lifetime = 2;

async function run(processes: number) {
  await using provider = await startMockProvider({ accessTokenTtl: lifetime });
  const profile = `shared-${processes}`;
  await seedProfile(provider, profile, lifetime);
  const worker = new URL("./fixtures/token_loop.ts", import.meta.url).pathname;
  const children = Array.from({ length: processes }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", worker, provider.issuer, String(seconds), profile],
      env: { HOME: home, XDG_CONFIG_HOME: `${home}/.config` },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn());
  // Start together: the window the bound speaks of is the same `seconds` for all.
  const readers = children.map((c) => c.stdout.pipeThrough(new TextDecoderStream()).getReader());
  const firstLines = await Promise.all(readers.map((r) => r.read()));
  firstLines.forEach((l) => assertEquals(l.value?.trim(), "ready"));
  const startedAt = Date.now();
  await Promise.all(children.map(async (c) => {
    const w = c.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n"));
    await w.close();
  }));
  const outputs = await Promise.all(children.map(async (c, i) => {
    let out = "";
    for (let r = await readers[i]!.read(); !r.done; r = await readers[i]!.read()) out += r.value;
    const status = await c.status;
    const stderr = await new Response(c.stderr).text();
    return { code: status.code, stdout: out, stderr };
  }));
  const span = (Date.now() - startedAt) / 1000;
  const results = outputs.map((o) => {
    assertEquals(o.code, 0, o.stderr);
    return JSON.parse(o.stdout) as { calls: number; errors: string[] };
  });
  const refreshes = provider.counts.token.refresh_token ?? 0;
  const times = provider.events.filter((e) => e.grant === "refresh_token").map((e) => e.time);
  if (Deno.env.get("SOAK_DEBUG")) {
    console.log(`span ${span} s:`, times.slice(1).map((t, i) => t - times[i]!).join(" "));
  }
  const leeway = Math.min(300, lifetime / 2);
  const bound = seconds / (lifetime - leeway) + 2;
  return { results, refreshes, bound, invalidGrant: provider.counts.invalidGrant };
}

Deno.test({
  name:
    `8 processes calling token() for ${seconds} s with 2 s tokens and rotation: 0 invalid_grant, ≤ 1 refresh per window`,
  async fn() {
    const { results, refreshes, bound, invalidGrant } = await run(8);
    assertEquals(invalidGrant, 0);
    assertEquals(results.flatMap((r) => r.errors), []);
    assert(results.every((r) => r.calls > 0));
    assert(refreshes <= bound, `${refreshes} refreshes > bound ${bound}`);
    assert(refreshes >= 1);
    console.log(`8 processes: ${refreshes} refreshes (bound ${bound}), 0 invalid_grant`);
  },
});
