/**
 * The store contract: what every `CredentialStore` (`src/store/types.ts`) must do, registered as
 * tests by each store's own test file with {@linkcode storeContract}. A new store's test file
 * calls it once, with a setup that opens instances of the store on fresh storage, and then adds
 * only the tests of what is its own (its layout at rest, its connection errors, its options).
 *
 * Every store: a missing key reads as `undefined`; a write reads back with every field; a later
 * write replaces an earlier one; `delete` says whether there was a credential; `list` names the
 * keys; `location` says where a key lives; `lock` runs one caller at a time (two instances in one
 * process lose no update) and is released when its critical section throws; a write over the
 * credential it read (`replaces`) is saved; no secret shows in `Deno.inspect`, `JSON.stringify` or
 * `String` of the store or of what it read. Stores whose instances share storage: a write or
 * delete by one instance is seen by another. Fleet stores besides: their lease lock (two
 * processes, release by the holder only, expiry, extension, give-up time) and fencing
 * (`replaces`, `ifHolds`).
 *
 * @module
 */

import type { Credential } from "../../src/credential.ts";
import { AuthError } from "../../src/errors.ts";
import type { CredentialStore } from "../../src/store/types.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { overlaps, runLockWorkers, sampleCredential } from "../fleet/helpers.ts";
import { sleep } from "../support/time.ts";

/** Lock settings a fleet store takes, in seconds. */
export interface LeaseSettings {
  /** How long a lease lasts before it is extended. */
  lockTtl?: number;
  /** How long a caller waits for the lock. */
  lockTimeout?: number;
}

/** The raw lease record of a fleet store, reached without the store. */
export interface LeaseAccess {
  /** Makes `holder` hold the lock of `key` for `ms` milliseconds, as another process would. */
  plant(key: string, holder: string, ms: number): Promise<void>;
  /** Who holds the lock of `key` now (`null`: nobody). */
  holder(key: string): Promise<string | null>;
  /** Removes the lock of `key`, whoever holds it. */
  clear(key: string): Promise<void>;
}

/** One test's storage, and instances of the store on it. */
export interface StoreUnderTest extends AsyncDisposable {
  /**
   * An instance of the store on this test's storage (a new one on each call where instances can
   * share storage; closed when the storage is disposed).
   */
  open(settings?: LeaseSettings): CredentialStore;
  /** What `location(key)` must say. */
  location(key: string): string | undefined;
  /** The lease record, for stores with a lease lock. */
  lease?: LeaseAccess;
  /** The arguments of `tests/fleet/lock_worker.ts`, for stores two processes can share. */
  workers?: ["redis" | "kv", string];
}

/** A store's part in the contract. */
export interface StoreContract {
  /** The start of every test name: `"kv store"`. */
  name: string;
  /** Fresh storage for one test. */
  setup(): Promise<StoreUnderTest>;
  /**
   * Registers one test; a store that needs a system part passes `realTest`/`redisTest`, which
   * skip without it (and fail under `CI=true`).
   *
   * @default {Deno.test}
   */
  test?: (name: string, fn: () => Promise<void>) => void;
  /** The store holds one credential whatever the key (a token file). @default {false} */
  singleKey?: boolean;
  /** Two instances share what they hold (all but the memory store). @default {true} */
  shared?: boolean;
  /**
   * Register the lock tests. The token file store registers them in a child with its own config
   * folder instead (its lock file lives under the user's config folder). @default {true}
   */
  lock?: boolean;
  /** A lease lock: two processes, holder-only release, expiry, extension, give-up time. */
  lease?: boolean;
  /** Fencing: `replaces` and `ifHolds` are checked against what the store holds. */
  fenced?: boolean;
}

const SECRETS = (
  tag: string,
) => [`access-secret-${tag}`, `refresh-secret-${tag}`, `id-secret-${tag}`];

function assertSameCredential(actual: Credential | undefined, expected: Credential): void {
  assert(actual !== undefined, "the credential was not read back");
  assertEquals(actual.accessToken?.reveal(), expected.accessToken?.reveal());
  assertEquals(actual.refreshToken?.reveal(), expected.refreshToken?.reveal());
  assertEquals(actual.idToken?.reveal(), expected.idToken?.reveal());
  assertEquals(actual.expiresAt, expected.expiresAt);
  assertEquals(actual.issuedAt, expected.issuedAt);
  assertEquals(actual.scope, expected.scope);
  assertEquals(actual.tokenType, expected.tokenType);
  assertEquals(actual.issuer, expected.issuer);
  assertEquals(actual.clientId, expected.clientId);
}

/**
 * Registers the contract's tests for one store, each named `"<name> <behaviour>"`.
 *
 * @param contract The store's name, setup and capabilities.
 */
