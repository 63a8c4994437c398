/**
 * DPoP (RFC 9449): the key pair a profile proves, how it rests in a store, and
 * the requests that prove it. Proofs are openid-client's: its DPoP handle signs
 * them and remembers each server's nonce, `fetchProtectedResource` sends an
 * API request with `Authorization: DPoP <token>` and a fresh proof (`htm`,
 * `htu`, `ath`, `jti`) and answers one `use_dpop_nonce` challenge. Latchkey
 * adds only what openid-client leaves to its caller: keeping the key, and
 * passing the caller's `fetch` and `signal` through.
 *
 * @module
 */

import { calculateJwkThumbprint, type JWK } from "jose";
import * as oc from "openid-client";
import type { Credential } from "../credential.ts";
import { AuthError, LoginRequiredError } from "../errors.ts";
import { logger } from "../log.ts";
import type { ProofRequest, ProofSender } from "../fetch.ts";
import { Secret } from "../secret.ts";

/** A profile's DPoP key: the pair that signs proofs, and its private JWK for the store. */
export interface DpopKey {
  /** The key pair: a non-extractable private key and an extractable public key. */
  readonly pair: CryptoKeyPair;
  /** The JWK SHA-256 thumbprint (RFC 7638) tokens are bound to (`cnf.jkt`). */
  readonly jkt: string;
  /** The private key as JWK JSON, to rest with the credential (never printed: a `Secret`). */
  readonly jwk: Secret;
}

const ES256: EcKeyImportParams = { name: "ECDSA", namedCurve: "P-256" };

async function fromPrivateJwk(jwk: JsonWebKey): Promise<DpopKey> {
  const { d: _d, key_ops: _ops, ext: _ext, ...publicJwk } = jwk;
  const privateKey = await crypto.subtle.importKey("jwk", jwk, ES256, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey("jwk", publicJwk, ES256, true, ["verify"]);
  return {
    pair: { privateKey, publicKey },
    jkt: await calculateJwkThumbprint(publicJwk as JWK),
    jwk: new Secret(JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d })),
  };
}

/**
 * Makes a new ES256 key pair for a login with DPoP.
 *
 * @returns The key, its thumbprint and its private JWK.
 *
 * @example
 * ```ts
 * import { generateDpopKey } from "./dpop.ts";
 * const key = await generateDpopKey();
 * if (key.pair.privateKey.extractable) throw new Error("the private key must stay in WebCrypto");
 * if (String(key.jwk) !== "***") throw new Error("the private JWK is a Secret");
 * ```
 */
export async function generateDpopKey(): Promise<DpopKey> {
  const made = await crypto.subtle.generateKey(ES256, true, ["sign", "verify"]) as CryptoKeyPair;
  return await fromPrivateJwk(await crypto.subtle.exportKey("jwk", made.privateKey));
}

/**
 * Restores a stored DPoP key from its private JWK.
 *
 * @param stored The JWK JSON that {@linkcode generateDpopKey} made.
 * @param profile The profile, for the error's hint.
 * @returns The key.
 * @throws {LoginRequiredError} When the stored value is not an ES256 private JWK: the tokens
 * bound to the key cannot be used without it.
 *
 * @example
 * ```ts
 * import { dpopKeyFromJwk, generateDpopKey } from "./dpop.ts";
 * const made = await generateDpopKey();
 * const again = await dpopKeyFromJwk(made.jwk.reveal(), "default");
 * if (again.jkt !== made.jkt) throw new Error("the thumbprint must survive the store");
 * ```
 */
export async function dpopKeyFromJwk(stored: string, profile: string): Promise<DpopKey> {
  const unusable = () =>
    new LoginRequiredError(`The stored DPoP key of profile "${profile}" is unusable`, {
      hint: `log in again: latchkey${
        profile === "default" ? "" : ` --profile ${profile}`
      } login --dpop --force`,
    });
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(stored);
  } catch {
    throw unusable();
  }
  if (
    typeof jwk !== "object" || jwk === null || jwk.kty !== "EC" || jwk.crv !== "P-256" ||
    typeof jwk.d !== "string" || typeof jwk.x !== "string" || typeof jwk.y !== "string"
  ) throw unusable();
  try {
    return await fromPrivateJwk(jwk);
  } catch {
    throw unusable();
  }
}

