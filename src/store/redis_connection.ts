/**
 * The connection of the `redis` store: opened on first use, it does not
 * keep the process alive when idle and is not reconnected in the
 * background: a failed command drops it, and the next one connects again.
 * Every failure to reach the server is an `AuthError` with the code
 * `STORE_UNAVAILABLE`.
 *
 * @module
 */

import { createClient, ErrorReply, type RedisClientType } from "redis";
import { AuthError } from "../errors.ts";
import { LazyPromise } from "../util/lazy_promise.ts";

/**
 * Whether a host name is the loopback interface (no network between the
 * process and the server).
 *
 * @param hostname A URL's `hostname`.
 * @returns `true` for `localhost`, `[::1]` and `127.x.x.x`.
 *
 * @example
 * ```ts
 * import { isLoopback } from "./redis_connection.ts";
 * if (isLoopback("127.0.0.1.evil.example")) throw new Error("not loopback");
 * ```
 */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Parses a Redis URL and returns it without credentials, for messages.
 *
 * @param url The URL.
 * @returns The parsed URL and its safe form.
 * @throws {AuthError} `CONFIG_INVALID` for anything but `redis:` or `rediss:`.
 *
 * @example
 * ```ts
 * import { parseRedisUrl } from "@latchkey/latchkey/fleet";
 * const { safe } = parseRedisUrl("redis://:s3cret@127.0.0.1:6379/0");
 * if (safe.includes("s3cret")) throw new Error("the password shows");
 * ```
 */
export function parseRedisUrl(url: string): { url: URL; safe: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new AuthError(
      "CONFIG_INVALID",
      "Invalid Redis URL: expected redis://host[:port][/db] or rediss://…",
      { hint: "set LATCHKEY_REDIS_URL (or redisUrl), e.g. redis://127.0.0.1:6379/0" },
    );
  }
  const db = /^\/\d+$/.test(parsed.pathname) ? parsed.pathname : "/0";
  const safe = `${parsed.protocol}//${parsed.hostname}:${parsed.port || "6379"}${db}`;
  return { url: parsed, safe };
}

/**
 * One lazily opened connection to a Redis server.
 *
 * @example
 * ```ts
 * import { parseRedisUrl, RedisConnection } from "./redis_connection.ts";
 * const { url, safe } = parseRedisUrl("redis://127.0.0.1:1/0");
 * const connection = new RedisConnection(url, safe, 1000); // connects on first use
 * await connection.close();
 * ```
 */
export class RedisConnection {
  #url: URL;
  #safe: string;
  #timeoutMs: number;
  #client = new LazyPromise(() => this.#newClient());
  #busy = 0;

  /**
   * Creates the connection; nothing is connected until the first command.
   *
   * @param url The server's URL (credentials included).
   * @param safe The URL without credentials, for messages.
   * @param timeoutMs Milliseconds to wait for a connection or an answer.
   */
  constructor(url: URL, safe: string, timeoutMs: number) {
    this.#url = url;
    this.#safe = safe;
    this.#timeoutMs = timeoutMs;
  }

  /** Closes the connection; the next command connects again. */
  async close(): Promise<void> {
    const client = this.#client.forget();
    if (!client) return;
    const c = await client.catch(() => undefined);
    if (!c?.isOpen) return;
    await c.close().catch(() => c.destroy());
  }

  #unavailable(action: string, cause: unknown): AuthError {
    const detail = cause instanceof Error && cause.message ? cause.message : String(cause);
    return new AuthError(
      "STORE_UNAVAILABLE",
      `Cannot ${action} the redis store "${this.#safe}": ${detail}`,
      {
        cause,
        hint:
          "check that the Redis server is running and LATCHKEY_REDIS_URL is right; the stored credential is kept, and a valid access token stays usable",
      },
    );
  }

  /** The connected client: the current one while it is ready, else a new one. */
  async #connect(): Promise<RedisClientType> {
    for (let attempt = 0;; attempt++) {
      const pending = this.#client.get();
      const client = await pending;
      if (client.isReady || attempt > 0) return client;
      this.#client.forget(pending); // it died since: connect again
    }
  }

  #newClient(): Promise<RedisClientType> {
    const client: RedisClientType = createClient({
      url: this.#url.href,
      disableOfflineQueue: true,
      socket: { connectTimeout: this.#timeoutMs, reconnectStrategy: false },
    });
    client.on("error", () => {}); // the command that fails reports it; nothing is logged here
    return (async () => {
      try {
        await client.connect();
      } catch (error) {
        client.destroy();
        throw error;
      }
      client.unref(); // an idle connection never keeps the process alive
      return client;
    })();
  }

  /**
   * Runs one command (or script) on the connected client, within the
   * timeout; a broken or stuck connection is dropped, and the next call
   * connects again.
   *
   * @param action What is done, for the error: e.g. `read a credential from`.
   * @param fn The command.
   * @returns What the command returns.
   * @throws {AuthError} `STORE_UNAVAILABLE` when the server cannot be reached or answers an error.
   */
  async run<T>(action: string, fn: (client: RedisClientType) => Promise<T>): Promise<T> {
    let client: RedisClientType | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${this.#timeoutMs / 1000} s`)),
          this.#timeoutMs,
        );
      });
      client = await Promise.race([this.#connect(), timeout]);
      if (this.#busy++ === 0) client.ref();
      try {
        return await Promise.race([fn(client), timeout]);
      } finally {
        if (--this.#busy === 0 && client.isOpen) client.unref();
      }
    } catch (error) {
      if (error instanceof AuthError) throw error;
      // A broken or stuck connection is closed; the next call connects again.
      if (!(error instanceof ErrorReply) && client?.isOpen) client.destroy();
      throw this.#unavailable(action, error);
    } finally {
      clearTimeout(timer);
    }
  }
}
