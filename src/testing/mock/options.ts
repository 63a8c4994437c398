/**
 * The options a caller gives the mock provider, and the clients and users it describes.
 *
 * @module
 */

/** A client (application) registered with the mock provider. */
export interface MockClient {
  /** The `client_id`. */
  clientId: string;
  /**
   * The client secret. A client with a secret is confidential and must authenticate
   * (`client_secret_basic` or `client_secret_post`); one without is public and is known by its
   * `client_id` alone.
   */
  clientSecret?: string;
  /**
   * Public keys (JWKs) the client signs its client assertions with: such a client authenticates
   * with `private_key_jwt` (RFC 7523 §2.2) and is confidential, with or without a secret. An
   * assertion must name the client as `iss` and `sub`, the issuer (or the endpoint) as `aud`,
   * carry `exp` and a `jti` not used before, and be signed by one of these keys.
   */
  jwks?: JsonWebKey[];
  /**
   * Whether the client must prove a DPoP key (RFC 9449) at the token endpoint: a token request
   * without a `DPoP` proof is refused with `invalid_dpop_proof`. Any client that sends a proof
   * gets DPoP-bound tokens (`token_type: "DPoP"`, `cnf.jkt`), and refresh tokens bound to the key.
   *
   * @default {false}
   */
  dpop?: boolean;
  /**
   * The `grant_type` values the client may use; `"device_code"` is short for
   * `"urn:ietf:params:oauth:grant-type:device_code"`. A refresh token is issued only to clients
   * allowed `"refresh_token"`.
   *
   * @default {["authorization_code", "refresh_token"]}
   */
  grants?: string[];
  /**
   * The registered redirect URIs, compared exactly, except that the port of a loopback
   * `http://127.0.0.1` or `http://[::1]` URI of a public client may differ (RFC 8252 §7.3). A
   * public client without the list accepts any loopback redirect URI.
   */
  redirectUris?: string[];
  /**
   * The scope granted when a request names none.
   *
   * @default {"openid"}
   */
  scope?: string;
}

/** A person who can sign in at the mock provider. */
export interface MockUser {
  /** The name typed into the sign-in form (and the `preferred_username` claim). */
  username: string;
  /** The password. */
  password: string;
  /** The `sub` (subject) claim of the user's tokens. */
  sub: string;
  /** The `name` claim, released with the `profile` scope. */
  name?: string;
  /** The `email` claim, released with the `email` scope. */
  email?: string;
}

/** Options of {@linkcode startMockProvider}. */
export interface MockProviderOptions {
  /**
   * The port to listen on; `0` picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /**
   * The loopback address to bind to (`127.0.0.0/8`, `::1` or `localhost`); nothing else is
   * accepted.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Lifetime of access tokens, in seconds.
   *
   * @default {3600}
   */
  accessTokenTtl?: number;
  /**
   * Lifetime of each refresh token, in seconds.
   *
   * @default {2592000}
   */
  refreshTokenTtl?: number;
  /**
   * Whether every refresh returns a new refresh token and retires the old one. When `false`, the
   * refresh response has no `refresh_token` and the old one stays valid.
   *
   * @default {true}
   */
  rotateRefreshTokens?: boolean;
  /**
   * The registered clients. By default: the public `latchkey-cli` (device code, authorization
   * code, refresh token and password grants, any loopback redirect URI, scope
   * `openid profile email offline_access`) and the confidential `latchkey-service` with the
   * secret `service-secret` (client credentials and refresh token grants, scope `api`).
   */
  clients?: MockClient[];
  /**
   * The users who can sign in. By default one: `alice`, password `wonderland`, sub
   * `user-alice`, name `Alice`, email `alice@example.org`.
   */
  users?: MockUser[];
  /**
   * The scope values the provider knows; a request for any other is `invalid_scope`.
   *
   * @default {["openid", "profile", "email", "offline_access", "api"]}
   */
  scopes?: string[];
  /**
   * The device flow polling interval, in seconds, above 0. A poll sooner than this after the
   * previous one is answered `slow_down`, and the interval of that device code grows by 5
   * seconds (RFC 8628 §3.5). Fractions (e.g. `0.2`) make tests fast; real providers use whole
   * seconds.
   *
   * @default {1}
   */
  deviceInterval?: number;
  /**
   * Lifetime of device codes, in seconds.
   *
   * @default {600}
   */
  deviceCodeTtl?: number;
  /**
   * Seconds added to the provider's clock: the `iat` and `exp` it issues and the expiry it
   * checks. Use it to test clients whose clock is off.
   *
   * @default {0}
   */
  clockSkew?: number;
  /**
   * Which discovery documents are served: `/.well-known/openid-configuration` (`"oidc"`),
   * `/.well-known/oauth-authorization-server` (`"oauth2"`) or both.
   *
   * @default {"both"}
   */
  discovery?: "both" | "oidc" | "oauth2";
  /**
   * Whether the revocation endpoint (RFC 7009) is served and advertised.
   *
   * @default {true}
   */
  revocation?: boolean;
  /**
   * Where DPoP proofs must carry the provider's nonce (RFC 9449 §8, §9): at the token endpoint
   * (`"provider"`: `400 use_dpop_nonce`), at the demo API (`"api"`: `401` with
   * `WWW-Authenticate: DPoP error="use_dpop_nonce"`), or both. The nonce comes in the `DPoP-Nonce`
   * header of the challenge; {@linkcode MockProvider.rotateDpopNonce} replaces it.
   */
  dpopNonce?: "provider" | "api" | "both";
  /** Closes the provider when aborted. */
  signal?: AbortSignal;
}
