/**
 * `Auth`: one object that resolves a credential, keeps it valid and
 * authenticates requests. Data flows one way: options → resolver →
 * credential → session → fetch wrapper.
 *
 * @module
 */

import { readConfig, type StoreName } from "./config.ts";
import { Credential } from "./credential.ts";
import { type EnvSnapshot, readDotenv, readEnvironment } from "./env.ts";
import { AuthError, LoginRequiredError } from "./errors.ts";
import { createAuthFetch } from "./fetch.ts";
import { logger } from "./log.ts";
import { defaultPrompt, type PromptHandler } from "./prompt.ts";
import {
  type CredentialSource,
  type Resolution,
  type ResolverInput,
  resolveSettings,
} from "./resolve.ts";
import { Secret } from "./secret.ts";
import { type Renewer, Session } from "./session.ts";
import { MemoryStore } from "./store/memory.ts";
import { chooseLoginStore, openStore } from "./store/open.ts";
import { TokenFileStore } from "./store/token_file.ts";
import type { CredentialStore } from "./store/types.ts";

/** Options of {@linkcode Auth}. Every field is optional; see the README for precedence. */
export interface AuthOptions {
  /** The profile name. @default {"default"} (or `LATCHKEY_PROFILE`) */
  profile?: string | undefined;
  /** The OpenID issuer URL. */
  issuer?: string | undefined;
  /** The OAuth client id. */
  clientId?: string | undefined;
  /** A client secret (client credentials grant; or a confidential client's refresh). */
  clientSecret?: string | Secret | undefined;
  /** A refresh token to start from (batch jobs). */
  refreshToken?: string | Secret | undefined;
  /** An access token to use as is. */
  token?: string | Secret | undefined;
  /** The scope to ask for. */
  scope?: string | undefined;
  /** The audience to ask for. */
  audience?: string | undefined;
  /** The only origins that receive the token. */
  apiOrigins?: readonly string[] | undefined;
  /** A token file in any of the three formats. */
  tokenFile?: string | undefined;
  /** The key holding the token in a secret JSON token file. @default {"token"} */
  tokenKey?: string | undefined;
  /** Where the profile's credential rests: a store name or your own store. @default {"auto"} */
  store?: StoreName | CredentialStore | undefined;
  /** The Redis URL of the `redis` store (or `LATCHKEY_REDIS_URL`). */
  redisUrl?: string | undefined;
  /** The database path or KV Connect URL of the `kv` store (or `LATCHKEY_KV_PATH`). */
  kvPath?: string | undefined;
  /** Environment variable prefixes. @default {"LATCHKEY_"} */
  envPrefix?: string | readonly string[] | undefined;
  /** The `.env` file to read, or `false` for none. @default {".env"} (in the current folder) */
  dotenv?: string | false | undefined;
  /** Seconds before expiry at which a token is renewed. @default {min(300, half the lifetime)} */
  leeway?: number | undefined;
  /** Retries of idempotent requests and provider calls. @default {3} for API requests, 5 for the provider */
  retries?: number | undefined;
  /** Seconds within which retries may start. @default {30} */
  timeout?: number | undefined;
  /** A `User-Agent` for API requests. */
  userAgent?: string | undefined;
  /** The underlying fetch. @default {globalThis.fetch} */
  fetch?: typeof fetch | undefined;
  /** Start an interactive login from `token()`/`fetch()` when nothing else works. @default {false} */
  interactive?: boolean | undefined;
  /** How device codes and login URLs are shown. @default {defaultPrompt} */
  onPrompt?: PromptHandler | undefined;
  /** How the credential is renewed, for services with their own protocol (presets). */
  renewer?: Renewer | undefined;
}

/**
 * Every option name of {@linkcode AuthOptions}, in one list: the constructor
 * refuses any other name, and `deno check` fails when an option is added to
 * the interface without being listed here.
 */
const AUTH_OPTION_KEYS = [
  "profile",
  "issuer",
  "clientId",
  "clientSecret",
  "refreshToken",
  "token",
  "scope",
  "audience",
  "apiOrigins",
  "tokenFile",
  "tokenKey",
  "store",
  "redisUrl",
  "kvPath",
  "envPrefix",
  "dotenv",
  "leeway",
  "retries",
  "timeout",
  "userAgent",
  "fetch",
  "interactive",
  "onPrompt",
  "renewer",
] as const satisfies readonly (keyof AuthOptions)[];

