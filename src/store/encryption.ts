/**
 * Encryption at rest for the fleet stores (`redis`, `kv`), and the one format
 * both use for a stored credential.
 *
 * A credential is stored as its OAuth token JSON text. When a store key is
 * set (`LATCHKEY_STORE_KEY`: the base64 encoding of 32 random bytes, e.g.
 * from `openssl rand -base64 32`), it is sealed with AES-256-GCM instead:
 *
 * ```text
 * latchkey:aes-256-gcm:v2:<key id>:<iv>:<ciphertext and tag>
 * ```
 *
 * `<key id>` is 8 hex digits derived from the key (it names the key, it does
 * not reveal it), `<iv>` is a random 96-bit nonce and the ciphertext carries
 * the 128-bit tag; both are base64url. The additional data names the format
 * version, the store kind (`redis`, `kv`), its namespace (the Redis key
 * prefix, the KV key path) and the profile, so a value copied to another
 * profile, prefix or kind of store does not decrypt. Values of format `v1`
 * (which bound the profile only) still open, and the next write reseals them
 * as `v2`.
 * Several keys may be given, separated by commas: the first seals, all open
 * (key rotation). With a key set, an unencrypted value is refused: whoever
 * can write to the server must not be able to plant a credential.
 *
 * What an operator must protect: the store key above all — with it, a copy
 * of the database (a backup, an RDB dump, a replica) yields every refresh
 * token in it; keep it in the fleet's secret manager, never in the same place
 * as the data. Without a key, the server and its backups hold live refresh
 * tokens in clear: restrict who can reach it (`requirepass`/ACLs, TLS with
 * `rediss://`, a private network) exactly as for a password database.
 * Encryption does not stop someone with write access from deleting
 * credentials or holding the lock (a denial of service), and the profile
 * names and lock keys stay readable.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import { credentialFromStoredJson, credentialToStoredJson } from "../credential_json.ts";
import { AuthError } from "../errors.ts";
import { checkCredentialSyntax } from "../token_syntax.ts";
import { jsonObjectOf } from "../util/json_object.ts";

/** The environment variable holding the store key(s). */
export const STORE_KEY_ENV = "LATCHKEY_STORE_KEY";

const PREFIX = "latchkey:aes-256-gcm:v2:";
/** The first format, whose additional data binds the profile only: opened, never sealed. */
const PREFIX_V1 = "latchkey:aes-256-gcm:v1:";
const HINT_KEY = `set ${STORE_KEY_ENV} to the base64 of 32 random bytes (openssl rand -base64 32)`;

/** A store key, ready to seal and open values. */
export interface StoreKey {
  /** 8 hex digits naming the key (not secret). */
  readonly id: string;
  /** The AES-GCM key (not extractable). */
  readonly key: CryptoKey;
}

/** The keys of a store: the first seals, all open. */
export interface StoreKeyring {
  /** The key that seals new values. */
  readonly current: StoreKey;
  /** Every key, by id. */
  readonly byId: ReadonlyMap<string, StoreKey>;
}

/** What {@linkcode sealCredential} and {@linkcode openCredential} need to name things. */
export interface SealContext {
  /** The kind of store holding the value; bound as additional data. */
  kind: "redis" | "kv";
  /**
   * The store's namespace: the Redis key prefix, the KV key path before the
   * profile; bound as additional data.
   */
  namespace: string;
  /** The profile (or cache key) the value belongs to; bound as additional data. */
  profile: string;
  /** The store, for messages: e.g. `redis store "redis://127.0.0.1:6379/0"`. */
  where: string;
}

