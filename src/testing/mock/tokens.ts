/**
 * The provider's signing key: JWT access tokens (RFC 9068) and ID tokens, signed with ES256.
 *
 * @module
 */

import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import type { CryptoKey, JWK, JWTPayload } from "jose";

/** The claims of an access token the provider issued. */
export interface AccessClaims extends JWTPayload {
  sub: string;
  client_id: string;
  scope: string;
  jti: string;
  exp: number;
  /** The confirmation of a DPoP-bound token: the key's thumbprint (RFC 9449 §6). */
  cnf?: { jkt?: string };
}

/** Signs and verifies the provider's JWTs with one ES256 key pair. */
export class Signer {
  #privateKey: CryptoKey;
  #publicKey: CryptoKey;
  #jwk: JWK;
  #issuer: string;

  private constructor(privateKey: CryptoKey, publicKey: CryptoKey, jwk: JWK, issuer: string) {
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.#jwk = jwk;
    this.#issuer = issuer;
  }

  /**
   * Makes a fresh key pair.
   *
   * @param issuer The `iss` of every token.
   * @returns The signer.
   */
  static async create(issuer: string): Promise<Signer> {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = await exportJWK(publicKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = "ES256";
    jwk.use = "sig";
    return new Signer(privateKey, publicKey, jwk, issuer);
  }

  /** The JSON Web Key Set with the public key. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.#jwk }] };
  }

  /**
   * Signs a JWT.
   *
   * @param claims The claims, `iat` and `exp` included.
   * @param typ The `typ` header.
   * @returns The compact JWT.
   */
  sign(claims: JWTPayload, typ: string): Promise<string> {
    return new SignJWT({ ...claims, iss: this.#issuer })
      .setProtectedHeader({ alg: "ES256", typ, kid: this.#jwk.kid! })
      .sign(this.#privateKey);
  }

  /**
   * Verifies an access token: signature, issuer, `typ` and, unless `now` is `undefined`, expiry.
   *
   * @param token The compact JWT.
   * @param now The provider clock in seconds, or `undefined` to accept expired tokens.
   * @returns The claims, or `undefined` when the token is not valid.
   */
  async verifyAccessToken(
    token: string,
    now: number | undefined,
  ): Promise<AccessClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, {
        issuer: this.#issuer,
        typ: "at+jwt",
        algorithms: ["ES256"],
        requiredClaims: ["sub", "exp", "jti", "client_id"],
        // The epoch as "now" accepts any expiry.
        currentDate: new Date((now ?? 0) * 1000),
        clockTolerance: 0,
      });
      return payload as AccessClaims;
    } catch {
      return undefined;
    }
  }
}
