/**
 * A session keeps one credential valid: it reads it from its store, renews it
 * when it is within the leeway of expiry — once for any number of concurrent
 * callers in the process (single flight), and once across processes (under
 * the store's lock, re-reading first and adopting another process's result).
 *
 * The shared renewal belongs to no caller: each caller's `signal` ends only
 * that caller's wait, and the renewal itself is cancelled once every caller
 * waiting for it has given up. A caller that needs more lifetime than the
 * renewal in flight gave gets a renewal of its own.
 *
 * @module
 */

import type { Credential } from "./credential.ts";
import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "./errors.ts";
import { logger } from "./log.ts";
import type { CredentialStore } from "./store/types.ts";

/** How a credential is renewed (a refresh grant, client credentials, a preset's protocol). */
export interface Renewer {
  /** Whether `renew` can work from this credential. */
  canRenew(credential: Credential | undefined): boolean;
  /**
   * Returns a fresh credential. A refresh token the provider did not rotate is
   * carried over by the session.
   */
  renew(credential: Credential | undefined, signal?: AbortSignal): Promise<Credential>;
  /**
   * When `canRenew` is `false` and there is no credential at all: what is
   * missing to get one, for the `LoginRequiredError` (e.g. no issuer is set).
   */
  missing?(credential: Credential | undefined): { reason: string; hint: string } | undefined;
}

/** Options of {@linkcode Session}. */
export interface SessionOptions {
  /** Where the credential rests. */
  store: CredentialStore;
  /** Its key in the store. */
  key: string;
  /** A credential to start from when the store has none (from options or environment). */
  seed?: Credential | undefined;
  /** How to renew; without one the credential is used until it expires. */
  renewer?: Renewer | undefined;
  /** Leeway in seconds; default min(300, half the lifetime). */
  leeway?: number | undefined;
  /** Forget the stored credential when the provider answers `invalid_grant`. */
  forgetOnInvalidGrant?: boolean;
}

/** What a caller needs from {@linkcode Session.prototype.credential}. */
export interface TokenRequest {
  /** Seconds the token must still be valid for. */
  minTtl?: number | undefined;
  /** Renew even if the token looks valid (after a 401). */
  rejected?: string | undefined;
  /**
   * Ends this caller's wait (rejecting with the signal's reason). The renewal
   * shared with other callers goes on, and is cancelled only when every caller
   * waiting for it has aborted.
   */
  signal?: AbortSignal | undefined;
}

/** One renewal shared by every caller waiting for it (single flight). */
interface Flight {
  /** The renewal; always has a handler, so that one nobody waits for fails quietly. */
  promise: Promise<Credential>;
  /** Aborted when the last waiter aborts. */
  controller: AbortController;
  /** Callers waiting now. */
  waiters: number;
  /** The lifetime the renewal was started for. */
  minTtl: number;
  /** The token the renewal was started to replace. */
  rejected: string | undefined;
}

/**
 * Whether a renewal started for `flight`'s request was already the best a
 * caller with `request` could get, so that its result is final for it too.
 */
function covers(flight: Flight, request: TokenRequest): boolean {
  return flight.minTtl >= (request.minTtl ?? 0) &&
    (request.rejected === undefined || request.rejected === flight.rejected);
}

/**
 * Keeps one credential valid. See the module documentation.
 *
 * @example
 * ```ts
 * import { Credential, MemoryStore, Session } from "@latchkey/latchkey";
 * const session = new Session({ store: new MemoryStore(), key: "default", seed: new Credential({ accessToken: "t", expiresAt: Date.now() / 1000 + 3600 }) });
 * if ((await session.credential()).accessToken?.reveal() !== "t") throw new Error("no token");
 * ```
 */
export class Session {
  #options: SessionOptions;
  #current: Credential | undefined;
  #loaded = false;
  #loading: Promise<Credential | undefined> | undefined;
  #inflight: Flight | undefined;
  #refused = new Set<string>();

  /**
   * Creates the instance.
   *
   * @param options Store, key, seed and renewer.
   */
  constructor(options: SessionOptions) {
    this.#options = options;
  }

  /** The store holding the credential. */
  get store(): CredentialStore {
    return this.#options.store;
  }

  /** The credential's key in the store. */
  get key(): string {
    return this.#options.key;
  }

  /** Whether the session can renew its credential. */
  get renewable(): boolean {
    return this.#options.renewer?.canRenew(this.#current ?? this.#options.seed) ?? false;
  }

