/**
 * The credential a login yields, and its lifetime rules.
 *
 * @module
 */

import { decodeJwt, type JwtPayload } from "./jwt.ts";
import { Secret } from "./secret.ts";

/** What a {@linkcode Credential} is made of. Times are seconds since the epoch. */
export interface CredentialInit {
  /** The access token. */
  accessToken?: string | Secret | undefined;
  /** The refresh token, when the provider gave one. */
  refreshToken?: string | Secret | undefined;
  /** The OpenID Connect ID token, when the provider gave one. */
  idToken?: string | Secret | undefined;
  /** Absolute expiry of the access token (seconds since the epoch). Defaults to the JWT's `exp`. */
  expiresAt?: number | undefined;
  /** When the access token was issued (seconds). Defaults to the JWT's `iat`, else now. */
  issuedAt?: number | undefined;
  /** The granted scope. */
  scope?: string | undefined;
  /** The token type, `Bearer` unless the provider said otherwise. */
  tokenType?: string | undefined;
  /** The issuer that minted it. */
  issuer?: string | undefined;
  /** The client it was minted for. */
  clientId?: string | undefined;
  /**
   * The client secret a service login renews with (client credentials, or a
   * confidential client's refresh). Kept in the profile's store only; never in
   * a token JSON that is printed or written to a token file.
   */
  clientSecret?: string | Secret | undefined;
  /**
   * The path of the private key a service login renews with instead of a
   * secret (`private_key_jwt`); the key itself is never kept.
   */
  clientKeyFile?: string | undefined;
  /** The `kid` of that key's assertions, when one was given. */
  clientKeyId?: string | undefined;
  /**
   * The private JWK (JSON) of the DPoP key the tokens are bound to. Kept in
   * the profile's store only, like the client secret.
   */
  dpopKey?: string | Secret | undefined;
}

/** The longest default leeway, in seconds. */
export const MAX_DEFAULT_LEEWAY = 300;

/** The latest time a `Date` can hold, in seconds (year 275760). */
const MAX_TIME = 8.64e12;

/** A time in seconds, or `undefined` when it is not one a `Date` can hold. */
function time(value: number | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= MAX_TIME
    ? value
    : undefined;
}

function secret(value: string | Secret | undefined): Secret | undefined {
  if (value === undefined || value === "") return undefined;
  return typeof value === "string" ? new Secret(value) : value;
}

/**
 * A credential: access token, optional refresh and ID tokens, absolute expiry
 * and issue time, scope, token type, issuer and client id. Immutable. Its
 * secrets are {@linkcode Secret}s, so printing a credential shows `***`.
 *
 * @example
 * ```ts
 * import { Credential } from "@latchkey/latchkey";
 * const c = new Credential({ accessToken: "opaque", issuedAt: 1000, expiresAt: 1600 });
 * if (!(c.leeway() === 300 && c.needsRefresh(undefined, 1300) && !c.isExpired(1300))) {
 *   throw new Error("Expected c.leeway() === 300 && c.needsRefresh(undefined, 1300) && !c.isExp…");
 * }
 * if (!(!JSON.stringify(c).includes("opaque"))) {
 *   throw new Error("Expected !JSON.stringify(c).includes(\"opaque\")");
 * }
 * ```
 */
export class Credential {
  /** The access token. */
  readonly accessToken: Secret | undefined;
  /** The refresh token. */
  readonly refreshToken: Secret | undefined;
  /** The ID token. */
  readonly idToken: Secret | undefined;
  /** Absolute expiry of the access token, seconds since the epoch. */
  readonly expiresAt: number | undefined;
  /** When the access token was issued, seconds since the epoch. */
  readonly issuedAt: number;
  /** The granted scope. */
  readonly scope: string | undefined;
  /** The token type. */
  readonly tokenType: string;
  /** The issuer. */
  readonly issuer: string | undefined;
  /** The client id. */
  readonly clientId: string | undefined;
  /** The client secret a service login renews with, when it was kept with the credential. */
  readonly clientSecret: Secret | undefined;
  /** The client key file a service login renews with (`private_key_jwt`), when kept. */
  readonly clientKeyFile: string | undefined;
  /** The `kid` of the client key's assertions. */
  readonly clientKeyId: string | undefined;
  /** The private JWK of the DPoP key the tokens are bound to. */
  readonly dpopKey: Secret | undefined;

