/**
 * The running provider: a loopback HTTP server over the routes, and the handle tests use.
 *
 * @module
 */

import * as actions from "./actions.ts";
import { createApp } from "./app.ts";
import { resolveConfig } from "./config.ts";
import { decideDevice } from "./device.ts";
import { Faults, type MockFault } from "./faults.ts";
import { createHandler } from "./handler.ts";
import { addHooks } from "./hooks.ts";
import type { Runtime } from "./issue.ts";
import type { MockProviderOptions } from "./options.ts";
import { type MockCounts, type MockEvent, State } from "./state.ts";
import { Signer } from "./tokens.ts";

/** A running mock provider (see `MockProvider` for the documented contract). */
export class MockServer {
  #runtime: Runtime;
  #faults: Faults;
  #server: Deno.HttpServer;
  #controller: AbortController;
  #closed: Promise<void> | undefined;
  #detach: () => void = () => {};

  private constructor(
    runtime: Runtime,
    faults: Faults,
    server: Deno.HttpServer,
    controller: AbortController,
  ) {
    this.#runtime = runtime;
    this.#faults = faults;
    this.#server = server;
    this.#controller = controller;
  }

  /**
   * Starts a provider.
   *
   * @param options The provider options.
   * @returns The running provider.
   */
  static async start(options: MockProviderOptions = {}): Promise<MockServer> {
    const config = resolveConfig(options);
    options.signal?.throwIfAborted();
    const controller = new AbortController();
    const ready = Promise.withResolvers<(request: Request) => Promise<Response>>();
    const server = Deno.serve({
      hostname: config.hostname,
      port: config.port,
      signal: controller.signal,
      onListen() {},
      onError: () => Response.json({ error: "server_error" }, { status: 500 }),
    }, async (request) => (await ready.promise)(request));
    const { hostname, port } = server.addr;
    const host = config.hostname === "localhost"
      ? "localhost"
      : hostname.includes(":")
      ? `[${hostname}]`
      : hostname;
    const issuer = `http://${host}:${port}`;
    let signer: Signer;
    try {
      signer = await Signer.create(issuer);
    } catch (error) {
      controller.abort();
      await server.finished;
      throw error;
    }
    const runtime: Runtime = {
      config,
      state: new State(config.clockSkew),
      signer,
      issuer,
      apiUrl: `${issuer}/api`,
    };
    const faults = new Faults();
    const app = createApp(runtime);
    addHooks(app, runtime, faults);
    ready.resolve(createHandler(app, runtime.state, faults, controller.signal));
    const provider = new MockServer(runtime, faults, server, controller);
    const signal = options.signal;
    if (signal !== undefined) {
      const onAbort = () => provider.close();
      signal.addEventListener("abort", onAbort, { once: true });
      provider.#detach = () => signal.removeEventListener("abort", onAbort);
    }
    return provider;
  }

  get issuer(): string {
    return this.#runtime.issuer;
  }
  get url(): URL {
    return new URL(this.#runtime.issuer);
  }
  get apiUrl(): string {
    return this.#runtime.apiUrl;
  }
  get counts(): MockCounts {
    return this.#runtime.state.counts;
  }
  get events(): MockEvent[] {
    return this.#runtime.state.events;
  }

  approveDevice(userCode: string, username?: string): void {
    actions.approveDevice(this.#runtime, userCode, username);
  }
  denyDevice(userCode: string): void {
    decideDevice(this.#runtime, userCode, undefined);
  }
  approveAuthorization(
    authorizationUrl: string | URL,
    options?: actions.ApproveAuthorizationOptions,
  ): Promise<URL> {
    try {
      return Promise.resolve(
        actions.approveAuthorization(this.#runtime, authorizationUrl, options),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }
  inject(fault: MockFault): void {
    this.#faults.add(fault);
  }
  clearFaults(): void {
    this.#faults.clear();
  }
  issueTokens(options?: actions.IssueTokensOptions): Promise<actions.IssuedTokens> {
    return actions.issueTokens(this.#runtime, options);
  }
  revokeAll(): void {
    this.#runtime.state.revokeAll();
  }
  rotateDpopNonce(): string {
    this.#runtime.state.dpopNonce = crypto.randomUUID();
    return this.#runtime.state.dpopNonce;
  }
  close(): Promise<void> {
    if (this.#closed === undefined) {
      this.#detach();
      this.#controller.abort();
      this.#closed = this.#server.finished;
    }
    return this.#closed;
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