/** Options of {@linkcode DpopSender}. */
export interface DpopSenderOptions {
  /** The issuer, which openid-client's configuration names (nothing is asked of it). */
  issuer: string;
  /** The client id. */
  clientId: string;
  /** The underlying fetch. */
  fetch?: typeof fetch | undefined;
  /** Whether `http:` URLs may be used (loopback only; checked by the caller). */
  allowHttp?: boolean;
}

/**
 * Sends API requests with a DPoP-bound token: each call makes a fresh proof for
 * its method and URL, and a `use_dpop_nonce` challenge gets one retry with the
 * server's nonce. One sender serves every request of a profile, so the nonces
 * a server hands out are remembered across requests.
 */
export class DpopSender implements ProofSender {
  #options: DpopSenderOptions;
  #key: DpopKey;
  #handle: oc.DPoPHandle | undefined;

  /**
   * @param key The profile's DPoP key.
   * @param options The issuer and client (for openid-client), the fetch to send with.
   */
  constructor(key: DpopKey, options: DpopSenderOptions) {
    this.#key = key;
    this.#options = options;
  }

  /** A configuration for one request: openid-client takes `fetch` from it, so it holds the caller's signal. */
  #config(signal: AbortSignal | undefined, rest: RequestInit | undefined): oc.Configuration {
    const config = new oc.Configuration({ issuer: this.#options.issuer }, this.#options.clientId);
    if (this.#options.allowHttp) oc.allowInsecureRequests(config);
    // No timeout of openid-client's own: an API download may take longer than 30 s; the caller's
    // signal ends it.
    config.timeout = 0;
    const inner = this.#options.fetch ?? globalThis.fetch;
    config[oc.customFetch] = (url, init) => {
      const signals = [init.signal, signal].filter((s): s is AbortSignal => s !== undefined);
      const merged: RequestInit = { ...rest, ...init as RequestInit };
      if (signals.length > 0) merged.signal = AbortSignal.any(signals);
      return inner(url, merged);
    };
    return config;
  }

  /** openid-client's DPoP handle for this key (it keeps the servers' nonces). */
  #handleFor(config: oc.Configuration): oc.DPoPHandle {
    return this.#handle ??= oc.getDPoPHandle(config, this.#key.pair);
  }

  /**
   * Sends one request (no redirect followed: the wrapper follows them itself, with a new proof
   * per hop to an API origin).
   *
   * @param url The URL, on an API origin.
   * @param request The method, headers, body and signal.
   * @param token The access token bound to the key.
   * @returns The response, whatever its status.
   */
  async send(url: URL, request: ProofRequest, token: string): Promise<Response> {
    const config = this.#config(request.signal, request.rest);
    const headers = new Headers(request.headers);
    let body: string | ArrayBuffer | Uint8Array | URLSearchParams | undefined;
    const given = request.body;
    if (
      typeof given === "string" || given instanceof ArrayBuffer || given instanceof Uint8Array ||
      given instanceof URLSearchParams
    ) body = given;
    else if (given !== undefined && given !== null) {
      // A Blob, FormData or stream: buffered, so that a nonce challenge can send it again, with
      // the content type `fetch` would have given it (a multipart boundary).
      const buffered = new Response(given);
      const type = buffered.headers.get("content-type");
      if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
      body = await buffered.arrayBuffer();
    }
    try {
      return await oc.fetchProtectedResource(config, token, url, request.method, body, headers, {
        DPoP: this.#handleFor(config),
      });
    } catch (error) {
      // A 401 with a challenge is the wrapper's to handle (refresh, LoginRequiredError).
      if (error instanceof oc.WWWAuthenticateChallengeError) return error.response;
      throw error;
    }
  }
}

const handles = new WeakMap<oc.Configuration, WeakMap<CryptoKey, oc.DPoPHandle>>();

/**
 * openid-client's DPoP handle for a provider and a key, made once per pair (it
 * remembers the provider's nonce).
 *
 * @param config The provider's configuration.
 * @param key The DPoP key.
 * @returns The handle to pass to a grant.
 *
 * @example
 * ```ts
 * import * as oc from "openid-client";
 * import { dpopHandle, generateDpopKey } from "./dpop.ts";
 * const config = new oc.Configuration({ issuer: "https://id.example.org" }, "cli");
 * const key = await generateDpopKey();
 * if (dpopHandle(config, key) !== dpopHandle(config, key)) throw new Error("one handle per pair");
 * ```
 */
export function dpopHandle(config: oc.Configuration, key: DpopKey): oc.DPoPHandle {
  let byKey = handles.get(config);
  if (!byKey) handles.set(config, byKey = new WeakMap());
  let handle = byKey.get(key.pair.privateKey);
  if (!handle) byKey.set(key.pair.privateKey, handle = oc.getDPoPHandle(config, key.pair));
  return handle;
}

const warnedBearer = new Set<string>();

/**
 * What a grant made with a DPoP proof gave, kept right: a DPoP-bound token
 * keeps its key (it rests with the credential in the store); a bearer token
 * (a provider that ignores DPoP, which RFC 9449 allows) is used as bearer with
 * one warning per issuer, or refused when the profile requires DPoP.
 *
 * @param credential What the grant gave.
 * @param key The key the request proved.
 * @param mode `"required"` refuses a bearer token; anything else accepts it with a warning.
 * @param issuer The provider, for the messages.
 * @returns The credential to keep.
 * @throws {AuthError} `BAD_RESPONSE` for a bearer token when DPoP is required.
 *
 * @example
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { bindCredential, generateDpopKey } from "./dpop.ts";
 * const key = await generateDpopKey();
 * const bound = bindCredential(new Credential({ accessToken: "t", tokenType: "DPoP" }), key, true, "https://id.example.org");
 * if (bound.dpopKey?.reveal() !== key.jwk.reveal()) throw new Error("the key rests with a bound token");
 * ```
 */
export function bindCredential(
  credential: Credential,
  key: DpopKey,
  mode: boolean | "required",
  issuer: string,
): Credential {
  if (credential.tokenType === "DPoP") return credential.with({ dpopKey: key.jwk });
  if (mode === "required") {
    throw new AuthError(
      "BAD_RESPONSE",
      `The provider at ${issuer} answered a bearer token, not one bound to the DPoP key`,
      {
        hint: "the profile requires DPoP: enable DPoP for the client at the provider, " +
          "or log in with --dpop to accept a bearer token",
      },
    );
  }
  if (!warnedBearer.has(issuer)) {
    warnedBearer.add(issuer);
    logger().warn(
      `the provider at ${issuer} does not bind tokens to a DPoP key: using a bearer token`,
    );
  }
  return credential.with({ dpopKey: undefined });
}

/** What a grant made with DPoP needs: openid-client's handle, and what keeps its answer right. */
export interface DpopGrant {
  /** The handle to pass to the grant (see {@linkcode dpopHandle}). */
  handle: oc.DPoPHandle;
  /** The grant's answer as it is to be kept (see {@linkcode bindCredential}). */
  bind(credential: Credential): Credential;
}

/**
 * A grant's DPoP: a login's new key, or the key a credential rests with, proven to one provider.
 *
 * @param config The provider's configuration.
 * @param key The key: a stored private JWK, or `undefined` for a new one.
 * @param options The profile (for an unusable stored key's hint), the profile's DPoP setting and
 * the issuer (for the messages).
 * @returns The handle and the binding.
 *
 * @example
 * ```ts
 * import * as oc from "openid-client";
 * import { Credential } from "../credential.ts";
 * import { dpopGrant } from "./dpop.ts";
 * const config = new oc.Configuration({ issuer: "https://id.example.org" }, "cli");
 * const grant = await dpopGrant(config, undefined, {
 *   profile: "default",
 *   mode: true,
 *   issuer: "https://id.example.org",
 * });
 * const kept = grant.bind(new Credential({ accessToken: "t", tokenType: "DPoP" }));
 * if (kept.dpopKey === undefined) throw new Error("the new key rests with the bound token");
 * ```
 */
export async function dpopGrant(
  config: oc.Configuration,
  key: Secret | undefined,
  options: { profile: string; mode: boolean | "required"; issuer: string },
): Promise<DpopGrant> {
  const made = key === undefined
    ? await generateDpopKey()
    : await dpopKeyFromJwk(key.reveal(), options.profile);
  return {
    handle: dpopHandle(config, made),
    bind: (credential) => bindCredential(credential, made, options.mode, options.issuer),
  };
}
