/**
 * The session: one renewal for any number of concurrent callers (single flight, counted on a store
 * whose lock does not serialise, so that the lock cannot hide its absence), each caller's signal
 * ending only its own wait, a second renewal for a caller needing more lifetime, failures not
 * cached, a renewal adopted from another session on the same store, and the errors when nothing
 * can renew.
 */

import { join } from "node:path";
import { Auth } from "../../src/auth.ts";
import { Credential } from "../../src/credential.ts";
import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "../../src/errors.ts";
import { setLogger } from "../../src/log.ts";
import { type Renewer, Session } from "../../src/session.ts";
import { FileStore } from "../../src/store/file.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { NO_ENV_PREFIX } from "./helpers.ts";
import { assertEquals, assertRejectsWith } from "../support/assert.ts";
import { fakeJwt } from "../support/jwt.ts";
import { tempDir } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

/** A renewer that counts calls, waits a little, and fails while `failures` is positive. */
function countingRenewer(options: { failures?: number; delayMs?: number } = {}) {
  let failures = options.failures ?? 0;
  const renewer = {
    calls: 0,
    canRenew: () => true,
    async renew(base: Credential | undefined): Promise<Credential> {
      renewer.calls++;
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 20));
      if (failures-- > 0) throw new Error("provider down");
      return new Credential({
        accessToken: `fresh-${renewer.calls}`,
        expiresAt: nowSeconds() + 3600,
        refreshToken: base?.refreshToken,
      });
    },
  } satisfies Renewer & { calls: number };
  return renewer;
}

function expired(refreshToken?: string): Credential {
  return new Credential({
    accessToken: "expired",
    refreshToken,
    issuedAt: nowSeconds() - 7200,
    expiresAt: nowSeconds() - 3600,
  });
}

/**
 * A memory store whose lock does not serialise (it just runs `fn`), so that
 * nothing but the session's own single flight can keep racing callers from
 * renewing each on their own: the store's lock and re-read would hide it.
 */
function unlockedStore(): MemoryStore {
  const store = new MemoryStore();
  store.lock = (_key, fn) => fn();
  return store;
}

/**
 * A renewer that takes `delayMs` unless its signal aborts first (as `fetch`
 * does), records the signals it was given, and hands out tokens living
 * `lifetimes[n]` seconds (one hour past the list).
 */
function abortableRenewer(options: { delayMs?: number; lifetimes?: number[] } = {}) {
  const renewer = {
    calls: 0,
    signals: [] as (AbortSignal | undefined)[],
    canRenew: () => true,
    async renew(base: Credential | undefined, signal?: AbortSignal): Promise<Credential> {
      const n = ++renewer.calls;
      renewer.signals.push(signal);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, options.delayMs ?? 200);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(signal.reason);
        }, { once: true });
      });
      const now = nowSeconds();
      return new Credential({
        accessToken: `fresh-${n}`,
        issuedAt: now,
        expiresAt: now + (options.lifetimes?.[n - 1] ?? 3600),
        refreshToken: base?.refreshToken,
      });
    },
  } satisfies Renewer & { calls: number; signals: (AbortSignal | undefined)[] };
  return renewer;
}

function abortAfter(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
}

Deno.test("token() renews exactly once when 100 callers race on an expired credential", async () => {
  const renewer = countingRenewer();
  const auth = new Auth({
    token: fakeJwt({ sub: "alice", exp: nowSeconds() - 60 }),
    refreshToken: "refresh-1", // renewable material: the session uses the given store
    renewer,
    envPrefix: NO_ENV_PREFIX,
    dotenv: false,
    store: unlockedStore(),
  });
  const tokens = await Promise.all(Array.from({ length: 100 }, () => auth.token()));
  assertEquals(renewer.calls, 1);
  assertEquals(new Set(tokens), new Set(["fresh-1"]));
  assertEquals(await auth.token(), "fresh-1");
  assertEquals(renewer.calls, 1);
});

