/**
 * The request handler around the routes: counts every request, applies injected faults first,
 * and records an event for every token request.
 *
 * @module
 */

import type { Hono } from "hono";
import { OAUTH2_PATH, OIDC_PATH } from "./discovery.ts";
import { applyFault, type Faults } from "./faults.ts";
import { mediaType } from "./http.ts";
import type { State } from "./state.ts";

/**
 * Wraps an app with counting and fault injection. Paths under `/_mock/` pass straight through.
 *
 * @param app The routes.
 * @param state Where counts and events go.
 * @param faults The injected faults.
 * @param signal Aborted when the provider closes (ends fault delays early).
 * @returns The request handler.
 */
export function createHandler(
  app: Hono,
  state: State,
  faults: Faults,
  signal: AbortSignal,
): (request: Request) => Promise<Response> {
  return async (incoming) => {
    const path = new URL(incoming.url).pathname;
    let request = incoming;
    let grant: string | undefined;
    if (path === "/token") {
      // Read the body once and hand the routes a copy (Request.clone() would touch the signal).
      const body = await incoming.text();
      const { method, headers } = incoming;
      const hasBody = method !== "GET" && method !== "HEAD";
      request = new Request(incoming.url, { method, headers, body: hasBody ? body : null });
      grant = grantOf(incoming.headers, body);
    }
    const next = async () => await app.fetch(request);
    if (path.startsWith("/_mock/")) return next();
    count(state, path, grant);
    const fault = faults.take(path, grant);
    const response = fault === undefined ? await next() : await applyFault(fault, signal, next);
    if (grant !== undefined) await record(state, grant, response);
    return response;
  };
}

function count(state: State, path: string, grant: string | undefined): void {
  const { counts } = state;
  if (grant !== undefined) counts.token[grant] = (counts.token[grant] ?? 0) + 1;
  else if (path === OIDC_PATH || path === OAUTH2_PATH) counts.discovery++;
  else if (path === "/device_authorization") counts.device++;
  else if (path === "/revoke") counts.revoke++;
  else if (path === "/api" || path.startsWith("/api/")) counts.api++;
}

/** The `grant_type` of a token request (form or JSON body), or `"(none)"`. */
function grantOf(headers: Headers, body: string): string {
  let grant: unknown;
  try {
    grant = mediaType(headers) === "application/json"
      ? (JSON.parse(body) as Record<string, unknown>).grant_type
      : new URLSearchParams(body).get("grant_type");
  } catch {
    grant = undefined;
  }
  return typeof grant === "string" && grant !== "" ? grant : "(none)";
}

async function record(state: State, grant: string, response: Response): Promise<void> {
  let body: Record<string, unknown> | undefined;
  let reset = false;
  try {
    const parsed: unknown = JSON.parse(await response.clone().text());
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch (error) {
    reset = !(error instanceof SyntaxError);
  }
  const ok = response.status === 200 && typeof body?.access_token === "string";
  const error = ok
    ? undefined
    : reset
    ? "connection_reset"
    : typeof body?.error === "string"
    ? body.error
    : `http_${response.status}`;
  if (error === "invalid_grant") state.counts.invalidGrant++;
  state.events.push({
    time: Date.now(),
    grant,
    ok,
    status: response.status,
    ...(error === undefined ? {} : { error }),
  });
}
