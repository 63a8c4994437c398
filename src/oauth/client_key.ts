/**
 * The private key a confidential client authenticates with instead of a
 * secret (`private_key_jwt`, RFC 7523 §2.2): read from a PKCS#8 PEM or a JWK
 * file, or given as a `CryptoKey`, and checked before anything is sent. A key
 * file that group or others can read is refused, as ssh refuses one; an
 * encrypted PEM, a public key, a certificate or an unsupported curve is a
 * `BAD_CLIENT_KEY` error naming the file and what to do. No message quotes
 * any of the key.
 *
 * @module
 */

import { AuthError } from "../errors.ts";
import { assertPrivateFile, readIfExistsNoFollow } from "../fs/secure.ts";

/** A client's signing key, ready for openid-client's `PrivateKeyJwt`. */
export interface ClientKey {
  /** The private key (not extractable when Latchkey imported it). */
  key: CryptoKey;
  /** The JWS algorithm of the client assertions: `ES256`, `ES384`, `RS256` or `EdDSA`. */
  alg: "ES256" | "ES384" | "RS256" | "EdDSA";
  /** The `kid` of the assertions' header, when the key has one or one was given. */
  kid?: string;
}

type Alg = ClientKey["alg"];

/** The key types Latchkey signs with, as WebCrypto imports them, and their JWS names. */
const KINDS: { alg: Alg; params: EcKeyImportParams | RsaHashedImportParams | Algorithm }[] = [
  { alg: "ES256", params: { name: "ECDSA", namedCurve: "P-256" } },
  { alg: "ES384", params: { name: "ECDSA", namedCurve: "P-384" } },
  { alg: "EdDSA", params: { name: "Ed25519" } },
  { alg: "RS256", params: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } },
];

const SUPPORTED = "an EC P-256 or P-384, Ed25519 or RSA private key";

/** What messages call a key given as text rather than as a file. */
const INLINE = "(given inline)";

/**
 * Whether a client key string is the key itself (PEM or JWK text, as a CI
 * secret variable holds it) rather than a file's path.
 *
 * @param source The string given as the client key.
 * @returns `true` for PEM or JWK text.
 *
 * @example
 * ```ts
 * import { isInlineKey } from "./client_key.ts";
 * if (!isInlineKey("-----BEGIN PRIVATE KEY-----\n…") || isInlineKey("/etc/svc.pem")) {
 *   throw new Error("a path is not a key");
 * }
 * ```
 */
export function isInlineKey(source: string): boolean {
  const text = source.trimStart();
  return text.startsWith("-----BEGIN") || text.startsWith("{");
}

function bad(message: string, hint?: string): AuthError {
  return new AuthError(
    "BAD_CLIENT_KEY",
    message.replace(`Client key file "${INLINE}"`, "The client key given inline"),
    hint === undefined ? {} : { hint },
  );
}

/** The JWS algorithm of a private `CryptoKey`, or `undefined` when Latchkey cannot sign with it. */
function algOf(key: CryptoKey): Alg | undefined {
  const algorithm = key.algorithm as { name: string; namedCurve?: string };
  switch (algorithm.name) {
    case "ECDSA":
      return algorithm.namedCurve === "P-256"
        ? "ES256"
        : algorithm.namedCurve === "P-384"
        ? "ES384"
        : undefined;
    case "Ed25519":
      return "EdDSA";
    case "RSASSA-PKCS1-v1_5":
      return "RS256";
    default:
      return undefined;
  }
}

/** Imports PKCS#8 DER as the first key type that accepts it. */
async function importPkcs8(der: Uint8Array<ArrayBuffer>, file: string): Promise<ClientKey> {
  for (const { alg, params } of KINDS) {
    try {
      const key = await crypto.subtle.importKey("pkcs8", der, params, false, ["sign"]);
      return { key, alg };
    } catch {
      // not this type; try the next
    }
  }
  for (const curve of ["P-521"]) {
    try {
      await crypto.subtle.importKey("pkcs8", der, { name: "ECDSA", namedCurve: curve }, false, [
        "sign",
      ]);
      throw bad(`Client key file "${file}" holds an EC ${curve} key`, `use ${SUPPORTED}`);
    } catch (error) {
      if (error instanceof AuthError) throw error;
    }
  }
  throw bad(`Client key file "${file}" holds no key Latchkey can sign with`, `use ${SUPPORTED}`);
}

/** Reads a PEM file's one block, refusing what is not an unencrypted PKCS#8 private key. */
async function fromPem(text: string, file: string): Promise<ClientKey> {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
  const convert = `openssl pkcs8 -topk8 -nocrypt -in '${file}' -out NEW.pem`;
  switch (label) {
    case "PRIVATE KEY":
      break;
    case "ENCRYPTED PRIVATE KEY":
      throw bad(
        `Client key file "${file}" is encrypted; Latchkey reads only unencrypted keys`,
        `decrypt it to a new 0600 file: ${convert}`,
      );
    case "EC PRIVATE KEY":
    case "RSA PRIVATE KEY":
      throw bad(
        `Client key file "${file}" is not PKCS#8 (it says "${label}")`,
        `convert it: ${convert}`,
      );
    case "PUBLIC KEY":
    case "CERTIFICATE":
      throw bad(
        `Client key file "${file}" holds a ${label.toLowerCase()}, not a private key`,
        "give the private key the public key was made from",
      );
    default:
      throw bad(
        `Client key file "${file}" is neither a PKCS#8 PEM nor a JWK`,
        `use ${SUPPORTED}, as PEM ("BEGIN PRIVATE KEY") or JWK JSON`,
      );
  }
  const body = /-----BEGIN PRIVATE KEY-----([^-]*)-----END PRIVATE KEY-----/.exec(text)?.[1];
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.fromBase64((body ?? "").replace(/\s+/g, ""));
  } catch {
    throw bad(`Client key file "${file}" has a broken PEM body`);
  }
  if (der.length === 0) throw bad(`Client key file "${file}" has an empty PEM body`);
  return await importPkcs8(der, file);
}

