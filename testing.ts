/**
 * Test helpers for Latchkey and the code built on it: an embedded, strict OAuth 2 / OpenID
 * Connect provider with a protected demo API, on loopback. It speaks the device flow, the
 * authorization code flow with PKCE, refresh with rotation, client credentials, the password
 * grant and revocation, and it can inject faults and count requests. `latchkey mock-server`
 * runs the same provider.
 *
 * @example Start a provider, sign in and call the demo API
 * ```ts
 * import { startMockProvider } from "@latchkey/latchkey/testing";
 *
 * await using provider = await startMockProvider({ accessTokenTtl: 60 });
 * const tokens = await provider.issueTokens({ username: "alice" });
 * const response = await fetch(`${provider.apiUrl}/hello`, {
 *   headers: { authorization: `Bearer ${tokens.access_token}` },
 * });
 * const body = await response.json();
 * if (body.ok !== true || body.path !== "/api/hello") throw new Error("unexpected answer");
 * ```
 *
 * @module
 */

export {
  type ApproveAuthorizationOptions,
  type IssuedTokens,
  type IssueTokensOptions,
  type MockClient,
  type MockCounts,
  type MockEvent,
  type MockFault,
  type MockProvider,
  type MockProviderOptions,
  type MockUser,
  startMockProvider,
} from "./src/testing/mock_provider.ts";