Deno.test("100 racing callers on a file store credential cause one renewal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-session-" });
  try {
    const store = new FileStore({ dir });
    store.lock = (_key, fn) => fn(); // only the single flight may keep the count at one
    await store.write("default", expired("refresh-1"));
    const renewer = countingRenewer();
    const session = new Session({ store, key: "default", renewer });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => session.credential()),
    );
    assertEquals(renewer.calls, 1);
    assertEquals(new Set(results.map((c) => c.accessToken?.reveal())), new Set(["fresh-1"]));
    const saved = await store.read("default");
    assertEquals(saved?.accessToken?.reveal(), "fresh-1");
    assertEquals(saved?.refreshToken?.reveal(), "refresh-1", "an unrotated refresh token is kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("100 racing callers renew once on a store whose lock does not serialise", async () => {
  const renewer = countingRenewer();
  const store = unlockedStore();
  await store.write("k", expired("r"));
  const session = new Session({ store, key: "k", renewer });
  const results = await Promise.all(Array.from({ length: 100 }, () => session.credential()));
  assertEquals(renewer.calls, 1);
  assertEquals(new Set(results.map((c) => c.accessToken?.reveal())), new Set(["fresh-1"]));
});

Deno.test("one caller's abort ends only its own wait: another caller gets the shared renewal", async () => {
  const renewer = abortableRenewer({ delayMs: 500 });
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired("r"), renewer });
  const started = Date.now();
  const first = session.credential({ signal: abortAfter(50) });
  const second = session.credential();
  const error = await assertRejectsWith(() => first, DOMException);
  assertEquals(error.name, "AbortError");
  assertEquals(Date.now() - started < 400, true, "the aborted caller stopped waiting at once");
  assertEquals((await second).accessToken?.reveal(), "fresh-1");
  assertEquals(renewer.calls, 1);
  assertEquals(renewer.signals[0]?.aborted, false, "the shared renewal was not cancelled");
});

Deno.test("a caller's abort rejects with its signal's own reason", async () => {
  const renewer = abortableRenewer({ delayMs: 200 });
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired("r"), renewer });
  const reason = new Error("client hung up");
  const controller = new AbortController();
  const first = session.credential({ signal: controller.signal });
  const second = session.credential();
  setTimeout(() => controller.abort(reason), 20);
  assertEquals(await first.catch((e) => e), reason);
  assertEquals((await second).accessToken?.reveal(), "fresh-1");
});

Deno.test("the shared renewal is cancelled once every waiting caller has aborted, and the next caller starts anew", async () => {
  const renewer = abortableRenewer({ delayMs: 300 });
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired("r"), renewer });
  const a = session.credential({ signal: abortAfter(30) });
  const b = session.credential({ signal: abortAfter(60) });
  await assertRejectsWith(() => a, DOMException);
  assertEquals(renewer.signals[0]?.aborted, false, "one caller still waits: the renewal goes on");
  await assertRejectsWith(() => b, DOMException);
  assertEquals(renewer.signals[0]?.aborted, true, "nobody waits: the renewal is cancelled");
  const c = await session.credential();
  assertEquals(c.accessToken?.reveal(), "fresh-2");
  assertEquals(renewer.calls, 2);
});

Deno.test("a caller already aborted is refused without joining or starting a renewal", async () => {
  const renewer = abortableRenewer();
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired("r"), renewer });
  await assertRejectsWith(() => session.credential({ signal: AbortSignal.abort() }), DOMException);
  assertEquals(renewer.calls, 0);
});

Deno.test("a caller needing more lifetime than the renewal in flight gives gets a second renewal", async () => {
  const renewer = abortableRenewer({ delayMs: 50, lifetimes: [900, 7200] });
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired("r"), renewer });
  const plain = session.credential();
  const long = session.credential({ minTtl: 3600 });
  assertEquals((await plain).accessToken?.reveal(), "fresh-1");
  const got = await long;
  assertEquals(got.accessToken?.reveal(), "fresh-2");
  assertEquals((got.expiresIn() ?? 0) >= 3600, true, `only ${got.expiresIn()} s left`);
  assertEquals(renewer.calls, 2);
});

Deno.test("callers whose lifetime the renewal in flight covers share it", async () => {
  const renewer = abortableRenewer({ delayMs: 50, lifetimes: [7200] });
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired("r"), renewer });
  const results = await Promise.all([
    session.credential({ minTtl: 3600 }),
    session.credential(),
    session.credential({ minTtl: 600 }),
  ]);
  assertEquals(results.map((c) => c.accessToken?.reveal()), ["fresh-1", "fresh-1", "fresh-1"]);
  assertEquals(renewer.calls, 1);
});

