/**
 * Where the Descartes Labs preset keeps its access token between uses: the
 * token_info file's `jwt_token`, or the per-client cache file
 * `~/.descarteslabs/jwt_token_<sha1(secret)>.json` (`{"jwt_token": …}`), as
 * the Python client does; and the rules for which tokens are usable.
 *
 * @module
 */

import { Credential } from "../credential.ts";
import { decodeJwt } from "../jwt.ts";
import { logger } from "../log.ts";
import { TokenFileStore } from "../store/token_file.ts";
import type { CredentialStore } from "../store/types.ts";
import { stringField } from "../util/json_fields.ts";
import { type CacheSettings, jwtRejection } from "./descarteslabs_settings.ts";
import { readJsonObject, writeJsonObject } from "./files.ts";

/** The access token when it is a JWT with an expiry that was issued to `clientId`. */
export function usableJwt(
  token: string | undefined,
  clientId: string | undefined,
): string | undefined {
  if (!token) return undefined;
  const reason = jwtRejection(token, clientId);
  if (reason === undefined) return token;
  logger().debug(reason);
  return undefined;
}

/** Hex SHA-1, as Python's `hashlib.sha1(…).hexdigest()`. */
export async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return new Uint8Array(digest).toHex();
}

/**
 * Where the access token rests between uses: the token_info file's
 * `jwt_token`, or the per-client cache file `{"jwt_token": …}`, or memory.
 * It never deletes the user's files.
 */
export class TokenCache implements CredentialStore {
  readonly kind = "file" as const;
  #s: CacheSettings;
  #jwt: string | undefined;

  constructor(settled: CacheSettings) {
    this.#s = settled;
    this.#jwt = settled.jwt;
  }

  get #path(): string | undefined {
    return this.#s.tokenInfoPath ?? this.#s.cachePath;
  }

  location(): string | undefined {
    return this.#path;
  }

  async read(): Promise<Credential | undefined> {
    const { clientId, secret } = this.#s;
    let jwt = this.#jwt;
    const path = this.#path;
    if (path && (this.#s.tokenInfoPath !== undefined || this.#s.readCache)) {
      const data = await readJsonObject(path).catch(() => undefined);
      const sameClient = this.#s.tokenInfoPath === undefined ||
        stringField(data?.client_id) === undefined || data?.client_id === clientId;
      const stored = sameClient
        ? usableJwt(stringField(data?.jwt_token) ?? stringField(data?.JWT_TOKEN), clientId)
        : undefined;
      const expiry = (t: string | undefined) => (t ? decodeJwt(t)?.payload.exp ?? 0 : -1);
      if (expiry(stored) > expiry(jwt)) jwt = stored;
    }
    if (!jwt && !secret) return undefined;
    return new Credential({ accessToken: jwt, refreshToken: secret, clientId });
  }

  async write(_key: string, credential: Credential): Promise<void> {
    const jwt = credential.accessToken?.reveal();
    this.#jwt = jwt;
    if (!jwt) return;
    if (this.#s.tokenInfoPath !== undefined) {
      const data = (await readJsonObject(this.#s.tokenInfoPath).catch(() => undefined)) ?? {};
      await writeJsonObject(this.#s.tokenInfoPath, { ...data, jwt_token: jwt });
    } else if (this.#s.cachePath !== undefined) {
      await writeJsonObject(this.#s.cachePath, { jwt_token: jwt });
    }
  }

  delete(): Promise<boolean> {
    this.#jwt = undefined;
    return Promise.resolve(false);
  }

  lock<T>(_key: string, fn: () => Promise<T>): Promise<T> {
    const path = this.#path;
    return path ? new TokenFileStore(path).lock("", fn) : fn();
  }

  list(): Promise<string[]> {
    return Promise.resolve([]);
  }
}
