/**
 * Error injection: faults that make matching requests fail, slow down or break.
 *
 * @module
 */

import { normalizeGrant } from "./config.ts";

/** A fault to inject with `MockProvider.inject` (or by posting it to `/_mock/faults`). */
export interface MockFault {
  /** The request path to match, e.g. `"/token"`; any path when absent. */
  path?: string;
  /** Match only token requests with this `grant_type` (`"device_code"` is short for its URN). */
  grant?: string;
  /**
   * The response status: 500 by default, or 200 when `body` is given.
   */
  status?: number;
  /** Response headers, e.g. `{ "retry-after": "1" }`; added to the real response after a delay. */
  headers?: Record<string, string>;
  /** The raw response body: malformed JSON, an HTML page, `'{"error":"..."}'`. */
  body?: string;
  /**
   * The `content-type` of `body`; by default `application/json` for a body starting with `{` or
   * `[`, `text/html` for one starting with `<`, `text/plain` otherwise.
   */
  contentType?: string;
  /**
   * Milliseconds to wait before answering. With neither `status`, `body` nor `reset`, the
   * request is then answered normally.
   */
  delayMs?: number;
  /**
   * Break the connection: the status line and headers are sent, then the body fails, so the
   * client's `fetch` (or its body read) rejects.
   */
  reset?: boolean;
  /**
   * How many matching requests the fault applies to; `Infinity` for all.
   *
   * @default {1}
   */
  times?: number;
}

/**
 * Checks a fault, e.g. one posted as JSON to `/_mock/faults`.
 *
 * @param value The fault.
 * @returns A copy of the fault.
 * @throws {TypeError} When a field has the wrong type.
 * @throws {RangeError} When a number is out of range.
 */
export function checkFault(value: unknown): MockFault {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError("Cannot inject fault: it must be an object");
  }
  const fault = { ...value } as Record<string, unknown>;
  const types: Record<string, string> = {
    path: "string",
    grant: "string",
    status: "number",
    headers: "object",
    body: "string",
    contentType: "string",
    delayMs: "number",
    reset: "boolean",
    times: "number",
  };
  for (const [key, field] of Object.entries(fault)) {
    if (types[key] === undefined) throw new TypeError(`Cannot inject fault: "${key}" is unknown`);
    if (field !== undefined && typeof field !== types[key]) {
      throw new TypeError(`Cannot inject fault: "${key}" must be a ${types[key]}`);
    }
  }
  const { status, delayMs, times, headers } = fault as MockFault;
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    throw new RangeError('Cannot inject fault: "status" must be an integer from 200 to 599');
  }
  if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0)) {
    throw new RangeError('Cannot inject fault: "delayMs" must be a number >= 0');
  }
  if (times !== undefined && !(times >= 1 && (Number.isInteger(times) || times === Infinity))) {
    throw new RangeError('Cannot inject fault: "times" must be an integer >= 1 or Infinity');
  }
  if (headers !== undefined) {
    if (headers === null || Object.values(headers).some((v) => typeof v !== "string")) {
      throw new TypeError('Cannot inject fault: "headers" must map names to strings');
    }
    new Headers(headers);
  }
  return fault as MockFault;
}

/** The injected faults, in the order injected. */
export class Faults {
  #list: { fault: MockFault; remaining: number }[] = [];

  /** Adds a fault after the others. */
  add(fault: MockFault): void {
    const checked = checkFault(fault);
    this.#list.push({ fault: checked, remaining: checked.times ?? 1 });
  }

  /** Removes every fault. */
  clear(): void {
    this.#list = [];
  }

  /**
   * Takes the first fault that matches a request, using up one of its `times`.
   *
   * @param path The request path.
   * @param grant The `grant_type` of a token request, else `undefined`.
   * @returns The fault, or `undefined` when none matches.
   */
  take(path: string, grant: string | undefined): MockFault | undefined {
    const index = this.#list.findIndex(({ fault }) =>
      (fault.path === undefined || fault.path === path) &&
      (fault.grant === undefined || normalizeGrant(fault.grant) === grant)
    );
    const entry = this.#list[index];
    if (entry === undefined) return undefined;
    if (--entry.remaining <= 0) this.#list.splice(index, 1);
    return entry.fault;
  }
}

/**
 * Answers a request the way a fault says.
 *
 * @param fault The fault.
 * @param signal Aborts the delay (the client left, or the provider is closing).
 * @param next Answers the request normally.
 * @returns The response.
 */
export async function applyFault(
  fault: MockFault,
  signal: AbortSignal,
  next: () => Promise<Response>,
): Promise<Response> {
  if (fault.delayMs !== undefined && fault.delayMs > 0) {
    const aborted = await sleep(fault.delayMs, signal);
    if (aborted) return new Response(null, { status: 503 });
  }
  const headers = new Headers(fault.headers);
  if (fault.reset) {
    headers.set("content-type", fault.contentType ?? "application/json");
    const body = new ReadableStream({
      start: (controller) => controller.error(new Error("Mock provider reset the connection")),
    });
    return new Response(body, { status: fault.status ?? 200, headers });
  }
  if (fault.status === undefined && fault.body === undefined && fault.delayMs !== undefined) {
    const response = await next();
    const copy = new Response(response.body, response);
    headers.forEach((value, name) => copy.headers.set(name, value));
    return copy;
  }
  const body = fault.body ?? "";
  if (fault.body !== undefined) headers.set("content-type", fault.contentType ?? guessType(body));
  return new Response(body, {
    status: fault.status ?? (fault.body === undefined ? 500 : 200),
    headers,
  });
}

function guessType(body: string): string {
  const start = body.trimStart()[0];
  if (start === "{" || start === "[") return "application/json";
  if (start === "<") return "text/html; charset=utf-8";
  return "text/plain; charset=utf-8";
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(true);
    const done = (aborted: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(aborted);
    };
    const onAbort = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    signal.addEventListener("abort", onAbort);
  });
}
