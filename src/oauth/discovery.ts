/**
 * Finding a provider's endpoints: OpenID discovery, then RFC 8414
 * authorization server metadata; `http:` only on loopback.
 *
 * @module
 */

import * as oc from "openid-client";
import { AuthError } from "../errors.ts";
import type { Secret } from "../secret.ts";
import { isLoopback } from "../url.ts";
import { toAuthError } from "./errors.ts";
import { type ProviderFetchOptions, ProviderUnreachableError, retryingFetch } from "./http.ts";

/** What is needed to talk to a provider. */
export interface ProviderOptions extends ProviderFetchOptions {
  /** The issuer URL. */
  issuer: string;
  /** The client id. */
  clientId: string;
  /** The client secret of a confidential client. */
  clientSecret?: Secret | undefined;
  /** The private key a confidential client authenticates with instead (`private_key_jwt`). */
  clientKey?: ClientKeySource | undefined;
}

/** Where a client's private key comes from: a PKCS#8 PEM or JWK file, or a `CryptoKey`. */
export interface ClientKeySource {
  /** The key file's path, or the key. */
  key: string | CryptoKey;
  /** The `kid` of the assertions' header. */
  kid?: string | undefined;
}

/** A name for a `CryptoKey` in the cache key (the key itself cannot be written out). */
const keyIds = new WeakMap<CryptoKey, number>();
let nextKeyId = 0;

function clientKeyId(source: ClientKeySource | undefined): string {
  if (source === undefined) return "";
  const { key, kid } = source;
  if (typeof key === "string") return `file:${key}:${kid ?? ""}`;
  if (!keyIds.has(key)) keyIds.set(key, ++nextKeyId);
  return `key:${keyIds.get(key)}:${kid ?? ""}`;
}

/** A discovered provider: openid-client's configuration and what made it. */
export interface Provider {
  /** openid-client's configuration. */
  config: oc.Configuration;
  /** The options it was made from. */
  options: ProviderOptions;
}

const cache = new Map<string, Promise<Provider>>();

/**
 * ID token times are checked with 10 minutes of tolerance (openid-client's default is 30 s):
 * a provider whose clock is off by minutes must not break logins and refreshes. Latchkey reads
 * an ID token only to show whom it stands for; it never grants anything on its claims.
 */
function clientMetadata(): Partial<oc.ClientMetadata> {
  return { [oc.clockTolerance]: 600 };
}

/**
 * Discovers a provider (cached for the life of the process; a failure is not
 * cached).
 *
 * @param options Issuer, client and fetch policy.
 * @returns The provider.
 * @throws {AuthError} When neither discovery document can be read.
 */
export function discover(options: ProviderOptions): Promise<Provider> {
  const key = JSON.stringify([
    options.issuer,
    options.clientId,
    options.clientSecret?.reveal() ?? "",
    clientKeyId(options.clientKey),
    options.fetch ? "custom" : "",
  ]);
  let entry = cache.get(key);
  if (!entry) {
    entry = load(options);
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

async function load(options: ProviderOptions): Promise<Provider> {
  const url = new URL(options.issuer);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(url.hostname))) {
    throw new AuthError("INSECURE_URL", `Refusing issuer "${url.origin}": https: is required`);
  }
  if (options.clientSecret && options.clientKey) {
    throw new AuthError(
      "USAGE",
      `Cannot authenticate client "${options.clientId}" with both a client secret and a client key`,
      { hint: "give one of them: the key (private_key_jwt) or the secret" },
    );
  }
  let auth: oc.ClientAuth;
  if (options.clientKey) {
    const { loadClientKey } = await import("./client_key.ts");
    const loaded = await loadClientKey(options.clientKey.key, options.clientKey.kid);
    auth = oc.PrivateKeyJwt(
      loaded.kid === undefined ? loaded.key : { key: loaded.key, kid: loaded.kid },
    );
  } else if (options.clientSecret) auth = oc.ClientSecretBasic(options.clientSecret.reveal());
  else auth = oc.None();
  const base: oc.DiscoveryRequestOptions = {
    [oc.customFetch]: retryingFetch(options) as oc.CustomFetch,
    timeout: options.timeout ?? 30,
    execute: url.protocol === "http:" ? [oc.allowInsecureRequests] : [],
  };
  let first: unknown;
  for (const algorithm of ["oidc", "oauth2"] as const) {
    try {
      const config = await oc.discovery(url, options.clientId, clientMetadata(), auth, {
        ...base,
        algorithm,
      });
      return { config, options };
    } catch (error) {
      first ??= error;
      // The second document is on the same host: no use asking when the first never arrived.
      if (error instanceof ProviderUnreachableError) break;
    }
  }
  const cause = toAuthError(first, `Cannot discover the provider at "${options.issuer}"`, [
    options.clientSecret,
  ]);
  throw cause instanceof AuthError ? cause : new AuthError(
    "BAD_RESPONSE",
    `Cannot discover the provider at "${options.issuer}"`,
    { cause },
  );
}