function decodeKey(text: string): Uint8Array<ArrayBuffer> {
  const compact = text.trim();
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  for (const alphabet of ["base64", "base64url"] as const) {
    try {
      bytes = Uint8Array.fromBase64(compact, { alphabet });
      break;
    } catch {
      // try the other alphabet
    }
  }
  if (bytes?.length !== 32) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Invalid ${STORE_KEY_ENV}: expected the base64 encoding of 32 bytes`,
      { hint: HINT_KEY },
    );
  }
  return bytes;
}

async function keyId(raw: Uint8Array): Promise<string> {
  const label = new TextEncoder().encode("latchkey store key id\n");
  const data = new Uint8Array(label.length + raw.length);
  data.set(label);
  data.set(raw, label.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return digest.subarray(0, 4).toHex();
}

/**
 * Imports store keys: the base64 (or base64url) encoding of 32 bytes each,
 * separated by commas; the first seals new values.
 *
 * @param text The keys, e.g. the value of `LATCHKEY_STORE_KEY`.
 * @returns The keyring.
 * @throws {AuthError} `CONFIG_INVALID` when a key is not 32 bytes of base64.
 *
 * @example
 * ```ts
 * import { importStoreKeys } from "./encryption.ts";
 * const text = crypto.getRandomValues(new Uint8Array(32)).toBase64();
 * const keys = await importStoreKeys(text);
 * if (!(/^[0-9a-f]{8}$/.test(keys.current.id))) {
 *   throw new Error("Expected /^[0-9a-f]{8}$/.test(keys.current.id)");
 * }
 * ```
 */
export async function importStoreKeys(text: string): Promise<StoreKeyring> {
  const parts = text.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) {
    throw new AuthError("CONFIG_INVALID", `Invalid ${STORE_KEY_ENV}: it is empty`, {
      hint: HINT_KEY,
    });
  }
  const keys: StoreKey[] = [];
  for (const part of parts) {
    const raw = decodeKey(part);
    const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    keys.push({ id: await keyId(raw), key });
    raw.fill(0);
  }
  return { current: keys[0]!, byId: new Map(keys.map((k) => [k.id, k])) };
}

/**
 * Reads the store keys from `LATCHKEY_STORE_KEY`.
 *
 * @returns The keyring, or `undefined` when the variable is unset or empty.
 * @throws {AuthError} `CONFIG_INVALID` when it is malformed; `PERMISSION_DENIED` when the
 * environment may not be read.
 */
export async function storeKeysFromEnv(): Promise<StoreKeyring | undefined> {
  let text: string | undefined;
  try {
    text = Deno.env.get(STORE_KEY_ENV);
  } catch (error) {
    throw new AuthError("PERMISSION_DENIED", `Cannot read ${STORE_KEY_ENV}: no permission`, {
      cause: error,
      hint: `run with --allow-env=${STORE_KEY_ENV}`,
    });
  }
  return text?.trim() ? await importStoreKeys(text) : undefined;
}

/** The additional data of a value: what it belongs to, in the format `v2` or `v1`. */
function additionalData(
  context: Omit<SealContext, "where">,
  version: "v1" | "v2",
): Uint8Array<ArrayBuffer> {
  const text = version === "v1" ? `latchkey credential\n${context.profile}` : JSON.stringify([
    "latchkey credential",
    "v2",
    context.kind,
    context.namespace,
    context.profile,
  ]);
  return new TextEncoder().encode(text);
}

/**
 * The stored form of a credential: its OAuth token JSON, sealed with the
 * current key when there is a keyring.
 *
 * @param credential The credential.
 * @param keys The store keys, if any.
 * @param context The store kind, namespace and profile it belongs to.
 * @returns The value to store.
 *
 * @example
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { importStoreKeys, sealCredential } from "./encryption.ts";
 * const keys = await importStoreKeys(crypto.getRandomValues(new Uint8Array(32)).toBase64());
 * const context = { kind: "redis", namespace: "latchkey:", profile: "p" } as const;
 * const value = await sealCredential(new Credential({ accessToken: "t" }), keys, context);
 * if (!value.startsWith("latchkey:aes-256-gcm:v2:")) throw new Error("not sealed");
 * ```
 */
export async function sealCredential(
  credential: Credential,
  keys: StoreKeyring | undefined,
  context: Omit<SealContext, "where">,
): Promise<string> {
  const json = credentialToStoredJson(credential);
  // Absolute times, unrounded: every machine sees the same expiry and leeway as the refresher.
  delete json.expires_in;
  if (credential.expiresAt !== undefined) json.expires_at = credential.expiresAt;
  json.issued_at = credential.issuedAt;
  const text = JSON.stringify(json);
  if (!keys) return text;
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(context, "v2") },
    keys.current.key,
    new TextEncoder().encode(text),
  );
  const b64 = (bytes: Uint8Array) => bytes.toBase64({ alphabet: "base64url", omitPadding: true });
  return `${PREFIX}${keys.current.id}:${b64(iv)}:${b64(new Uint8Array(sealed))}`;
}

