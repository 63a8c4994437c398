/**
 * What an `Auth` builds from its options on first use: the settled
 * settings, the profile's store and session, the session in use (material
 * given directly, a token file, or the profile's own), the renewers, and the
 * authenticated `fetch` around that session.
 *
 * @module
 */

import { readConfig } from "../config.ts";
import { Credential } from "../credential.ts";
import { type EnvSnapshot, readDotenv, readEnvironment } from "../env.ts";
import { LoginRequiredError } from "../errors.ts";
import { createAuthFetch, type ProofSender } from "../fetch.ts";
import { type Resolution, type ResolverInput, resolveSettings } from "../resolve.ts";
import type { ClientKeySource } from "../oauth/discovery.ts";
import type { Secret } from "../secret.ts";
import { Session } from "../session.ts";
import { MemoryStore } from "../store/memory.ts";
import { openStore } from "../store/open.ts";
import { TokenFileStore } from "../store/token_file.ts";
import { LazyPromise } from "../util/lazy_promise.ts";
import type { AuthOptions, CredentialSource } from "./options.ts";
import { renewerFor } from "./renewer.ts";

/** What the context is built with: the options, and the calls back into the `Auth` that owns it. */
export interface Wiring {
  /** The options of the `Auth`. */
  readonly options: AuthOptions;
  /** A token after an interactive login (`interactive: true`, when no credential works). */
  loginToken(signal: AbortSignal | undefined): Promise<string>;
  /** Called before a request when no API origin is set (the `Auth` warns once). */
  noOrigins(profile: string): void;
}

/** The parts of a context that name its session. */
export interface ContextParts {
  /** The settled settings. */
  resolution: Resolution;
  /** The session in use. */
  session: Session;
  /** Where the session's credential comes from. */
  source: CredentialSource;
  /** A client secret given directly (options, environment, `.env`), if any. */
  clientSecret: Secret | undefined;
  /** A client key given directly (options, environment, `.env`), if any. */
  clientKey?: ClientKeySource | undefined;
  /** The profile's own credential in its store: what `login` saves and a later process reads. */
  profileSession: Session;
}

/** Everything built from the options: the session in use, and `fetch` around it. */
export interface Context extends ContextParts {
  /** The options it was built from, and the calls back into the `Auth`. */
  wiring: Wiring;
  /** `fetch` with the session's bearer token for the API origins. */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
}