/** The keys of `AuthOptions` missing from {@linkcode AUTH_OPTION_KEYS}: must be `never`. */
type UnlistedOption = Exclude<keyof AuthOptions, typeof AUTH_OPTION_KEYS[number]>;
// Fails to compile, naming the option, when an AuthOptions key is not listed.
const _everyOptionListed: [UnlistedOption] extends [never] ? true : UnlistedOption = true;

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(AUTH_OPTION_KEYS);

/** Edit distance between two short names (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The known option a misspelt name most likely meant, if one is close. */
function closestOption(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const key of AUTH_OPTION_KEYS) {
    if (key.toLowerCase() === lower) return key; // clientID, apiorigins
    const d = distance(lower, key.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [key, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

/**
 * Refuses option names `AuthOptions` does not have (from JavaScript, or a
 * cast): a misspelt `apiOrigin` would otherwise be ignored, and requests sent
 * without a token. Keys whose value is `undefined` are refused too when unknown.
 */
function checkOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (KNOWN_OPTIONS.has(name)) continue;
    const near = closestOption(name);
    throw new AuthError(
      "USAGE",
      `Unknown option "${name}" for Auth` + (near ? ` (did you mean "${near}"?)` : ""),
      near ? {} : { hint: `the options are ${AUTH_OPTION_KEYS.join(", ")}` },
    );
  }
}

/** The login flows. */
export type LoginFlow = "device" | "browser" | "client_credentials" | "password";

/** Options of {@linkcode Auth.prototype.login}. */
export interface LoginOptions {
  /** The flow. @default {"client_credentials" with a client secret, else "device"} */
  flow?: LoginFlow | undefined;
  /** Seconds to wait for the person; 0 = no limit. @default {30} */
  timeout?: number | undefined;
  /** Log in even when a valid credential exists. @default {false} */
  force?: boolean | undefined;
  /** Stops the login. */
  signal?: AbortSignal | undefined;
  /** Open a browser through the platform opener. @default {true} */
  openBrowser?: boolean | undefined;
  /** The user name, for the deprecated password flow. */
  username?: string | undefined;
  /** The password, for the deprecated password flow (never logged). */
  password?: string | Secret | undefined;
}

/** What `status()` reports. It never holds a secret. */
export interface AuthStatus {
  /** The profile name. */
  profile: string;
  /** The issuer, if known. */
  issuer: string | null;
  /** The client id, if known. */
  clientId: string | null;
  /** Where the credential came from. */
  source: CredentialSource;
  /** The file holding it, when a file. */
  path: string | null;
  /** Whether a usable credential exists (an expired but refreshable one counts). */
  loggedIn: boolean;
  /** Expiry of the access token (ISO 8601). */
  expiresAt: string | null;
  /** Seconds until the access token expires. */
  expiresIn: number | null;
  /** The granted scope. */
  scope: string | null;
  /** Whom the token stands for. */
  subject: string | null;
  /** Whether it can be renewed without a person. */
  refreshable: boolean;
  /** The API origins that receive the token. */
  apiOrigins: string[];
}

/** What `logout()` did. */
export interface LogoutResult {
  /** Whether the provider revoked the tokens. */
  revoked: boolean;
  /** Whether a local credential was deleted. */
  deleted: boolean;
  /** Why revocation did not happen, if it did not. */
  warning: string | undefined;
}

interface Context {
  resolution: Resolution;
  session: Session;
  source: CredentialSource;
  clientSecret: Secret | undefined;
  /** The profile's own credential in its store: what `login` saves and a later process reads. */
  profileSession: Session;
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
}

async function hashKey(parts: string[]): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return `cache-${new Uint8Array(digest).toHex().slice(0, 40)}`;
}

/**
 * Gets a program or a person authenticated to a service and keeps them
 * authenticated.
 *
 * @example With a token from the environment
 * ```ts
 * import { Auth } from "@latchkey/latchkey";
 * const auth = new Auth({ token: "t0k3n", dotenv: false, apiOrigins: ["https://api.example.org"] });
 * console.assert((await auth.token()) === "t0k3n");
 * console.assert((await auth.status()).source === "option");
 * console.assert(!Deno.inspect(auth).includes("t0k3n"));
 * ```
 */
export class Auth {
  #options: AuthOptions;
  #context: Promise<Context> | undefined;
  #built: Context | undefined;
  #warnedNoOrigins = false;

