/**
 * `latchkey mock-server`: runs the embedded provider and demo API on loopback
 * until Ctrl-C. `./testing.ts` is imported only here.
 *
 * @module
 */

import { expectPositionals, secondsValue, stringValue, usageError } from "../args.ts";
import type { Command } from "../command.ts";

export const command: Command = {
  name: "mock-server",
  usage: "[--port N] [--access-ttl S]",
  summary: "Run the embedded OAuth provider and demo API on loopback (for demos and tests).",
  description:
    `Prints the issuer URL on stdout (with --json: {"issuer", "apiUrl"}) and how to use it on
stderr, then serves until Ctrl-C. Test hooks live under /_mock/. Demo credentials (for this
loopback mock only):
  latchkey-cli      public client: device, browser and password flows
  latchkey-service  confidential client, secret "service-secret": client credentials
  alice             demo user, password "wonderland"`,
  options: {
    port: { type: "string", value: "N", description: "the port (default: a free one)" },
    "access-ttl": {
      type: "string",
      value: "S",
      description: "lifetime of access tokens in seconds (default 3600)",
    },
  },
  examples: [
    "latchkey mock-server --port 8400 --access-ttl 60",
    "LATCHKEY_CLIENT_SECRET=service-secret latchkey login --issuer http://127.0.0.1:8400 --client-id latchkey-service",
  ],

  async run(ctx, args) {
    expectPositionals(args, "mock-server", 0, 0);
    const portText = stringValue(args.values, "port");
    const port = portText === undefined ? 0 : Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw usageError(`option "--port" needs a port number, got "${portText}"`);
    }
    const ttl = secondsValue(args.values, "access-ttl");
    if (ttl !== undefined && ttl < 1) {
      throw usageError('option "--access-ttl" needs at least 1 second');
    }
    const { startMockProvider } = await import("../../testing.ts");
    const provider = await startMockProvider({
      port,
      ...(ttl !== undefined ? { accessTokenTtl: ttl } : {}),
    }).catch((error) => {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      throw usageError(
        `port ${port} on 127.0.0.1 is in use`,
        "pick another with --port N, or leave --port out for a free one",
      );
    });
    const stopped = Promise.withResolvers<number>();
    const onTerm = () => stopped.resolve(0);
    try {
      Deno.addSignalListener("SIGTERM", onTerm);
    } catch {
      // no SIGTERM on this platform
    }
    ctx.signal.addEventListener("abort", () => stopped.resolve(130), { once: true });
    try {
      if (ctx.json) ctx.out.json({ issuer: provider.issuer, apiUrl: provider.apiUrl });
      else ctx.out.result(provider.issuer);
      ctx.out.info(
        `Mock provider at ${provider.issuer} (demo API at ${provider.apiUrl}); Ctrl-C stops it.\n` +
          `Try: latchkey login --issuer ${provider.issuer} --client-id latchkey-cli --api ${provider.issuer}`,
      );
      return await stopped.promise;
    } finally {
      try {
        Deno.removeSignalListener("SIGTERM", onTerm);
      } catch {
        // as above
      }
      await provider.close();
    }
  },
};
