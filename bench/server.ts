// A loopback Hono API for the benchmarks, in its own process so that the
// client-side cost is what the figures compare. Prints its port, then serves
// until stdin closes.
import { Hono } from "hono";

const app = new Hono();
app.get("/v1/ping", (c) => c.json({ ok: true, auth: c.req.header("authorization") !== undefined }));
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
console.log(server.addr.port);
for await (const _ of Deno.stdin.readable) {
  // wait for the parent to close stdin
}
await server.shutdown();
