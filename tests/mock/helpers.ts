/**
 * What the mock provider's tests share: openid-client discovery against a mock, form posts,
 * reading JWTs and JSON bodies, a PKCE authorization request, and a call to the demo API.
 *
 * @module
 */
import * as oc from "openid-client";
import type { MockProvider } from "../../testing.ts";

/** The device grant's `grant_type` (RFC 8628). */
export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** openid-client options that let it talk to the mock over plain HTTP on loopback. */
export const insecure = { execute: [oc.allowInsecureRequests] };

/** openid-client's discovery of the mock, as `clientId` with `auth`. */
export function discover(
  provider: MockProvider,
  clientId = "latchkey-cli",
  auth: oc.ClientAuth = oc.None(),
  algorithm?: "oidc" | "oauth2",
): Promise<oc.Configuration> {
  return oc.discovery(provider.url, clientId, undefined, auth, {
    ...insecure,
    ...(algorithm === undefined ? {} : { algorithm }),
  });
}

/** Posts a form to a path of the mock, without following redirects. */
export function post(
  provider: MockProvider,
  path: string,
  form: Record<string, string>,
  headers: HeadersInit = {},
): Promise<Response> {
  return fetch(`${provider.issuer}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form),
    redirect: "manual",
  });
}

/** A response's JSON body as an object. */
export async function json(response: Response): Promise<Record<string, unknown>> {
  return await response.json();
}

/** A JWT's header and payload, unverified. */
export function decodeJwt(
  jwt: string,
): { header: Record<string, unknown>; payload: oc.JsonObject } {
  const [header, payload] = jwt.split(".").slice(0, 2).map((part) =>
    JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/")))
  );
  return { header, payload };
}

/** An authorization URL with S256 PKCE, state and nonce, and the values to check it with. */
export async function pkceRequest(
  config: oc.Configuration,
  redirectUri = "http://127.0.0.1:8765/callback",
  scope = "openid profile email offline_access",
) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

/** Calls the demo API with a bearer token; the status, JSON body and headers. */
export async function callApi(provider: MockProvider, token: string, path = "/me") {
  const response = await fetch(`${provider.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await json(response), headers: response.headers };
}