export function storeContract(contract: StoreContract): void {
  const register = contract.test ?? ((name, fn) => Deno.test(name, fn));
  const single = contract.singleKey ?? false;
  const test = (behaviour: string, fn: (s: StoreUnderTest) => Promise<void>) =>
    register(`${contract.name} ${behaviour}`, async () => {
      await using storage = await contract.setup();
      await fn(storage);
    });
  const [alpha, beta] = single ? ["default", "default"] : ["alpha", "beta"];

  test("reads a missing credential as undefined and deletes nothing", async (s) => {
    const store = s.open();
    assertEquals(await store.read(alpha), undefined);
    assertEquals(await store.list(), []);
    assertEquals(await store.delete(alpha), false);
    assertEquals(await store.read(alpha), undefined);
  });

  test("writes, reads, lists and deletes credentials", async (s) => {
    const store = s.open();
    const [a, b] = [sampleCredential("a"), sampleCredential("b")];
    await store.write(alpha, a);
    if (!single) await store.write(beta, b);
    assertSameCredential(await store.read(alpha), a);
    assertEquals(store.location(alpha), s.location(alpha));
    if (single) {
      assertEquals((await store.list()).length, 1);
    } else {
      assertSameCredential(await store.read(beta), b);
      assertEquals((await store.list()).sort(), [alpha, beta]);
    }
    assertEquals(await store.delete(alpha), true);
    assertEquals(await store.delete(alpha), false);
    assertEquals(await store.read(alpha), undefined);
    assertEquals((await store.list()).sort(), single ? [] : [beta]);
  });

  test("replaces a credential with a later write", async (s) => {
    const store = s.open();
    const later = sampleCredential("2");
    await store.write(alpha, sampleCredential("1"));
    await store.write(alpha, later);
    assertSameCredential(await store.read(alpha), later);
    assertEquals((await store.list()).length, 1);
  });

  test("saves a write over the credential it read, and over none on an empty key", async (s) => {
    const store = s.open();
    await store.write(alpha, sampleCredential("1"), { replaces: null });
    const read = await store.read(alpha);
    const next = sampleCredential("2");
    await store.write(alpha, next, { replaces: read });
    assertSameCredential(await store.read(alpha), next);
    assertEquals(await store.delete(alpha, { ifHolds: await store.read(alpha) }), true);
    assertEquals(await store.read(alpha), undefined);
  });

  test("shows no secret in Deno.inspect, JSON.stringify or String", async (s) => {
    const store = s.open();
    await store.write(alpha, sampleCredential("shown"));
    const read = await store.read(alpha);
    const shown = [store, read].flatMap((value) => [
      Deno.inspect(value, { depth: 10, showHidden: true }),
      JSON.stringify(value) ?? "",
      String(value),
    ]).join("\n");
    for (const secret of SECRETS("shown")) {
      assert(!shown.includes(secret), `"${secret}" shows in ${shown}`);
    }
  });

  if (contract.shared ?? true) {
    test("shows a write and a delete by one instance to another", async (s) => {
      const a = s.open();
      const b = s.open();
      const [first, second] = [sampleCredential("1"), sampleCredential("2")];
      assertEquals(await b.read(alpha), undefined);
      await a.write(alpha, first);
      assertSameCredential(await b.read(alpha), first);
      await b.write(alpha, second);
      assertSameCredential(await a.read(alpha), second);
      assertEquals(await a.delete(alpha), true);
      assertEquals(await b.read(alpha), undefined);
    });
  }

  if (contract.lock ?? true) lockContract(test, alpha);
  if (contract.lease) leaseContract(test);
  if (contract.fenced) fencingContract(test);
}

type Register = (behaviour: string, fn: (s: StoreUnderTest) => Promise<void>) => void;

function lockContract(test: Register, key: string): void {
  test("lock lets one caller in at a time and loses no update", async (s) => {
    const stores = [s.open(), s.open()];
    let inside = 0;
    let most = 0;
    let counter = 0;
    await Promise.all(
      stores.flatMap((store) =>
        Array.from({ length: 8 }, () =>
          store.lock(key, async () => {
            inside++;
            most = Math.max(most, inside);
            const seen = counter;
            await sleep(2);
            counter = seen + 1;
            inside--;
          }))
      ),
    );
    assertEquals(most, 1);
    assertEquals(counter, 16);
  });

  test("lock returns what its critical section returns and is released when it throws", async (s) => {
    const store = s.open();
    const boom = new Error("boom");
    const error = await assertRejects(() => store.lock(key, () => Promise.reject(boom)), Error);
    assertEquals(error, boom);
    assertEquals(await store.lock(key, () => Promise.resolve(42)), 42);
  });
}

