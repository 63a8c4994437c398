/**
 * A promise made on first use and kept, except when it rejects: a failed
 * load (a database that did not open, a file that could not be read) is
 * forgotten, so the next use tries again.
 *
 * @module
 */

/**
 * Makes a promise on first use and hands out the same one after, until it
 * rejects: then it is forgotten, but only while it is still the current one
 * (a promise made after it, once it was forgotten by hand, stays).
 *
 * @typeParam T What the promise resolves to.
 *
 * @example
 * ```ts
 * import { LazyPromise } from "./lazy_promise.ts";
 * let loads = 0;
 * const lazy = new LazyPromise(() => ++loads === 1 ? Promise.reject(new Error("down")) : Promise.resolve(loads));
 * const failed = await lazy.get().then(() => false, () => true);
 * if (!failed || lazy.current !== undefined) throw new Error("a rejection is forgotten");
 * if ((await lazy.get()) !== 2 || (await lazy.get()) !== 2 || loads !== 2) {
 *   throw new Error("a resolved promise is kept");
 * }
 * ```
 *
 * @example A late rejection does not forget a newer promise
 * ```ts
 * import { LazyPromise } from "./lazy_promise.ts";
 * const pending = [Promise.withResolvers<string>(), Promise.withResolvers<string>()];
 * let n = 0;
 * const lazy = new LazyPromise(() => pending[n++]!.promise);
 * const old = lazy.get();
 * lazy.forget(); // e.g. a connection closed by hand
 * const fresh = lazy.get();
 * pending[0]!.reject(new Error("the old one fails late"));
 * await old.catch(() => {});
 * if (lazy.current !== fresh) throw new Error("the newer promise is kept");
 * ```
 */
export class LazyPromise<T> {
  #load: () => Promise<T>;
  #current: Promise<T> | undefined;

  /**
   * Prepares the promise, without starting it.
   *
   * @param load Makes the promise; called on first use and after each rejection.
   */
  constructor(load: () => Promise<T>) {
    this.#load = load;
  }

  /** The promise if one is made and not forgotten, without making one. */
  get current(): Promise<T> | undefined {
    return this.#current;
  }

  /**
   * The promise: the current one, else a new one from the loader.
   *
   * @returns The promise.
   */
  get(): Promise<T> {
    return this.#current ?? this.set(this.#load());
  }

  /**
   * Replaces the current promise, as if the loader had made it (it too is
   * forgotten if it rejects).
   *
   * @param promise The promise to hand out from now on.
   * @returns The promise.
   *
   * @example
   * ```ts
   * import { LazyPromise } from "./lazy_promise.ts";
   * const lazy = new LazyPromise(() => Promise.resolve("loaded"));
   * lazy.set(Promise.resolve("known"));
   * if ((await lazy.get()) !== "known") throw new Error("the set promise is handed out");
   * ```
   */
  set(promise: Promise<T>): Promise<T> {
    this.#current = promise;
    promise.catch(() => {
      this.forget(promise);
    });
    return promise;
  }

  /**
   * Forgets the current promise, so that the next {@linkcode get} makes a new one.
   *
   * @param only Forget only if this is still the current promise.
   * @returns The promise forgotten, if any.
   *
   * @example
   * ```ts
   * import { LazyPromise } from "./lazy_promise.ts";
   * const lazy = new LazyPromise(() => Promise.resolve(new Date()));
   * const first = lazy.get();
   * if (lazy.forget(Promise.resolve(new Date())) !== undefined) throw new Error("another one stays");
   * if (lazy.forget() !== first || lazy.get() === first) throw new Error("forgotten: a new one");
   * ```
   */
  forget(only?: Promise<T>): Promise<T> | undefined {
    const current = this.#current;
    if (only !== undefined && current !== only) return undefined;
    this.#current = undefined;
    return current;
  }
}
