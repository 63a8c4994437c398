/**
 * A credential as JSON: the OAuth token JSON that token files hold and
 * `latchkey refresh` prints, and the stored form that adds what a service
 * login renews with (kept only in the profile's store).
 *
 * @module
 */

import { Credential } from "./credential.ts";
import { decodeJwt } from "./jwt.ts";
import { numberField, stringField } from "./util/json_fields.ts";
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
 * import { credentialFromStoredJson, credentialToStoredJson } from "./credential_json.ts";
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
 * import { credentialFromStoredJson } from "./credential_json.ts";
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
