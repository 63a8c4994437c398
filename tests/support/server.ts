/**
 * Loopback servers for tests: {@linkcode serve} runs a fetch handler (a Hono app's `fetch`, or a
 * plain function) on a free port until `await using` ends it, and can keep a copy of every
 * request it receives.
 *
 * @module
 */

/** A loopback server that stops on `await using`. */
export interface TestServer extends AsyncDisposable {
  /** `http://<hostname>:<port>`. */
  origin: string;
  /** The same as {@linkcode TestServer.origin}, for tests that call it the server's URL. */
  url: string;
  /** The port. */
  port: number;
  /** Every request received, cloned with its body readable; empty unless `record` is set. */
  requests: Request[];
  /** Stops the server; a second call waits for the first. */
  close(): Promise<void>;
}

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /**
   * The loopback address to bind; it is also the origin's host.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Keep a copy of each request in {@linkcode TestServer.requests}. The handler then gets a copy
   * too, its body read in full before the handler runs.
   *
   * @default {false}
   */
  record?: boolean;
}

/**
 * Serves a fetch handler on an ephemeral loopback port.
 *
 * @param handler The handler (e.g. a Hono app's `fetch`).
 * @param options Where to bind, and whether to record requests.
 * @returns The running server.
 */
export function serve(
  handler: (request: Request) => Response | Promise<Response>,
  options: ServeOptions = {},
): TestServer {
  const { hostname = "127.0.0.1", record = false } = options;
  const requests: Request[] = [];
  const recording = async (request: Request) => {
    const body = request.body ? await request.arrayBuffer() : undefined;
    const copy = () =>
      new Request(request.url, { method: request.method, headers: request.headers, body });
    requests.push(copy());
    return await handler(copy());
  };
  const server = Deno.serve({ hostname, port: 0, onListen() {} }, record ? recording : handler);
  const port = server.addr.port;
  const origin = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () => closing ??= server.shutdown();
  return { origin, url: origin, port, requests, close, [Symbol.asyncDispose]: close };
}
