/**
 * Resolves {@linkcode MockProviderOptions} into a checked configuration with every default
 * filled in.
 *
 * @module
 */

import type { JWK } from "jose";
import type { MockClient, MockProviderOptions, MockUser } from "./options.ts";

/** The `grant_type` of the device authorization grant (RFC 8628). */
export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

/** Every grant type the provider implements. */
export const GRANT_TYPES: readonly string[] = [
  "authorization_code",
  DEVICE_GRANT,
  "refresh_token",
  "client_credentials",
  "password",
];

/** A client with its defaults filled in. */
export interface ResolvedClient {
  clientId: string;
  clientSecret: string | undefined;
  grants: ReadonlySet<string>;
  redirectUris: readonly string[] | undefined;
  scope: string;
  /** The client's public keys for `private_key_jwt`. */
  jwks: readonly JWK[] | undefined;
  /** Whether token requests must carry a DPoP proof. */
  dpop: boolean;
  /** A secret or keys: the client must authenticate. */
  confidential: boolean;
}

/** The provider's configuration, checked and complete. */
export interface Config {
  hostname: string;
  port: number;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  rotateRefreshTokens: boolean;
  clients: ReadonlyMap<string, ResolvedClient>;
  users: ReadonlyMap<string, MockUser>;
  scopes: ReadonlySet<string>;
  deviceInterval: number;
  deviceCodeTtl: number;
  clockSkew: number;
  discovery: "both" | "oidc" | "oauth2";
  revocation: boolean;
  /** Where DPoP proofs must carry the provider's nonce. */
  dpopNonce: { provider: boolean; api: boolean };
}

const DEFAULT_CLIENTS: MockClient[] = [
  {
    clientId: "latchkey-cli",
    grants: ["device_code", "authorization_code", "refresh_token", "password"],
    scope: "openid profile email offline_access",
  },
  {
    clientId: "latchkey-service",
    clientSecret: "service-secret",
    grants: ["client_credentials", "refresh_token"],
    scope: "api",
  },
];

const DEFAULT_USERS: MockUser[] = [
  {
    username: "alice",
    password: "wonderland",
    sub: "user-alice",
    name: "Alice",
    email: "alice@example.org",
  },
];

/**
 * Maps the short grant name `"device_code"` to its URN; returns anything else unchanged.
 *
 * @param grant A `grant_type` value.
 * @returns The full `grant_type`.
 */
export function normalizeGrant(grant: string): string {
  return grant === "device_code" ? DEVICE_GRANT : grant;
}

/** Whether `hostname` names a loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Fills in the defaults of `options` and checks them.
 *
 * @param options What the caller asked for.
 * @returns The complete configuration.
 * @throws {RangeError} When a number is out of range or the hostname is not loopback.
 * @throws {TypeError} When two clients or users share an id.
 */
export function resolveConfig(options: MockProviderOptions = {}): Config {
  const hostname = options.hostname ?? "127.0.0.1";
  if (!isLoopbackHost(hostname)) {
    throw new RangeError(`Cannot start mock provider: hostname "${hostname}" is not loopback`);
  }
  if (
    options.dpopNonce !== undefined && !["provider", "api", "both"].includes(options.dpopNonce)
  ) {
    throw new TypeError(
      'Cannot start mock provider: "dpopNonce" must be "provider", "api" or "both"',
    );
  }
  const clients = new Map<string, ResolvedClient>();
  for (const client of options.clients ?? DEFAULT_CLIENTS) {
    if (clients.has(client.clientId)) {
      throw new TypeError(`Cannot start mock provider: client "${client.clientId}" is repeated`);
    }
    clients.set(client.clientId, {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      grants: new Set(
        (client.grants ?? ["authorization_code", "refresh_token"]).map(normalizeGrant),
      ),
      redirectUris: client.redirectUris,
      scope: client.scope ?? "openid",
      jwks: checkedKeys(client),
      dpop: client.dpop ?? false,
      confidential: client.clientSecret !== undefined || client.jwks !== undefined,
    });
  }
  const users = new Map<string, MockUser>();
  for (const user of options.users ?? DEFAULT_USERS) {
    if (users.has(user.username)) {
      throw new TypeError(`Cannot start mock provider: user "${user.username}" is repeated`);
    }
    users.set(user.username, { ...user });
  }
  return {
    hostname,
    port: seconds("port", options.port, 0),
    accessTokenTtl: seconds("accessTokenTtl", options.accessTokenTtl, 3600, 1),
    refreshTokenTtl: seconds("refreshTokenTtl", options.refreshTokenTtl, 30 * 86400, 1),
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    clients,
    users,
    scopes: new Set(options.scopes ?? ["openid", "profile", "email", "offline_access", "api"]),
    deviceInterval: seconds("deviceInterval", options.deviceInterval, 1, Number.MIN_VALUE),
    deviceCodeTtl: seconds("deviceCodeTtl", options.deviceCodeTtl, 600, 1),
    clockSkew: seconds("clockSkew", options.clockSkew, 0, -Infinity),
    discovery: options.discovery ?? "both",
    revocation: options.revocation ?? true,
    dpopNonce: {
      provider: options.dpopNonce === "provider" || options.dpopNonce === "both",
      api: options.dpopNonce === "api" || options.dpopNonce === "both",
    },
  };
}

/** A client's `jwks`, refused when empty or when a key holds a private part. */
function checkedKeys(client: MockClient): readonly JWK[] | undefined {
  if (client.jwks === undefined) return undefined;
  const where = `Cannot start mock provider: client "${client.clientId}"`;
  if (client.jwks.length === 0) throw new TypeError(`${where} has an empty "jwks"`);
  for (const key of client.jwks) {
    if ("d" in key || "p" in key || "k" in key) {
      throw new TypeError(`${where} lists a private or secret key in "jwks": register public keys`);
    }
  }
  return client.jwks.map((key) => ({ ...key }));
}

function seconds(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) {
    const bound = min === Number.MIN_VALUE ? "> 0" : `>= ${min}`;
    throw new RangeError(`Cannot start mock provider: "${name}" must be a number ${bound}`);
  }
  return value;
}