  /**
   * Creates a credential; missing times are taken from the access token's JWT
   * claims when it is a JWT.
   *
   * @param init The parts of the credential.
   */
  constructor(init: CredentialInit) {
    this.accessToken = secret(init.accessToken);
    this.refreshToken = secret(init.refreshToken);
    this.idToken = secret(init.idToken);
    const claims = this.accessToken ? decodeJwt(this.accessToken.reveal())?.payload : undefined;
    // An expiry beyond what a Date can hold (`expires_in: 1e308`) is no known expiry.
    this.expiresAt = time(init.expiresAt ?? claims?.exp);
    this.issuedAt = time(init.issuedAt ?? claims?.iat) ?? Math.floor(Date.now() / 1000);
    this.scope = init.scope || (typeof claims?.scope === "string" ? claims.scope : undefined);
    this.tokenType = init.tokenType || "Bearer";
    this.issuer = init.issuer ?? claims?.iss;
    this.clientId = init.clientId;
    this.clientSecret = secret(init.clientSecret);
    this.clientKeyFile = init.clientKeyFile || undefined;
    this.clientKeyId = init.clientKeyId || undefined;
    this.dpopKey = secret(init.dpopKey);
  }

  /** The access token's claims when it is a JWT (unverified). */
  get payload(): JwtPayload | undefined {
    return this.accessToken ? decodeJwt(this.accessToken.reveal())?.payload : undefined;
  }

  /** Whom the credential stands for: `sub` of the access token, else of the ID token. */
  get subject(): string | undefined {
    const fromId = this.idToken ? decodeJwt(this.idToken.reveal())?.payload.sub : undefined;
    return this.payload?.sub ?? fromId;
  }

  /**
   * Whether a refresh token, a client secret or a client key file is held: the
   * means to renew without a person.
   */
  get refreshable(): boolean {
    return this.refreshToken !== undefined || this.clientSecret !== undefined ||
      this.clientKeyFile !== undefined;
  }

  /**
   * The leeway before expiry at which the token is renewed.
   *
   * @param leeway An explicit leeway in seconds; by default min(300, half the lifetime).
   * @returns The leeway in seconds.
   */
  leeway(leeway?: number): number {
    if (leeway !== undefined) return leeway;
    if (this.expiresAt === undefined) return 0;
    const lifetime = this.expiresAt - this.issuedAt;
    return lifetime > 0 ? Math.min(MAX_DEFAULT_LEEWAY, lifetime / 2) : MAX_DEFAULT_LEEWAY;
  }

  /**
   * Whether the access token is missing or past its expiry.
   *
   * @param now The time to compare with, seconds since the epoch.
   * @returns `true` when the access token cannot be used any more.
   */
  isExpired(now: number = Date.now() / 1000): boolean {
    if (!this.accessToken) return true;
    return this.expiresAt !== undefined && now >= this.expiresAt;
  }

  /**
   * Whether the access token is missing or within the leeway of its expiry.
   * A token without a known expiry never needs a refresh until a server
   * rejects it.
   *
   * @param leeway The leeway in seconds (default: {@linkcode Credential.prototype.leeway}).
   * @param now The time to compare with, seconds since the epoch.
   * @returns `true` when the credential should be renewed before use.
   */
  needsRefresh(leeway?: number, now: number = Date.now() / 1000): boolean {
    if (!this.accessToken) return true;
    if (this.expiresAt === undefined) return false;
    return now >= this.expiresAt - this.leeway(leeway);
  }

  /**
   * Seconds until the access token expires, `undefined` when unknown.
   *
   * @param now The time to compare with, seconds since the epoch.
   * @returns The remaining lifetime in whole seconds (never negative).
   */
  expiresIn(now: number = Date.now() / 1000): number | undefined {
    return this.expiresAt === undefined ? undefined : Math.max(0, Math.floor(this.expiresAt - now));
  }

  /**
   * Returns a copy with some parts replaced.
   *
   * @param changes The parts to replace.
   * @returns A new credential.
   */
  with(changes: CredentialInit): Credential {
    return new Credential({ ...this.#init(), ...changes });
  }

  #init(): CredentialInit {
    return {
      accessToken: this.accessToken,
      refreshToken: this.refreshToken,
      idToken: this.idToken,
      expiresAt: this.expiresAt,
      issuedAt: this.issuedAt,
      scope: this.scope,
      tokenType: this.tokenType,
      issuer: this.issuer,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      clientKeyFile: this.clientKeyFile,
      clientKeyId: this.clientKeyId,
      dpopKey: this.dpopKey,
    };
  }

  /**
   * A JSON view without secrets.
   *
   * @returns The credential with its secrets shown as `***`.
   */
  toJSON(): Record<string, unknown> {
    return { ...this.#init(), subject: this.subject };
  }

  /**
   * What `Deno.inspect` and `console.log` show: no secrets.
   *
   * @returns `Credential { … }` with its secrets shown as `***`.
   */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options: unknown) => string,
    options: unknown,
  ): string {
    return `Credential ${inspect(this.toJSON(), options)}`;
  }
}