/**
 * Reads a stored value back into a credential, decrypting it when sealed.
 *
 * @param value The stored value.
 * @param keys The store keys, if any.
 * @param context The store kind, namespace and profile (bound as additional data) and the
 * store's name for messages.
 * @returns The credential.
 * @throws {AuthError} `CONFIG_INVALID` when the value cannot be decrypted (no key, another
 * key, altered, sealed for another profile, namespace or kind of store) or is unencrypted
 * while a key is set; `BAD_TOKEN_FILE` when it is not a credential.
 *
 * @example
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { importStoreKeys, openCredential, sealCredential } from "./encryption.ts";
 * const keys = await importStoreKeys(crypto.getRandomValues(new Uint8Array(32)).toBase64());
 * const context = { kind: "kv", namespace: "latchkey/cred", profile: "p", where: "kv store" } as const;
 * const value = await sealCredential(new Credential({ accessToken: "t" }), keys, context);
 * const back = await openCredential(value, keys, context);
 * if (back.accessToken?.reveal() !== "t") throw new Error("not opened");
 * ```
 */
export async function openCredential(
  value: string,
  keys: StoreKeyring | undefined,
  context: SealContext,
): Promise<Credential> {
  const what =
    `Cannot read the credential of profile "${context.profile}" from the ${context.where}`;
  let text: string;
  const version = value.startsWith(PREFIX) ? "v2" : value.startsWith(PREFIX_V1) ? "v1" : undefined;
  if (version) {
    const [id, iv, sealed, extra] = value.slice(PREFIX.length).split(":");
    if (!id || !iv || !sealed || extra !== undefined) {
      throw new AuthError("BAD_TOKEN_FILE", `${what}: the encrypted value is malformed`, {
        hint: "log in again to replace it",
      });
    }
    if (!keys) {
      throw new AuthError("CONFIG_INVALID", `${what}: it is encrypted and no key is set`, {
        hint: `set ${STORE_KEY_ENV} to the key the fleet uses (key id ${id})`,
      });
    }
    const key = keys.byId.get(id);
    if (!key) {
      throw new AuthError(
        "CONFIG_INVALID",
        `${what}: it was encrypted with another key (key id ${id}, ${STORE_KEY_ENV} has ${
          [...keys.byId.keys()].join(", ")
        })`,
        { hint: `set ${STORE_KEY_ENV} to the key the fleet uses, or log in again` },
      );
    }
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: Uint8Array.fromBase64(iv, { alphabet: "base64url" }),
          additionalData: additionalData(context, version),
        },
        key.key,
        Uint8Array.fromBase64(sealed, { alphabet: "base64url" }),
      );
      text = new TextDecoder().decode(plain);
    } catch (error) {
      throw new AuthError(
        "CONFIG_INVALID",
        `${what}: decryption failed (the value was altered, or belongs to another profile or store)`,
        { cause: error, hint: "log in again to replace it" },
      );
    }
  } else if (keys) {
    throw new AuthError(
      "CONFIG_INVALID",
      `${what}: it is stored unencrypted while ${STORE_KEY_ENV} is set`,
      { hint: "log in again (latchkey login --force) to store it encrypted" },
    );
  } else {
    text = value;
  }
  const json = jsonObjectOf(text);
  if (!json) {
    throw new AuthError("BAD_TOKEN_FILE", `${what}: the value is not a JSON object`, {
      hint: "log in again to replace it",
    });
  }
  return checkCredentialSyntax(
    credentialFromStoredJson(json),
    `the credential of profile "${context.profile}" in the ${context.where}`,
    "store",
  );
}
