// `latchkey token` with a cached valid token must not load the OAuth library (or any npm code):
// the CLI runs under the V8 inspector and every script V8 parses is recorded.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { loggedInHome, show, spawnCli, tokenSecrets } from "./helpers.ts";
import { DENO_FLAGS } from "../../cli/permissions.ts";

Deno.test("token with a cached valid token parses no npm module (no openid-client)", async () => {
  await using provider = await startMockProvider();
  const { home, tokens } = await loggedInHome(provider);
  await using _ = home;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const cli = spawnCli(home, ["token"], {
    flags: [`--inspect-wait=127.0.0.1:${port}`, ...DENO_FLAGS],
    secrets: tokenSecrets(tokens),
    stdoutMayHoldSecrets: true,
  });
  let url: string | undefined;
  for (let i = 0; i < 200 && url === undefined; i++) {
    try {
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      url = targets[0]?.webSocketDebuggerUrl;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  assert(url !== undefined, "the inspector did not come up");
  const ws = new WebSocket(url);
  const scripts: string[] = [];
  const done = Promise.withResolvers<void>();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "Debugger.scriptParsed") scripts.push(message.params.url);
    if (message.method === "Runtime.executionContextDestroyed") done.resolve();
  };
  ws.onclose = () => done.resolve();
  ws.onerror = () => done.resolve();
  await new Promise((resolve) => ws.onopen = resolve);
  let id = 0;
  for (const method of ["Runtime.enable", "Debugger.enable", "Runtime.runIfWaitingForDebugger"]) {
    ws.send(JSON.stringify({ id: ++id, method }));
  }
  await done.promise;
  const closed = new Promise((resolve) => ws.onclose = resolve);
  ws.close();
  await closed;
  const result = await cli.finish();
  assertEquals(result.code, 0, show(result));
  assertEquals(result.stdout, tokens.access_token + "\n");
  const ours = scripts.filter((s) => s.startsWith("file://"));
  assert(ours.some((s) => s.endsWith("/cli/commands/token.ts")), ours.join("\n"));
  assert(ours.some((s) => s.endsWith("/src/session.ts")), ours.join("\n"));
  const heavy = scripts.filter((s) =>
    /openid-client|oauth4webapi|hono|jose|qrcode|dotenv|\/npm\/|node_modules/.test(s) ||
    /\/src\/oauth\/|\/testing/.test(s)
  );
  assertEquals(heavy, [], "token loaded OAuth or npm code");
  const presets = ours.filter((s) => /\/presets\.ts$|\/src\/presets\/|\/cli\/presets\//.test(s));
  assertEquals(presets, [], "token without --preset loaded preset code");
});