async function hashKey(parts: string[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return `cache-${new Uint8Array(digest).toHex().slice(0, 40)}`;
}

/**
 * Reads the environment, `.env` and config, settles the settings, opens the
 * profile's store and picks the session in use: material given directly
 * (cached under a hash of it), else a token file, else the profile's store.
 *
 * @param wiring The options and the calls back into the `Auth`.
 * @returns The context.
 * @throws {AuthError} `CONFIG_INVALID`, `INSECURE_URL`, `MALFORMED_TOKEN`, `STORE_UNAVAILABLE`…
 *
 * @example
 * ```ts
 * import { buildContext } from "./context.ts";
 * const context = await buildContext({
 *   options: { token: "t0k3n", dotenv: false, envPrefix: [], store: "memory" },
 *   loginToken: () => Promise.reject(new Error("no login here")),
 *   noOrigins() {},
 * });
 * if (context.source !== "option") throw new Error(`source ${context.source}`);
 * if ((await context.session.credential()).accessToken?.reveal() !== "t0k3n") throw new Error("token");
 * ```
 */
export async function buildContext(wiring: Wiring): Promise<Context> {
  const o = wiring.options;
  const prefixes = typeof o.envPrefix === "string" ? [o.envPrefix] : o.envPrefix ?? ["LATCHKEY_"];
  const env = readEnvironment(prefixes);
  const dotenv: EnvSnapshot = o.dotenv === false
    ? {}
    : await readDotenv(o.dotenv ?? ".env", prefixes);
  const config = await readConfig();
  const input: ResolverInput = { ...o, store: typeof o.store === "object" ? undefined : o.store };
  const r = resolveSettings(input, env, dotenv, config);
  const profileStore = typeof o.store === "object"
    ? o.store
    : await openStore(r.store, { redisUrl: r.redisUrl, kvPath: r.kvPath });
  const m = r.material;
  const clientSecret = m?.clientSecret;
  const clientKey = m?.clientKey;
  const profileSession = new Session({
    store: profileStore,
    key: r.profile,
    renewer: renewerFor(r, { options: o }),
    leeway: o.leeway,
    forgetOnInvalidGrant: true,
  });
  const parts = { resolution: r, clientSecret: undefined, profileSession };

  if (m) {
    const seed = m.accessToken || m.refreshToken
      ? new Credential({
        accessToken: m.accessToken,
        refreshToken: m.refreshToken,
        issuer: r.issuer,
        clientId: r.clientId,
      })
      : undefined;
    // A CryptoKey has no name that a stored cache entry could be found by again.
    const renewable = m.refreshToken !== undefined || m.clientSecret !== undefined ||
      typeof m.clientKey?.key === "string";
    // Material given on every call is not stored: its tokens are cached under a hash of it.
    const key = await hashKey([
      r.issuer ?? "",
      r.clientId ?? "",
      m.clientSecret?.reveal() ?? "",
      m.refreshToken?.reveal() ?? "",
      typeof m.clientKey?.key === "string" ? `${m.clientKey.key}\n${m.clientKey.kid ?? ""}` : "",
      r.scope ?? "",
    ]);
    const session = new Session({
      store: renewable ? profileStore : new MemoryStore(),
      key,
      seed,
      renewer: renewerFor(r, { options: o, clientSecret, clientKey }),
      leeway: o.leeway,
      forgetOnInvalidGrant: true,
    });
    return contextOf({ ...parts, session, source: m.source, clientSecret, clientKey }, wiring);
  }
  if (r.tokenFile) {
    const store = new TokenFileStore(r.tokenFile.path, { tokenKey: o.tokenKey });
    const session = new Session({
      store,
      key: "",
      renewer: renewerFor(r, { options: o, tokenFile: store }),
      leeway: o.leeway,
      forgetOnInvalidGrant: false,
    });
    return contextOf({ ...parts, session, source: "token-file" }, wiring);
  }
  return contextOf({ ...parts, session: profileSession, source: profileStore.kind }, wiring);
}

/**
 * The context around one session: its fetch wrapper, built once. With
 * `interactive`, a request that finds no credential logs in first.
 *
 * @param parts The settings and sessions.
 * @param wiring The options and the calls back into the `Auth`.
 * @returns The context.
 *
 * @example
 * ```ts
 * import { buildContext, contextOf, type Wiring } from "./context.ts";
 * const wiring: Wiring = {
 *   options: { token: "t0k3n", dotenv: false, envPrefix: [], store: "memory" },
 *   loginToken: () => Promise.reject(new Error("no login here")),
 *   noOrigins() {},
 * };
 * const built = await buildContext(wiring);
 * const profile = contextOf({ ...built, session: built.profileSession, source: "memory" }, wiring);
 * if (profile.session !== built.profileSession) throw new Error("the profile's session");
 * ```
 */
export function contextOf(parts: ContextParts, wiring: Wiring): Context {
  const o = wiring.options;
  const { resolution: r, session } = parts;
  const send = createAuthFetch({
    apiOrigins: r.apiOrigins,
    cachedToken: () => session.cachedToken(),
    proofsFor: proofsFor(session, o),
    getToken: async (signal) => {
      try {
        return (await session.credential({ signal })).accessToken!.reveal();
      } catch (error) {
        if (!(error instanceof LoginRequiredError) || !o.interactive) throw error;
        return await wiring.loginToken(signal);
      }
    },
    renew: async (rejected, signal) => {
      if (!session.renewable) return undefined;
      const c = await session.credential({ rejected, signal });
      return c.accessToken?.reveal();
    },
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
    ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    userAgent: o.userAgent,
  });
  const fetch = r.apiOrigins.length > 0 ? send : (input: RequestInfo | URL, init?: RequestInit) => {
    wiring.noOrigins(r.profile);
    return send(input, init);
  };
  return {
    resolution: r,
    session,
    source: parts.source,
    clientSecret: parts.clientSecret,
    clientKey: parts.clientKey,
    profileSession: parts.profileSession,
    wiring,
    fetch,
  };
}

/**
 * The DPoP sender of a session's current credential when its token is bound
 * to a key (the key rests with the credential), else `undefined`: a bearer
 * token goes out as before, and the DPoP code is not even loaded.
 */
function proofsFor(
  session: Session,
  o: AuthOptions,
): (token: string) => ProofSender | undefined {
  // One sender per key (a renewal keeps the key, so in practice one), made on first use.
  const senders = new Map<string, ProofSender>();
  return () => {
    const c = session.current;
    if (c?.tokenType !== "DPoP" || c.dpopKey === undefined) return undefined;
    const jwk = c.dpopKey.reveal();
    let sender = senders.get(jwk);
    if (!sender) {
      const made = new LazyPromise(async () => {
        const { DpopSender, dpopKeyFromJwk } = await import("../oauth/dpop.ts");
        return new DpopSender(await dpopKeyFromJwk(jwk, session.key || "default"), {
          // openid-client's configuration names an issuer; nothing is asked of it here.
          issuer: c.issuer ?? "https://issuer.invalid",
          clientId: c.clientId ?? "",
          fetch: o.fetch,
          // API origins are checked when settled: http: only on loopback.
          allowHttp: true,
        });
      });
      sender = {
        send: async (url, request, token) => (await made.get()).send(url, request, token),
      };
      senders.set(jwk, sender);
    }
    return sender;
  };
}
