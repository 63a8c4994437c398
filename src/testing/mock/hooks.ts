/**
 * HTTP test hooks under `/_mock/`, for tests that drive a provider running in another process
 * (`latchkey mock-server`). Faults and counters never apply to them.
 *
 * @module
 */

import type { Hono } from "hono";
import {
  approveAuthorization,
  approveDevice,
  issueTokens,
  type IssueTokensOptions,
} from "./actions.ts";
import { decideDevice } from "./device.ts";
import type { Faults } from "./faults.ts";
import { mediaType } from "./http.ts";
import type { Runtime } from "./issue.ts";

/**
 * Adds the hooks to an app:
 * - `POST /_mock/device/approve` and `POST /_mock/device/deny`: form or JSON
 *   `{ user_code, username? }`;
 * - `POST /_mock/authorize`: JSON `{ url, username?, deny? }`, answers `{ location }`;
 * - `POST /_mock/tokens`: JSON `{ username?, clientId?, scope?, ttl? }`, answers the tokens;
 * - `POST /_mock/revoke-all`;
 * - `GET /_mock/counts`: `{ counts, events }`;
 * - `POST /_mock/faults` (a JSON `MockFault`) and `DELETE /_mock/faults`.
 *
 * A hook that fails answers 400 with `{ error }`.
 *
 * @param app The app.
 * @param runtime The provider.
 * @param faults The provider's faults.
 */
export function addHooks(app: Hono, runtime: Runtime, faults: Faults): void {
  const hook = (path: string, method: "GET" | "POST" | "DELETE", run: Run) =>
    app.on(method, `/_mock/${path}`, async (c) => {
      try {
        return c.json((await run(await readBody(c.req.raw))) ?? { ok: true });
      } catch (error) {
        return c.json({ error: error instanceof Error ? error.message : String(error) }, 400);
      }
    });
  hook("device/approve", "POST", (body) => {
    approveDevice(runtime, text(body, "user_code"), optionalText(body, "username"));
  });
  hook("device/deny", "POST", (body) => decideDevice(runtime, text(body, "user_code"), undefined));
  hook("authorize", "POST", (body) => {
    const username = optionalText(body, "username");
    const url = approveAuthorization(runtime, text(body, "url"), {
      ...(username === undefined ? {} : { username }),
      deny: body.deny === true || body.deny === "true",
    });
    return { location: url.href };
  });
  hook("tokens", "POST", (body) => {
    const options: IssueTokensOptions = {};
    for (const key of ["username", "clientId", "scope"] as const) {
      const value = optionalText(body, key);
      if (value !== undefined) options[key] = value;
    }
    if (body.ttl !== undefined) options.ttl = Number(body.ttl);
    return issueTokens(runtime, options);
  });
  hook("revoke-all", "POST", () => runtime.state.revokeAll());
  hook("counts", "GET", () => ({ counts: runtime.state.counts, events: runtime.state.events }));
  hook("faults", "POST", (body) => faults.add(body));
  hook("faults", "DELETE", () => faults.clear());
}

type Body = Record<string, unknown>;
type Run = (body: Body) => unknown;

async function readBody(request: Request): Promise<Body> {
  const raw = await request.text();
  if (raw === "") return {};
  if (mediaType(request.headers) === "application/x-www-form-urlencoded") {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  const body: unknown = JSON.parse(raw);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new TypeError("The request body must be a JSON object");
  }
  return body as Body;
}

function text(body: Body, key: string): string {
  const value = body[key];
  if (typeof value !== "string") throw new TypeError(`"${key}" must be a string`);
  return value;
}

function optionalText(body: Body, key: string): string | undefined {
  return body[key] === undefined ? undefined : text(body, key);
}
