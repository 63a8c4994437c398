/**
 * The provider's routes: discovery, keys, the browser pages, the OAuth endpoints, userinfo and
 * the demo API.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { checkAuthorization, decideAuthorization } from "./authorize.ts";
import { safeEqual } from "./checks.ts";
import { authenticateClient } from "./client_auth.ts";
import { decideDevice, startDeviceAuthorization } from "./device.ts";
import { metadata, OAUTH2_PATH, OIDC_PATH, served } from "./discovery.ts";
import { tokenEndpoint } from "./grants.ts";
import { answer, jsonNoStore, parseForm } from "./http.ts";
import type { Runtime } from "./issue.ts";
import type { MockUser } from "./options.ts";
import { authorizePage, devicePage, messagePage } from "./pages.ts";
import { demoApi, revoke, userinfo } from "./resources.ts";

/**
 * Builds the routes of a provider.
 *
 * @param runtime The provider.
 * @returns The Hono app.
 */
export function createApp(runtime: Runtime): Hono {
  const app = new Hono();
  const text = (c: Context) => c.req.text();

  for (const path of [OIDC_PATH, OAUTH2_PATH]) {
    app.get(path, (c) => served(runtime, path) ? c.json(metadata(runtime)) : c.notFound());
  }
  app.get("/jwks", (c) => c.json(runtime.signer.jwks()));

  app.post("/device_authorization", async (c) => {
    const body = await text(c);
    return answer(async () => {
      const form = parseForm(c.req.raw.headers, body);
      const endpoint = `${runtime.issuer}/device_authorization`;
      const client = await authenticateClient(runtime, c.req.raw.headers, form, endpoint);
      return jsonNoStore(startDeviceAuthorization(runtime, client, form));
    });
  });
  app.get("/device", (c) => c.html(devicePage({ userCode: c.req.query("user_code") ?? "" })));
  app.post("/device", async (c) => {
    const form = new URLSearchParams(await text(c));
    const userCode = form.get("user_code") ?? "";
    const username = form.get("username") ?? "";
    let user: MockUser | undefined;
    if (form.get("decision") === "approve") {
      user = signIn(runtime, username, form.get("password") ?? "");
      if (user === undefined) {
        const error = "Invalid username or password";
        return c.html(devicePage({ userCode, username, error }), 401);
      }
    }
    try {
      decideDevice(runtime, userCode, user);
    } catch {
      const error = "That code is unknown, expired or already used";
      return c.html(devicePage({ userCode, username, error }), 400);
    }
    return user === undefined
      ? c.html(messagePage("Device denied", "Device denied. You can return to your terminal."))
      : c.html(messagePage("Device approved", "Device approved. You can return to your terminal."));
  });

  app.get("/authorize", (c) => authorize(runtime, c, new URL(c.req.url).searchParams));
  app.post("/authorize", async (c) => authorize(runtime, c, new URLSearchParams(await text(c))));

  app.post("/token", async (c) => tokenEndpoint(runtime, c.req.raw.headers, await text(c)));
  if (runtime.config.revocation) {
    app.post("/revoke", async (c) => revoke(runtime, c.req.raw.headers, await text(c)));
  }
  app.on(["GET", "POST"], "/userinfo", (c) => userinfo(runtime, c.req.raw));
  app.all("/api/*", (c) => demoApi(runtime, c.req.raw));

  const postOnly = ["/device_authorization", "/token"];
  if (runtime.config.revocation) postOnly.push("/revoke");
  for (const path of postOnly) app.all(path, () => methodNotAllowed("POST"));
  return app;
}

function methodNotAllowed(allow: string): Response {
  return jsonNoStore(
    { error: "invalid_request", error_description: `Use ${allow}` },
    405,
    { allow },
  );
}

function signIn(runtime: Runtime, username: string, password: string): MockUser | undefined {
  const user = runtime.config.users.get(username);
  return user !== undefined && safeEqual(user.password, password) ? user : undefined;
}

function authorize(
  runtime: Runtime,
  c: Context,
  params: URLSearchParams,
): Response | Promise<Response> {
  const checked = checkAuthorization(runtime, params);
  if ("page" in checked) {
    return c.html(messagePage("Sign-in error", checked.page.message, true), checked.page.status);
  }
  if ("redirect" in checked) return redirect(checked.redirect);
  const { request } = checked;
  const page = (status: 200 | 400 | 401, error?: string) =>
    c.html(
      authorizePage({
        params,
        clientId: request.client.clientId,
        scope: request.scope,
        username: params.get("username") ?? "",
        ...(error === undefined ? {} : { error }),
      }),
      status,
    );
  if (c.req.method === "GET") return page(200);
  const decision = params.get("decision");
  if (decision === "deny") return redirect(decideAuthorization(runtime, request, undefined));
  if (decision !== "allow") return page(400, "Choose Allow or Deny");
  const user = signIn(runtime, params.get("username") ?? "", params.get("password") ?? "");
  if (user === undefined) return page(401, "Invalid username or password");
  return redirect(decideAuthorization(runtime, request, user));
}

function redirect(url: URL): Response {
  return new Response(null, {
    status: 302,
    headers: { location: url.href, "cache-control": "no-store" },
  });
}