  /**
   * `fetch` with a bearer token for the API origins; same signature and
   * semantics as the global `fetch`. Bound, so it can be passed around.
   *
   * Requests to other origins carry no token. When the settings name no API
   * origin at all (no `apiOrigins` option and none saved for the profile by
   * `latchkey login --api ORIGIN`), every request goes out without a token:
   * the first such call warns once per instance through the logger (see
   * `setLogger`).
   *
   * @example A missing `apiOrigins` is warned about once
   * ```ts
   * import { Auth, setLogger } from "@latchkey/latchkey";
   * const warnings: string[] = [];
   * const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
   * try {
   *   const auth = new Auth({
   *     token: "t0k3n",
   *     dotenv: false,
   *     envPrefix: [],
   *     store: "memory",
   *     profile: "doc-example-no-origins",
   *     fetch: () => Promise.resolve(new Response("ok")),
   *   });
   *   await (await auth.fetch("https://api.example.org/a")).text();
   *   await (await auth.fetch("https://api.example.org/b")).text();
   *   const mine = warnings.filter((w) => w.includes("doc-example-no-origins"));
   *   if (mine.length !== 1 || !mine[0]!.includes("requests carry no token")) throw new Error("one");
   * } finally {
   *   setLogger(previous);
   * }
   * ```
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

  /**
   * Creates the instance.
   *
   * @param options Where the credential comes from and how it is used.
   * @throws {AuthError} `USAGE` for an option name `AuthOptions` does not
   * have, e.g. `Unknown option "apiOrigin" for Auth (did you mean "apiOrigins"?)`.
   *
   * @example A misspelt option is refused, not ignored
   * ```ts
   * import { Auth, AuthError, type AuthOptions } from "@latchkey/latchkey";
   * try {
   *   new Auth({ apiOrigin: ["https://api.example.org"] } as AuthOptions);
   *   throw new Error("expected a USAGE error");
   * } catch (error) {
   *   if (!(error instanceof AuthError) || error.code !== "USAGE") throw error;
   *   if (!error.message.includes('did you mean "apiOrigins"?')) throw error;
   * }
   * ```
   */
  constructor(options: AuthOptions = {}) {
    checkOptionNames(options ?? {});
    this.#options = { ...options };
    this.fetch = (input, init) =>
      this.#built
        ? this.#built.fetch(input, init)
        : this.#ready().then((context) => context.fetch(input, init));
  }

