/**
 * The credential a login yields, and its lifetime rules.
 *
 * @module
 */

import { decodeJwt, type JwtPayload } from "./jwt.ts";
import { Secret } from "./secret.ts";
import { numberField, stringField } from "./util/json_fields.ts";

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

/**
 * The OAuth token JSON of a credential (RFC 6749 §5.1 field names, with
 * `expires_at`, `issued_at`, `issuer` and `client_id` added). It holds the
 * secrets in clear: write it only to 0600 files or stdout on purpose.
 *
 * @param credential The credential.
 * @returns A plain object ready for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import { Credential, credentialToTokenJson } from "@latchkey/latchkey";
 * const json = credentialToTokenJson(new Credential({ accessToken: "t", refreshToken: "r", expiresAt: 2e9 }));
 * if (!(json.access_token === "t" && json.refresh_token === "r" && json.expires_at === 2e9)) {
 *   throw new Error("Expected json.access_token === \"t\" && json.refresh_token === \"r\" && js…");
 * }
 * ```
 */
export function credentialToTokenJson(credential: Credential): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (credential.accessToken) out.access_token = credential.accessToken.reveal();
  out.token_type = credential.tokenType;
  if (credential.expiresAt !== undefined) {
    out.expires_at = millis(credential.expiresAt);
    out.expires_in = credential.expiresIn();
  }
  out.issued_at = millis(credential.issuedAt);
  if (credential.refreshToken) out.refresh_token = credential.refreshToken.reveal();
  if (credential.idToken) out.id_token = credential.idToken.reveal();
  if (credential.scope) out.scope = credential.scope;
  if (credential.issuer) out.issuer = credential.issuer;
  if (credential.clientId) out.client_id = credential.clientId;
  return out;
}

/** Seconds with millisecond precision: short tokens need sub-second expiry. */
function millis(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * Reads a credential from an OAuth token JSON object (a token endpoint's answer
 * or a saved file). `expires_in` counts from `writtenAt` (the answer's arrival
 * or the file's modification time) unless an absolute `expires_at`/`expires`
 * is present.
 *
 * @param json The parsed object.
 * @param writtenAt When `expires_in` started counting (seconds since the epoch).
 * @returns The credential.
 *
 * @example
 * ```ts
 * import { credentialFromTokenJson } from "@latchkey/latchkey";
 * const c = credentialFromTokenJson({ access_token: "t", expires_in: 3600 }, 1000);
 * if (!(c.expiresAt === 4600 && c.issuedAt === 1000)) {
 *   throw new Error("Expected c.expiresAt === 4600 && c.issuedAt === 1000");
 * }
 * ```
 */
export function credentialFromTokenJson(
  json: Record<string, unknown>,
  writtenAt: number = Date.now() / 1000,
): Credential {
  const expiresIn = numberField(json.expires_in);
  const issuedAt = numberField(json.issued_at);
  const absolute = numberField(json.expires_at) ?? numberField(json.expires);
  const expiresAt = absolute ??
    (expiresIn !== undefined ? (issuedAt ?? writtenAt) + expiresIn : undefined);
  const accessToken = stringField(json.access_token);
  // Without "issued_at", an absolute expiry's lifetime counts from when the
  // file was written (unless the token is a JWT with its own "iat"): else the
  // issue time would be "now" at every read and the default leeway (half the
  // remaining time) would never come due before the expiry itself.
  const writtenBeforeExpiry = absolute !== undefined && writtenAt < absolute &&
    (accessToken === undefined || decodeJwt(accessToken)?.payload.iat === undefined);
  return new Credential({
    accessToken,
    refreshToken: stringField(json.refresh_token),
    idToken: stringField(json.id_token),
    expiresAt,
    issuedAt: issuedAt ??
      ((expiresIn !== undefined && absolute === undefined) || writtenBeforeExpiry
        ? writtenAt
        : undefined),
    scope: stringField(json.scope),
    tokenType: stringField(json.token_type),
    issuer: stringField(json.issuer),
    clientId: stringField(json.client_id),
  });
}

/**
 * The JSON a store keeps for a credential: its OAuth token JSON plus the
 * `client_secret` a service login renews with. Only stores (0600 files, the
 * keychain, sealed fleet values) hold this form; what is printed or written
 * to a token file is {@linkcode credentialToTokenJson}, without the secret.
 *
 * @param credential The credential.
 * @returns A plain object ready for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import { Credential } from "@latchkey/latchkey";
 * import { credentialFromStoredJson, credentialToStoredJson } from "./credential.ts";
 * const stored = credentialToStoredJson(new Credential({ accessToken: "t", clientSecret: "s" }));
 * if (stored.client_secret !== "s") throw new Error("the store form keeps the secret");
 * if (credentialFromStoredJson(stored).clientSecret?.reveal() !== "s") throw new Error("round trip");
 * ```
 */
export function credentialToStoredJson(credential: Credential): Record<string, unknown> {
  const out = credentialToTokenJson(credential);
  if (credential.clientSecret) out.client_secret = credential.clientSecret.reveal();
  if (credential.clientKeyFile) out.client_key_file = credential.clientKeyFile;
  if (credential.clientKeyId) out.client_key_id = credential.clientKeyId;
  if (credential.dpopKey) out.dpop_key = credential.dpopKey.reveal();
  return out;
}

/**
 * Reads what {@linkcode credentialToStoredJson} wrote.
 *
 * @param json The parsed object.
 * @param writtenAt When `expires_in` started counting (seconds since the epoch).
 * @returns The credential, with its client secret when one was kept.
 *
 * @example
 * ```ts
 * import { credentialFromStoredJson } from "./credential.ts";
 * const c = credentialFromStoredJson({ access_token: "t", client_secret: "s" });
 * if (!c.refreshable) throw new Error("a kept client secret renews the credential");
 * ```
 */
export function credentialFromStoredJson(
  json: Record<string, unknown>,
  writtenAt?: number,
): Credential {
  const credential = credentialFromTokenJson(json, writtenAt);
  const kept = {
    clientSecret: stringField(json.client_secret),
    clientKeyFile: stringField(json.client_key_file),
    clientKeyId: stringField(json.client_key_id),
    dpopKey: stringField(json.dpop_key),
  };
  return Object.values(kept).some((value) => value !== undefined)
    ? credential.with(kept)
    : credential;
}
