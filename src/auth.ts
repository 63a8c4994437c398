/**
 * `Auth`: one object that resolves a credential, keeps it valid and
 * authenticates requests. Data flows one way: options → resolver →
 * credential → session → fetch wrapper.
 *
 * This class is the facade: its options and results are typed in
 * `auth/options.ts`, what it builds from them in `auth/context.ts`, and each
 * call has a module of its own (`auth/login.ts`, `auth/status.ts`,
 * `auth/logout.ts`).
 *
 * @module
 */

import { checkOptionNames } from "./auth/option_names.ts";
import type {
  AuthOptions,
  AuthStatus,
  LoginOptions,
  LogoutResult,
  TokenOptions,
} from "./auth/options.ts";
import { buildContext, type Context, type Wiring } from "./auth/context.ts";
import { login } from "./auth/login.ts";
import { logout } from "./auth/logout.ts";
import { statusOf } from "./auth/status.ts";
import type { Credential } from "./credential.ts";
import { LoginRequiredError } from "./errors.ts";
import { logger } from "./log.ts";
import type { StoreName } from "./store/names.ts";
import { chooseLoginStore } from "./store/open.ts";
import { LazyPromise } from "./util/lazy_promise.ts";

/**
 * Gets a program or a person authenticated to a service and keeps them
 * authenticated.
 *
 * @example With a token from the environment
 * ```ts
 * import { Auth } from "@latchkey/latchkey";
 * const auth = new Auth({ token: "t0k3n", dotenv: false, apiOrigins: ["https://api.example.org"] });
 * if ((await auth.token()) !== "t0k3n") throw new Error("the token");
 * if ((await auth.status()).source !== "option") throw new Error("the source");
 * if (Deno.inspect(auth).includes("t0k3n")) throw new Error("a secret shown");
 * ```
 */
export class Auth {
  #options: AuthOptions;
  #wiring: Wiring;
  /** The context, built on first use; a build that fails is forgotten (the next call retries). */
  #context: LazyPromise<Context>;
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
    this.#wiring = {
      options: this.#options,
      loginToken: (signal) => this.token({ signal }),
      noOrigins: (profile) => this.#warnNoOrigins(profile),
    };
    this.#context = new LazyPromise(async () => this.#built = await buildContext(this.#wiring));
    this.fetch = (input, init) =>
      this.#built
        ? this.#built.fetch(input, init)
        : this.#ready().then((context) => context.fetch(input, init));
  }

  #ready(): Promise<Context> {
    return this.#context.get();
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

  /**
   * A valid access token, renewed first when it is within the leeway of its
   * expiry.
   *
   * @param options `minTtl`: seconds it must still be valid; `signal`.
   * @returns The access token.
   * @throws {LoginRequiredError} When there is no usable credential.
   * @throws {TokenExpiredError} When the token expired and cannot be renewed.
   */
  async token(options: TokenOptions = {}): Promise<string> {
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
    const context = await this.#ready();
    return statusOf(context, await context.session.peek());
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
    const next = await login(context, options);
    if (next !== context) {
      this.#context.set(Promise.resolve(next));
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
   * the profile's store, or the token file in use. Material given on every
   * call (options, environment, `.env`) is never where it goes.
   *
   * @param credential The credential.
   *
   * @example
   * ```ts
   * import { Auth, Credential } from "@latchkey/latchkey";
   * const auth = new Auth({ store: "memory", dotenv: false });
   * await auth.save(new Credential({ accessToken: "pasted-token" }));
   * if ((await auth.token()) !== "pasted-token") throw new Error("the saved token");
   * ```
   */
  async save(credential: Credential): Promise<void> {
    const context = await this.#ready();
    // The token file in use, else the profile: material given on every call (a secret in the
    // environment) only has a cache, which is not where a credential is kept.
    const kept = context.source === "token-file" ? context.session : context.profileSession;
    await kept.save(credential);
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
    return await logout(await this.#ready());
  }

  /**
   * Releases what the store holds open (a Redis connection, a KV database).
   * Also called by `await using`.
   */
  async close(): Promise<void> {
    const context = await this.#context.current?.catch(() => undefined);
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