  #ready(): Promise<Context> {
    if (!this.#context) {
      this.#context = this.#build();
      this.#context.then((context) => this.#built = context, () => {
        this.#context = undefined; // a failure is not cached
      });
    }
    return this.#context;
  }

  async #build(): Promise<Context> {
    const o = this.#options;
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
    const profileSession = new Session({
      store: profileStore,
      key: r.profile,
      renewer: this.#renewer(r, undefined, undefined),
      leeway: o.leeway,
      forgetOnInvalidGrant: true,
    });
    if (r.apiOrigins.length === 0) logger().debug("no API origins: auth.fetch sends no token");

    if (m) {
      const seed = m.accessToken || m.refreshToken
        ? new Credential({
          accessToken: m.accessToken,
          refreshToken: m.refreshToken,
          issuer: r.issuer,
          clientId: r.clientId,
        })
        : undefined;
      const renewable = m.refreshToken !== undefined || m.clientSecret !== undefined;
      // Material given on every call is not stored: its tokens are cached under a hash of it.
      const key = await hashKey([
        r.issuer ?? "",
        r.clientId ?? "",
        m.clientSecret?.reveal() ?? "",
        m.refreshToken?.reveal() ?? "",
        r.scope ?? "",
      ]);
      const session = new Session({
        store: renewable ? profileStore : new MemoryStore(),
        key,
        seed,
        renewer: this.#renewer(r, clientSecret, undefined),
        leeway: o.leeway,
        forgetOnInvalidGrant: true,
      });
      return this.#contextOf(r, session, m.source, clientSecret, profileSession);
    }
    if (r.tokenFile) {
      const store = new TokenFileStore(r.tokenFile.path, { tokenKey: o.tokenKey });
      const session = new Session({
        store,
        key: "",
        renewer: this.#renewer(r, undefined, store),
        leeway: o.leeway,
        forgetOnInvalidGrant: false,
      });
      return this.#contextOf(r, session, "token-file", undefined, profileSession);
    }
    return this.#contextOf(r, profileSession, profileStore.kind, undefined, profileSession);
  }

  /** The context around one session: its fetch wrapper, built once. */
  #contextOf(
    resolution: Resolution,
    session: Session,
    source: CredentialSource,
    clientSecret: Secret | undefined,
    profileSession: Session,
  ): Context {
    const o = this.#options;
    const r = resolution;
    const send = createAuthFetch({
      apiOrigins: r.apiOrigins,
      cachedToken: () => session.cachedToken(),
      getToken: async (signal) => {
        try {
          return (await session.credential({ signal })).accessToken!.reveal();
        } catch (error) {
          if (!(error instanceof LoginRequiredError) || !o.interactive) throw error;
          return await this.token({ signal });
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
    const fetch = r.apiOrigins.length > 0
      ? send
      : (input: RequestInfo | URL, init?: RequestInit) => {
        this.#warnNoOrigins(r.profile);
        return send(input, init);
      };
    return { resolution: r, session, source, clientSecret, profileSession, fetch };
  }

  /** Says once per instance that requests go out without a token: no API origin is set. */
  #warnNoOrigins(profile: string): void {
    if (this.#warnedNoOrigins) return;
    this.#warnedNoOrigins = true;
    const flag = profile === "default" ? "" : ` --profile ${profile}`;
    logger().warn(
      `no API origins for profile "${profile}": requests carry no token (set apiOrigins or \`latchkey${flag} login --api ORIGIN\`)`,
    );
  }

  #renewer(
    r: Resolution,
    clientSecret: Secret | undefined,
    tokenFile: TokenFileStore | undefined,
  ): Renewer {
    if (this.#options.renewer) return this.#options.renewer;
    const o = this.#options;
    const clientIdOf = (c: Credential | undefined) =>
      r.clientId ?? tokenFile?.clientId ?? c?.clientId;
    const issuerOf = (c: Credential | undefined) => r.issuer ?? c?.issuer;
    // A service login keeps its secret with the credential; one given on every call does not.
    const secretOf = (c: Credential | undefined) => clientSecret ?? c?.clientSecret;
    return {
      canRenew: (c) =>
        issuerOf(c) !== undefined && clientIdOf(c) !== undefined &&
        (c?.refreshToken !== undefined || secretOf(c) !== undefined),
      renew: async (c) => {
        const { discover } = await import("./oauth/discovery.ts");
        const grants = await import("./oauth/grants.ts");
        const provider = await discover({
          issuer: issuerOf(c)!,
          clientId: clientIdOf(c)!,
          clientSecret: secretOf(c),
          fetch: o.fetch,
          timeout: o.timeout,
          retries: o.retries,
        });
        const next = c?.refreshToken
          ? await grants.refreshGrant(provider, c)
          : await grants.clientCredentialsGrant(provider, { scope: r.scope, audience: r.audience });
        return c?.clientSecret ? next.with({ clientSecret: c.clientSecret }) : next;
      },
    };
  }

  /**
   * A valid access token, renewed first when it is within the leeway of its
   * expiry.
   *
   * @param options `minTtl`: seconds it must still be valid; `signal`.
   * @returns The access token.
   * @throws {LoginRequiredError} When there is no usable credential.
   * @throws {TokenExpiredError} When the token expired and cannot be renewed.
   */
  async token(options: { minTtl?: number; signal?: AbortSignal } = {}): Promise<string> {
    const { session } = await this.#ready();
    try {
      const c = await session.credential(options);
      return c.accessToken!.reveal();
    } catch (error) {
      if (!(error instanceof LoginRequiredError) || !this.#options.interactive) throw error;
      await this.login({ force: true, signal: options.signal });
      return (await session.credential(options)).accessToken!.reveal();
    }
  }

  /**
   * The credential in use, read from local state only (no network).
   *
   * @returns The credential, if any.
   */
  async credential(): Promise<Credential | undefined> {
    return await (await this.#ready()).session.peek();
  }

  /**
   * Who is logged in, where the credential came from and when it expires.
   * Reads local state only; never holds a secret.
   *
   * @returns The status.
   */
  async status(): Promise<AuthStatus> {
    const { resolution: r, session, source } = await this.#ready();
    const c = await session.peek();
    const renewable = session.renewable;
    const usable = c?.accessToken !== undefined && !c.isExpired();
    const expiresIn = c?.accessToken ? c.expiresIn() : undefined;
    return {
      profile: r.profile,
      issuer: r.issuer ?? c?.issuer ?? null,
      clientId: r.clientId ?? c?.clientId ?? null,
      // A store-held credential reports the store that holds it (with "auto",
      // the file or the keychain, known only once read).
      source: !c && !renewable
        ? "none"
        : source === "file" || source === session.store.kind
        ? session.store.kind as CredentialSource
        : source,
      path: session.store.kind === "file" || session.store.kind === "token-file"
        ? session.store.location(session.key) ?? null
        : null,
      loggedIn: usable || renewable,
      expiresAt: c?.accessToken && c.expiresAt !== undefined
        ? new Date(c.expiresAt * 1000).toISOString()
        : null,
      expiresIn: expiresIn ?? null,
      scope: c?.scope ?? r.scope ?? null,
      subject: c?.subject ?? null,
      refreshable: renewable,
      apiOrigins: [...r.apiOrigins],
    };
  }

  /**
   * Signs in and saves the credential. Without `force`, a usable credential
   * means no action.
   *
   * @param options The flow, timeout, signal.
   * @returns The status after login.
   */
  async login(options: LoginOptions = {}): Promise<AuthStatus> {
    const context = await this.#ready();
    const { resolution: r, clientSecret, profileSession } = context;
    // A saved credential that works (or renews) means no action; a client
    // secret in the environment alone is not a login yet.
    const held = await profileSession.peek();
    if (!options.force && held && (held.refreshable || !held.isExpired())) {
      return await this.status();
    }
    if (!r.issuer || !r.clientId) {
      throw new AuthError("CONFIG_INVALID", "Cannot log in: an issuer and a client id are needed", {
        hint: "pass --issuer and --client-id (or set LATCHKEY_ISSUER and LATCHKEY_CLIENT_ID)",
      });
    }
    const flow = options.flow ?? (clientSecret ? "client_credentials" : "device");
    const { discover } = await import("./oauth/discovery.ts");
    const provider = await discover({
      issuer: r.issuer,
      clientId: r.clientId,
      clientSecret,
      fetch: this.#options.fetch,
      timeout: this.#options.timeout,
      retries: this.#options.retries,
    });
    const interactive = {
      scope: r.scope,
      audience: r.audience,
      onPrompt: this.#options.onPrompt ?? defaultPrompt,
      timeout: options.timeout ?? 30,
      openBrowser: options.openBrowser ?? true,
      signal: options.signal,
    };
    let credential: Credential;
    switch (flow) {
      case "device":
        credential = await (await import("./oauth/device.ts")).deviceLogin(provider, interactive);
        break;
      case "browser":
        credential = await (await import("./oauth/browser.ts")).browserLogin(provider, interactive);
        break;
      case "client_credentials": {
        if (!clientSecret) {
          throw new AuthError(
            "CONFIG_INVALID",
            "Cannot log in with client credentials: no client secret",
            {
              hint: "set LATCHKEY_CLIENT_SECRET or use --client-secret-stdin",
            },
          );
        }
        const grants = await import("./oauth/grants.ts");
        credential = await grants.clientCredentialsGrant(provider, r);
        break;
      }
      case "password": {
        if (!options.username || !options.password) {
          throw new AuthError(
            "CONFIG_INVALID",
            "Cannot log in with a password: username and password are needed",
          );
        }
        logger().warn(
          "the password flow is deprecated and will be removed; use the device or browser flow",
        );
        const password = typeof options.password === "string"
          ? new Secret(options.password)
          : options.password;
        const grants = await import("./oauth/grants.ts");
        credential = await grants.passwordGrant(provider, options.username, password, r);
        break;
      }
      default:
        throw new TypeError(`Unknown login flow "${flow}"`);
    }
    // The login lasts: the profile's store keeps the credential, and with it
    // the client secret the service renews with, so that a later process
    // without the secret in its environment is logged in too.
    await profileSession.save(clientSecret ? credential.with({ clientSecret }) : credential);
    if (context.session !== profileSession) {
      // Later calls that bring the same material (a secret in the environment)
      // find the token in its own cache, without a second grant.
      await context.session.save(credential);
      const next = this.#contextOf(
        r,
        profileSession,
        profileSession.store.kind,
        undefined,
        profileSession,
      );
      this.#context = Promise.resolve(next);
      this.#built = next;
    }
    return await this.status();
  }

  /**
   * The credential the profile's store holds (what a login saved), read from
   * local state only — also when the environment supplies other material.
   *
   * @returns The stored credential, if any.
   *
   * @example
   * ```ts
   * import { Auth } from "@latchkey/latchkey";
   * const auth = new Auth({ store: "memory", dotenv: false, token: "from-an-option" });
   * if ((await auth.storedCredential()) !== undefined) throw new Error("nothing was saved");
   * ```
   */
  async storedCredential(): Promise<Credential | undefined> {
    return await (await this.#ready()).profileSession.peek();
  }

  /**
   * Saves a credential obtained elsewhere (a token pasted by a person, a
   * token JSON from another tool) where this `Auth` keeps its credential:
   * the profile's store, or the token file in use.
   *
   * @param credential The credential.
   *
   * @example
   * ```ts
   * import { Auth, Credential } from "@latchkey/latchkey";
   * const auth = new Auth({ store: "memory", dotenv: false });
   * await auth.save(new Credential({ accessToken: "pasted-token" }));
   * console.assert((await auth.token()) === "pasted-token");
   * ```
   */
  async save(credential: Credential): Promise<void> {
    await (await this.#ready()).session.save(credential);
  }

  /**
   * The concrete store a login with the current settings saves to (`auto`
   * settled).
   *
   * @returns The store name.
   */
  async loginStore(): Promise<StoreName> {
    const { resolution } = await this.#ready();
    return await chooseLoginStore(resolution.store);
  }

  /**
   * Revokes the tokens where the provider allows (RFC 7009), then forgets the
   * credential locally — even if revocation failed.
   *
   * @returns What was done.
   */
  async logout(): Promise<LogoutResult> {
    const { resolution: r, session, clientSecret: given } = await this.#ready();
    const c = await session.peek().catch(() => undefined);
    const clientSecret = given ?? c?.clientSecret;
    let revoked = false;
    let warning: string | undefined;
    const issuer = r.issuer ?? c?.issuer;
    const clientId = r.clientId ?? c?.clientId;
    if (c && issuer && clientId) {
      try {
        const { discover } = await import("./oauth/discovery.ts");
        const { revoke } = await import("./oauth/grants.ts");
        const provider = await discover({
          issuer,
          clientId,
          clientSecret,
          fetch: this.#options.fetch,
          timeout: this.#options.timeout ?? 10,
          retries: 1,
        });
        revoked = await revoke(provider, c);
        if (!revoked) {
          warning = "the provider has no revocation endpoint; tokens stay valid until they expire";
        }
      } catch (error) {
        warning = `revocation failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const deleted = await session.forget();
    return { revoked, deleted, warning };
  }

  /**
   * Releases what the store holds open (a Redis connection, a KV database).
   * Also called by `await using`.
   */
  async close(): Promise<void> {
    const context = this.#context && await this.#context.catch(() => undefined);
    await context?.session.store.close?.();
  }

  /** Same as {@linkcode Auth.prototype.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * A JSON view without secrets.
   *
   * @returns A summary without secrets.
   */
  toJSON(): Record<string, unknown> {
    return { profile: this.#options.profile ?? null, issuer: this.#options.issuer ?? null };
  }

  /**
   * What `Deno.inspect` and `console.log` show: no secrets.
   *
   * @returns `Auth { … }` without secrets.
   */
  [Symbol.for("Deno.customInspect")](): string {
    return `Auth ${JSON.stringify(this.toJSON())}`;
  }
}

let defaultAuth: Auth | undefined;

/**
 * The process-wide default {@linkcode Auth}, made from the environment on
 * first use.
 *
 * @returns The default instance.
 *
 * @example
 * ```ts
 * import { Auth, getDefaultAuth, setDefaultAuth } from "@latchkey/latchkey";
 * const auth = new Auth({ token: "t", dotenv: false });
 * setDefaultAuth(auth);
 * console.assert(getDefaultAuth() === auth);
 * ```
 */
export function getDefaultAuth(): Auth {
  return defaultAuth ??= new Auth();
}

/**
 * Replaces the process-wide default {@linkcode Auth}.
 *
 * @param auth The new default (or `undefined` to reset).
 *
 * @example
 * ```ts
 * import { Auth, getDefaultAuth, setDefaultAuth } from "@latchkey/latchkey";
 * const mine = new Auth({ token: "t", dotenv: false });
 * setDefaultAuth(mine);
 * console.assert(getDefaultAuth() === mine);
 * setDefaultAuth(undefined);
 * ```
 */
export function setDefaultAuth(auth: Auth | undefined): void {
  defaultAuth = auth;
}