/** Reads a JWK file: one private key (with `d`) of a supported type. */
async function fromJwk(text: string, file: string): Promise<ClientKey> {
  let jwk: JsonWebKey & { kid?: unknown };
  try {
    jwk = JSON.parse(text);
  } catch {
    throw bad(`Client key file "${file}" is not valid JSON`);
  }
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw bad(`Client key file "${file}" is not a JWK object`);
  }
  if ("keys" in jwk) {
    throw bad(`Client key file "${file}" is a key set`, "give a file with the one private JWK");
  }
  if (typeof jwk.d !== "string") {
    throw bad(
      `Client key file "${file}" holds a public JWK, not a private key`,
      'give the private JWK (with "d")',
    );
  }
  const kind = jwk.kty === "EC"
    ? KINDS.find(({ params }) => (params as EcKeyImportParams).namedCurve === jwk.crv)
    : jwk.kty === "OKP" && jwk.crv === "Ed25519"
    ? KINDS.find(({ alg }) => alg === "EdDSA")
    : jwk.kty === "RSA"
    ? KINDS.find(({ alg }) => alg === "RS256")
    : undefined;
  if (kind === undefined) {
    const what = [jwk.kty, jwk.crv].filter((part) => typeof part === "string").join(" ");
    throw bad(`Client key file "${file}" holds a ${what || "untyped"} JWK`, `use ${SUPPORTED}`);
  }
  const { alg: _alg, key_ops: _ops, use: _use, ...material } = jwk;
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("jwk", material, kind.params, false, ["sign"]);
  } catch {
    throw bad(`Client key file "${file}" holds a JWK that does not import as ${kind.alg}`);
  }
  return { key, alg: kind.alg, ...(typeof jwk.kid === "string" ? { kid: jwk.kid } : {}) };
}

/**
 * Loads a client's private key for `private_key_jwt`.
 *
 * @param source A path to a PKCS#8 PEM or JWK file, the PEM or JWK text itself, or a private
 * `CryptoKey`.
 * @param kid The `kid` of the assertions, if the provider needs one (it wins over a JWK's own).
 * @returns The key, its algorithm and `kid`.
 * @throws {AuthError} `INSECURE_PERMISSIONS` when group or others can read the file (with the
 * `chmod 600` that fixes it) or it is a symbolic link; `BAD_CLIENT_KEY` when it is missing, is
 * not a private key, is encrypted, or has an unsupported type or curve.
 *
 * @example A PEM key made by WebCrypto, in a 0600 file
 * ```ts
 * import { loadClientKey } from "./client_key.ts";
 * const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
 *   "sign",
 *   "verify",
 * ]) as CryptoKeyPair;
 * const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
 * const pem = `-----BEGIN PRIVATE KEY-----\n${der.toBase64()}\n-----END PRIVATE KEY-----\n`;
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, pem, { mode: 0o600 });
 * await Deno.chmod(file, 0o600);
 * const loaded = await loadClientKey(file, "key-1");
 * if (loaded.alg !== "ES256" || loaded.kid !== "key-1") throw new Error("wrong key");
 * await Deno.remove(file);
 * ```
 */
export async function loadClientKey(source: string | CryptoKey, kid?: string): Promise<ClientKey> {
  const withKid = (loaded: ClientKey): ClientKey => kid === undefined ? loaded : { ...loaded, kid };
  if (typeof source !== "string") {
    if (source.type !== "private") {
      throw bad(`The client key is a ${source.type} key; a private key is needed`);
    }
    const alg = algOf(source);
    if (alg === undefined) {
      throw bad(`The client key is a ${source.algorithm.name} key`, `use ${SUPPORTED}`);
    }
    return withKid({ key: source, alg });
  }
  if (isInlineKey(source)) {
    // The key itself (a CI secret in LATCHKEY_CLIENT_KEY): read as a file's text would be, and
    // named "the client key" in messages — never by its value.
    const text = source.trim();
    return withKid(
      text.startsWith("{") ? await fromJwk(text, INLINE) : await fromPem(text, INLINE),
    );
  }
  const read = await readIfExistsNoFollow(source, "client key file");
  if (read === undefined) {
    throw bad(`Client key file "${source}" does not exist`, "check the --client-key path");
  }
  const { text, info } = read;
  assertPrivateFile(source, info, "client key file");
  const trimmed = text.trimStart();
  return withKid(
    trimmed.startsWith("{") ? await fromJwk(trimmed, source) : await fromPem(trimmed, source),
  );
}
