/**
 * An embedded, strict OAuth 2 / OpenID Connect provider with a protected demo API, on
 * loopback, for tests and demos.
 *
 * @module
 */

import type {
  ApproveAuthorizationOptions,
  IssuedTokens,
  IssueTokensOptions,
} from "./mock/actions.ts";
import type { MockFault } from "./mock/faults.ts";
import type { MockProviderOptions } from "./mock/options.ts";
import { MockServer } from "./mock/server.ts";
import type { MockCounts, MockEvent } from "./mock/state.ts";

export type {
  ApproveAuthorizationOptions,
  IssuedTokens,
  IssueTokensOptions,
} from "./mock/actions.ts";
export type { MockFault } from "./mock/faults.ts";
export type { MockClient, MockProviderOptions, MockUser } from "./mock/options.ts";
export type { MockCounts, MockEvent } from "./mock/state.ts";

/**
 * A running mock provider. Close it with {@linkcode MockProvider.close} or `await using`.
 *
 * Endpoints, relative to {@linkcode MockProvider.issuer}: `/.well-known/openid-configuration`,
 * `/.well-known/oauth-authorization-server`, `/jwks`, `/authorize` (sign-in page),
 * `/device_authorization`, `/device` (verification page), `/token`, `/revoke`, `/userinfo`, the
 * demo API under `/api/`, and test hooks under `/_mock/` for other processes.
 */
export interface MockProvider extends AsyncDisposable {
  /** The issuer identifier, e.g. `"http://127.0.0.1:43123"` (no trailing slash). */
  readonly issuer: string;
  /** The issuer as a URL, as `openid-client`'s `discovery()` takes it. */
  readonly url: URL;
  /** The demo API base, `issuer + "/api"`; any method on a path below it needs a token. */
  readonly apiUrl: string;
  /** Request counters; a live object. */
  readonly counts: MockCounts;
  /** Every token request, in order; a live array for per-window analysis. */
  readonly events: MockEvent[];
  /**
   * Approves a pending device code, as a person on the `/device` page would.
   *
   * @param userCode The user code (case and dashes do not matter).
   * @param username The approving user; the first user by default.
   * @throws {TypeError} When the code is unknown, expired or decided, or the user is unknown.
   */
  approveDevice(userCode: string, username?: string): void;
  /**
   * Denies a pending device code; the next poll gets `access_denied`.
   *
   * @param userCode The user code.
   * @throws {TypeError} When the code is unknown, expired or already decided.
   */
  denyDevice(userCode: string): void;
  /**
   * Decides an authorization request as the sign-in page would, checking it like
   * `GET /authorize` does.
   *
   * @param authorizationUrl The URL the client would open in a browser.
   * @param options Who signs in, or `deny: true`.
   * @returns The redirect URL a browser would land on: `code`, `state` and `iss`, or `error`.
   * @throws {TypeError} (as a rejection) When the URL is not this provider's, or its client or
   * redirect URI is invalid (the page would show an error instead of redirecting).
   */
  approveAuthorization(
    authorizationUrl: string | URL,
    options?: ApproveAuthorizationOptions,
  ): Promise<URL>;
  /**
   * Injects a fault. Faults are checked before anything else, in the order injected.
   *
   * @param fault What to match and how to fail.
   * @throws {TypeError} When a field has the wrong type.
   * @throws {RangeError} When a number is out of range.
   */
  inject(fault: MockFault): void;
  /** Removes every injected fault. */
  clearFaults(): void;
  /**
   * Mints a session directly, as if the user had just signed in; a refresh token is always
   * included.
   *
   * @param options The user, client, scope and access token lifetime.
   * @returns The tokens.
   * @throws {TypeError} When the user, client or scope is unknown.
   */
  issueTokens(options?: IssueTokensOptions): Promise<IssuedTokens>;
  /** Revokes every access and refresh token issued so far. */
  revokeAll(): void;
  /**
   * Replaces the DPoP nonce the provider demands (option `dpopNonce`): the next proof with the
   * old nonce is answered with a `use_dpop_nonce` challenge carrying the new one.
   *
   * @returns The new nonce.
   */
  rotateDpopNonce(): string;
  /** Stops the server; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Starts a mock provider on loopback. It is strict: it refuses what real providers refuse
 * (missing PKCE, unregistered redirect URIs, reused codes and refresh tokens, polling too
 * fast, wrong client credentials). Nothing is printed.
 *
 * @example Sign in with the password grant and call the demo API
 * ```ts
 * import { startMockProvider } from "@latchkey/latchkey/testing";
 *
 * await using provider = await startMockProvider();
 * const response = await fetch(`${provider.issuer}/token`, {
 *   method: "POST",
 *   body: new URLSearchParams({
 *     grant_type: "password",
 *     client_id: "latchkey-cli",
 *     username: "alice",
 *     password: "wonderland",
 *   }),
 * });
 * const tokens = await response.json();
 * const api = await fetch(`${provider.apiUrl}/me`, {
 *   headers: { authorization: `Bearer ${tokens.access_token}` },
 * });
 * const body = await api.json();
 * if (body.sub !== "user-alice") throw new Error("unexpected subject");
 * ```
 *
 * @example Approve a device code, then make the next token request fail
 * ```ts
 * import { startMockProvider } from "@latchkey/latchkey/testing";
 *
 * const provider = await startMockProvider();
 * const post = (path: string, form: Record<string, string>) =>
 *   fetch(`${provider.issuer}${path}`, { method: "POST", body: new URLSearchParams(form) });
 * const started = await post("/device_authorization", { client_id: "latchkey-cli" });
 * const { device_code, user_code } = await started.json();
 * provider.approveDevice(user_code);
 * const poll = {
 *   grant_type: "urn:ietf:params:oauth:grant-type:device_code",
 *   device_code,
 *   client_id: "latchkey-cli",
 * };
 * const tokens = await (await post("/token", poll)).json();
 * if (tokens.token_type !== "Bearer") throw new Error("expected tokens");
 *
 * provider.inject({ path: "/token", status: 503, headers: { "retry-after": "1" } });
 * const failed = await post("/token", poll);
 * await failed.body?.cancel();
 * if (failed.status !== 503) throw new Error("expected the injected fault");
 * await provider.close();
 * ```
 *
 * @param options Ports, lifetimes, clients, users and behaviour.
 * @returns The running provider.
 * @throws {RangeError} When an option is out of range or the hostname is not loopback.
 * @throws {TypeError} When two clients or users share an id.
 */
export function startMockProvider(options?: MockProviderOptions): Promise<MockProvider> {
  return MockServer.start(options);
}