Deno.test("a failed renewal is not cached: the next call renews again", async () => {
  const renewer = countingRenewer({ failures: 1 });
  const session = new Session({ store: unlockedStore(), key: "k", seed: expired(), renewer });
  const failed = await Promise.allSettled(Array.from({ length: 10 }, () => session.credential()));
  assertEquals(renewer.calls, 1);
  for (const result of failed) {
    assertEquals(result.status, "rejected");
    assertEquals((result as PromiseRejectedResult).reason.message, "provider down");
  }
  const next = await session.credential();
  assertEquals(renewer.calls, 2);
  assertEquals(next.accessToken?.reveal(), "fresh-2");
});

Deno.test("a second session on the same file store adopts the first one's renewal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-session-" });
  try {
    const storeA = new FileStore({ dir });
    const storeB = new FileStore({ dir });
    await storeA.write("default", expired("r"));
    const renewer = countingRenewer({ delayMs: 50 });
    const a = new Session({ store: storeA, key: "default", renewer });
    const b = new Session({ store: storeB, key: "default", renewer });
    await Promise.all([a.peek(), b.peek()]);
    const [ca, cb] = await Promise.all([a.credential(), b.credential()]);
    assertEquals(renewer.calls, 1);
    assertEquals([ca.accessToken?.reveal(), cb.accessToken?.reveal()], ["fresh-1", "fresh-1"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an expired token with nothing to renew it throws TokenExpiredError", async () => {
  const session = new Session({ store: new MemoryStore(), key: "k", seed: expired() });
  const error = await assertRejectsWith(
    () => session.credential(),
    TokenExpiredError,
    "TOKEN_EXPIRED",
  );
  assertEquals(error.message.startsWith("Access token expired at "), true);
});

Deno.test("no credential and nothing to renew from throws LoginRequiredError", async () => {
  const session = new Session({ store: new MemoryStore(), key: "k" });
  await assertRejectsWith(() => session.credential(), LoginRequiredError, "LOGIN_REQUIRED");
});

Deno.test("invalid_grant forgets the stored credential and asks for a login", async () => {
  const store = new MemoryStore();
  await store.write("k", expired("revoked"));
  const session = new Session({
    store,
    key: "k",
    forgetOnInvalidGrant: true,
    renewer: {
      canRenew: () => true,
      renew: () =>
        Promise.reject(new OAuthError("Cannot refresh token", { error: "invalid_grant" })),
    },
  });
  const error = await assertRejectsWith(
    () => session.credential(),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assertEquals(error.cause instanceof OAuthError, true);
  assertEquals(await store.read("k"), undefined);
});

Deno.test("a token within its leeway stays in use when renewal fails, with a warning", async () => {
  const now = nowSeconds();
  const soon = new Credential({ accessToken: "soon", issuedAt: now - 3500, expiresAt: now + 100 });
  const renewer = countingRenewer({ failures: 1 });
  const session = new Session({ store: new MemoryStore(), key: "k", seed: soon, renewer });
  const warnings: string[] = [];
  const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
  try {
    assertEquals((await session.credential()).accessToken?.reveal(), "soon");
  } finally {
    setLogger(previous);
  }
  assertEquals(renewer.calls, 1);
  assertEquals(warnings, [
    "could not renew the token, using the current one until it expires: provider down",
  ]);
});

Deno.test("a renewal that cannot be saved is STORE_UNAVAILABLE", async () => {
  const store = new MemoryStore();
  store.write = () => Promise.reject(new Error("disk full"));
  const session = new Session({
    store,
    key: "k",
    seed: expired("r"),
    renewer: countingRenewer(),
  });
  const error = await assertRejectsWith(() => session.credential(), AuthError, "STORE_UNAVAILABLE");
  assertEquals(error.message, "Cannot save the renewed credential to the memory store");
});

Deno.test("status() of an expired but refreshable credential counts as logged in", async () => {
  await using dir = await tempDir();
  const store = new FileStore({ dir: dir.path });
  await store.write("default", expired("r"));
  const auth = new Auth({
    store,
    renewer: countingRenewer(),
    envPrefix: NO_ENV_PREFIX,
    dotenv: false,
  });
  const status = await auth.status();
  assertEquals(status.loggedIn, true);
  assertEquals(status.refreshable, true);
  assertEquals(status.expiresIn, 0);
  assertEquals(status.source, "file");
  assertEquals(status.path, join(dir.path, "default.json"));
});
