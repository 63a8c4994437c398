/**
 * Starts a throwaway `redis-server` (the Debian package) on a free loopback
 * port, with its own folder and no persistence, for tests and the fleet
 * benchmark.
 *
 * @module
 */

import { programs, realTest } from "../real/helpers.ts";

/** A running throwaway Redis server. */
export interface RedisServer extends AsyncDisposable {
  /** `redis://127.0.0.1:<port>/0`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Kills the server (SIGKILL, as a crash would), keeping its port for a restart. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  restart(): Promise<void>;
  /** Stops the server and removes its folder; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * A free TCP port on 127.0.0.1.
 *
 * @returns The port number.
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitForPort(port: number, child: Deno.ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  child.status.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buf = new Uint8Array(16);
      const n = await conn.read(buf);
      conn.close();
      if (n && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG")) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Cannot start redis-server on port ${port}: it did not answer PING`);
}

/**
 * Starts `redis-server --port <free port> --bind 127.0.0.1 --dir <tmp> --save "" --appendonly no`.
 *
 * @returns The running server; stop it with `stop()` or `await using`.
 */
export async function startRedis(): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-redis-" });
  let port = freePort();
  let child: Deno.ChildProcess | undefined;
  const spawn = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitForPort(port, child, 5000);
  };
  for (let attempt = 0;; attempt++) {
    try {
      await spawn();
      break;
    } catch (error) {
      await halt();
      if (attempt >= 2) throw error;
      port = freePort(); // someone took the port in between
    }
  }
  async function halt(): Promise<void> {
    const c = child;
    child = undefined;
    if (!c) return;
    try {
      c.kill("SIGKILL");
    } catch {
      // already gone
    }
    await c.status;
  }
  let stopped = false;
  const server: RedisServer = {
    get url() {
      return `redis://127.0.0.1:${port}/0`;
    },
    get port() {
      return port;
    },
    get running() {
      return child !== undefined;
    },
    kill: halt,
    async restart() {
      await halt();
      await spawn();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    [Symbol.asyncDispose]() {
      return server.stop();
    },
  };
  return server;
}

/**
 * Registers a test that needs Debian's `redis-server`: skipped with the reason
 * when it is not installed, except under `CI=true`, where it fails instead.
 *
 * @param name The test name.
 * @param fn The test.
 */
export function redisTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  realTest(name, [programs("redis-server")], 120_000, fn);
}