  /**
   * The credential as it rests now (store first, then the seed), without
   * renewing it.
   *
   * @returns The credential, if any.
   */
  async peek(): Promise<Credential | undefined> {
    if (this.#loaded) return this.#current;
    this.#loading ??= this.#options.store.read(this.#options.key).then((stored) => {
      if (!this.#loaded) {
        this.#current = stored ?? this.#options.seed;
        this.#loaded = true;
      }
      return this.#current;
    }).finally(() => {
      this.#loading = undefined;
    });
    return await this.#loading;
  }

  /**
   * Replaces the credential (after a login) and saves it.
   *
   * @param credential The new credential.
   */
  async save(credential: Credential): Promise<void> {
    // Held in memory first: a store that fails to save (a locked keychain)
    // must not make the process forget the login it just made.
    this.#current = credential;
    this.#loaded = true;
    await this.#options.store.lock(
      this.#options.key,
      () => this.#options.store.write(this.#options.key, credential),
    );
  }

  /** Forgets the credential in memory and in the store. */
  async forget(): Promise<boolean> {
    this.#current = undefined;
    this.#loaded = true;
    return await this.#options.store.delete(this.#options.key);
  }

  #usable(c: Credential | undefined, request: TokenRequest): c is Credential {
    if (!c?.accessToken) return false;
    if (request.rejected !== undefined && c.accessToken.equals(request.rejected)) return false;
    if (c.needsRefresh(this.#options.leeway)) return false;
    const left = c.expiresIn();
    return request.minTtl === undefined || left === undefined || left >= request.minTtl;
  }

  /** The credential in memory (as last loaded, saved or renewed), without any I/O. */
  get current(): Credential | undefined {
    return this.#loaded ? this.#current : undefined;
  }

  /**
   * The access token when the credential in memory is valid for the request,
   * without any I/O (the hot path of `fetch`).
   *
   * @param request Minimum lifetime.
   * @returns The access token, or `undefined` when a read or renewal is needed.
   */
  cachedToken(request: TokenRequest = {}): string | undefined {
    const c = this.#current;
    return this.#loaded && this.#usable(c, request) ? c.accessToken!.reveal() : undefined;
  }

  /**
   * A credential with a valid access token, renewed first when needed.
   *
   * @param request Minimum lifetime, a rejected token, a signal.
   * @returns The credential.
   * @throws {LoginRequiredError} When there is nothing to renew from.
   * @throws {TokenExpiredError} When the access token expired and cannot be renewed.
   */
  async credential(request: TokenRequest = {}): Promise<Credential> {
    const current = await this.peek();
    if (this.#usable(current, request)) return current;
    for (;;) {
      request.signal?.throwIfAborted();
      const flight = this.#inflight ?? this.#start(request);
      const renewed = await this.#wait(flight, request.signal);
      if (this.#usable(renewed, request) || covers(flight, request)) return renewed;
      // The renewal joined was for a shorter lifetime (or another rejected
      // token) than this caller needs: one more, started for this caller.
    }
  }

  /** Starts the renewal other callers will join, run with a signal of its own. */
  #start(request: TokenRequest): Flight {
    const controller = new AbortController();
    const flight: Flight = {
      promise: this.#renew({
        minTtl: request.minTtl,
        rejected: request.rejected,
        signal: controller.signal,
      }).finally(() => {
        if (this.#inflight === flight) this.#inflight = undefined;
      }),
      controller,
      waiters: 0,
      minTtl: request.minTtl ?? 0,
      rejected: request.rejected,
    };
    flight.promise.catch(() => {}); // its waiters see the failure; a cancelled one has none
    this.#inflight = flight;
    return flight;
  }

  /**
   * Waits for a shared renewal until it settles or this caller's signal
   * aborts; the last waiter to abort cancels the renewal.
   */
  #wait(flight: Flight, signal: AbortSignal | undefined): Promise<Credential> {
    flight.waiters++;
    return new Promise((resolve, reject) => {
      let waiting = true;
      const leave = (): boolean => {
        if (!waiting) return false;
        waiting = false;
        flight.waiters--;
        signal?.removeEventListener("abort", onAbort);
        return true;
      };
      const onAbort = () => {
        if (!leave()) return;
        reject(signal!.reason);
        if (flight.waiters > 0) return;
        // Nobody waits for this renewal any more: cancel it, and let the next
        // caller start a fresh one rather than join a cancelled one.
        if (this.#inflight === flight) this.#inflight = undefined;
        flight.controller.abort(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(
        (credential) => leave() && resolve(credential),
        (error) => leave() && reject(error),
      );
    });
  }

  async #renew(request: TokenRequest): Promise<Credential> {
    const { renewer } = this.#options;
    const current = this.#current;
    if (!renewer?.canRenew(current ?? this.#options.seed)) {
      if (current?.accessToken && !current.isExpired() && request.rejected === undefined) {
        return current; // within the leeway, nothing to renew with: use it until it expires
      }
      if (current?.accessToken && current.isExpired()) {
        throw new TokenExpiredError(
          `Access token expired at ${
            new Date(current.expiresAt! * 1000).toISOString()
          } and cannot be refreshed`,
        );
      }
      if (current?.accessToken) {
        throw new LoginRequiredError("The access token was rejected and cannot be renewed");
      }
      const missing = renewer?.missing?.(current ?? this.#options.seed);
      throw missing
        ? new LoginRequiredError(`No credential found, and ${missing.reason}`, {
          hint: missing.hint,
        })
        : new LoginRequiredError("No credential found");
    }
    try {
      return await this.#renewLocked(request, renewer, current);
    } catch (error) {
      // The store is down (a fleet store's server, a locked keychain): a token
      // still valid keeps serving until it expires; only a needed renewal fails.
      const storeDown = error instanceof AuthError && error.code === "STORE_UNAVAILABLE";
      if (storeDown && current?.accessToken && !current.isExpired() && !request.rejected) {
        logger().warn(`${error.message}; using the current token until it expires`);
        return current;
      }
      throw error;
    }
  }

  async #renewLocked(
    request: TokenRequest,
    renewer: Renewer,
    current: Credential | undefined,
  ): Promise<Credential> {
    const { store, key } = this.#options;
    return await store.lock(key, async () => {
      const latest = await store.read(key);
      if (this.#usable(latest, request)) {
        logger().debug(`adopted a credential another process renewed (${store.kind})`);
        this.#current = latest;
        return latest;
      }
      const base = latest ?? current ?? this.#options.seed;
      if (base?.refreshToken && this.#refused.has(base.refreshToken.reveal())) {
        throw new LoginRequiredError("The provider refused the refresh token (invalid_grant)");
      }
      request.signal?.throwIfAborted(); // every waiter gave up while the lock was held
      let next: Credential;
      try {
        next = await renewer.renew(base, request.signal);
      } catch (error) {
        if (error instanceof OAuthError && error.error === "invalid_grant") {
          // Never present a refused refresh token again (one from options or
          // the environment would otherwise be retried on every call).
          if (base?.refreshToken) this.#refused.add(base.refreshToken.reveal());
          // This process may have lost its lease (frozen past the lock's TTL)
          // while another renewed: what that one stored is kept, and used.
          const adopted = await this.#adopt(request);
          if (adopted) return adopted;
          if (this.#options.forgetOnInvalidGrant && latest) {
            await store.delete(key, { ifHolds: latest }); // only the refused credential
          }
          this.#current = undefined;
          throw new LoginRequiredError("The provider refused the refresh token (invalid_grant)", {
            cause: error,
          });
        }
        if (request.signal?.aborted) throw error; // every waiter gave up: nobody to serve
        if (base?.accessToken && !base.isExpired() && request.rejected === undefined) {
          logger().warn(
            `could not renew the token, using the current one until it expires: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
          return base;
        }
        throw error;
      }
      if (!next.refreshToken && base?.refreshToken) {
        next = next.with({ refreshToken: base.refreshToken });
      }
      try {
        // A rotated refresh token is saved before it is used; fenced: only over
        // the version read above, never over what a later lock holder saved.
        await store.write(key, next, { replaces: latest ?? null });
      } catch (error) {
        const conflict = error instanceof AuthError && error.code === "CONFLICTING_CREDENTIALS";
        const adopted = conflict ? await this.#adopt(request) : undefined;
        if (adopted) return adopted;
        this.#current = next;
        throw error instanceof AuthError ? error : new AuthError(
          "STORE_UNAVAILABLE",
          `Cannot save the renewed credential to the ${store.kind} store`,
          { cause: error },
        );
      }
      this.#current = next;
      return next;
    });
  }

  /**
   * The credential in the store when it serves the request (another process
   * renewed it while this one's lease had lapsed), made the current one.
   */
  async #adopt(request: TokenRequest): Promise<Credential | undefined> {
    const { store, key } = this.#options;
    const stored = await store.read(key).catch(() => undefined);
    if (!this.#usable(stored, request)) return undefined;
    logger().debug(`adopted a credential another process renewed (${store.kind})`);
    this.#current = stored;
    return stored;
  }
}