function leaseOf(s: StoreUnderTest): LeaseAccess {
  if (!s.lease) throw new Error("A store with a lease lock must give the contract its lease");
  return s.lease;
}

function leaseContract(test: Register): void {
  test("lock lets one of two processes in at a time", async (s) => {
    if (!s.workers) throw new Error("A store with a lease lock must name its lock workers");
    const [a, b] = await runLockWorkers(s.workers, "counter", 15);
    assertEquals(a!.length + b!.length, 30);
    assertEquals(overlaps(a!, b!), 0);
    assertEquals((await s.open().read("counter"))?.scope, "30"); // no lost update
  });

  test("lock is released only by its holder", async (s) => {
    const lease = leaseOf(s);
    const store = s.open();
    await store.lock("p", async () => {
      const mine = await lease.holder("p");
      assert(mine !== null && /^[0-9a-f]{32}$/.test(mine), `holder ${mine}`);
      await lease.plant("p", "someone-else", 5000); // another process took it over, as after an expiry
    });
    assertEquals(await lease.holder("p"), "someone-else");
    await lease.clear("p");
    await store.lock("p", () => Promise.resolve());
    assertEquals(await lease.holder("p"), null); // released by its holder
  });

  test("takes over the expired lock of a dead holder", async (s) => {
    const store = s.open();
    await leaseOf(s).plant("p", "dead-holder", 400);
    const start = Date.now();
    assertEquals(await store.lock("p", () => Promise.resolve("entered")), "entered");
    const waited = Date.now() - start;
    assert(waited >= 300 && waited < 3000, `waited ${waited} ms`);
  });

  test("extends the lock while a live holder works past its TTL", async (s) => {
    const a = s.open({ lockTtl: 0.3 });
    const b = s.open({ lockTtl: 0.3 });
    const order: string[] = [];
    const first = a.lock("p", async () => {
      order.push("a in");
      await sleep(1000);
      order.push("a out");
    });
    await sleep(50);
    await b.lock("p", () => Promise.resolve(order.push("b in")));
    await first;
    assertEquals(order, ["a in", "a out", "b in"]);
  });

  test("gives up waiting for a lock after lockTimeout with STORE_UNAVAILABLE", async (s) => {
    const store = s.open({ lockTimeout: 0.3 });
    await leaseOf(s).plant("p", "busy", 5000);
    const error = await assertRejects(() => store.lock("p", () => Promise.resolve()), AuthError);
    assertEquals(error.code, "STORE_UNAVAILABLE");
  });
}

function fencingContract(test: Register): void {
  test(
    "write over a credential read refuses with CONFLICTING_CREDENTIALS once another process replaced it",
    async (s) => {
      const a = s.open();
      const b = s.open();
      await a.write("p", sampleCredential("0"));
      const c0 = await a.read("p");
      await b.write("p", sampleCredential("1"), { replaces: await b.read("p") });
      const late = await assertRejects(
        () => a.write("p", sampleCredential("2"), { replaces: c0 }),
        AuthError,
      );
      assertEquals(late.code, "CONFLICTING_CREDENTIALS");
      assert(!late.message.includes("secret"), late.message);
      assertEquals((await a.read("p"))?.accessToken?.reveal(), "access-secret-1");
      // Expecting no credential where one appeared: refused too.
      const appeared = await assertRejects(
        () => a.write("p", sampleCredential("2"), { replaces: null }),
        AuthError,
      );
      assertEquals(appeared.code, "CONFLICTING_CREDENTIALS");
      // Over the version read, and over its own write after: saved.
      const c1 = await a.read("p");
      const c2 = sampleCredential("2");
      await a.write("p", c2, { replaces: c1 });
      await a.write("p", sampleCredential("3"), { replaces: c2 });
      await a.write("q", sampleCredential("4"), { replaces: null });
      assertEquals((await b.read("p"))?.accessToken?.reveal(), "access-secret-3");
      assertEquals((await b.read("q"))?.accessToken?.reveal(), "access-secret-4");
    },
  );

  test("delete ifHolds keeps a credential another process wrote since the read", async (s) => {
    const a = s.open();
    const b = s.open();
    await a.write("p", sampleCredential("0"));
    const refused = await a.read("p");
    await b.write("p", sampleCredential("1"));
    assertEquals(await a.delete("p", { ifHolds: refused }), false);
    assertEquals((await a.read("p"))?.accessToken?.reveal(), "access-secret-1");
    assertEquals(await a.delete("p", { ifHolds: await a.read("p") }), true);
    assertEquals(await a.read("p"), undefined);
  });
}
