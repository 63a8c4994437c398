/**
 * The session: one renewal for any number of concurrent callers (single flight), failures not
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
import {
  assertEquals,
  assertRejectsWith,
  fakeJwt,
  NO_ENV_PREFIX,
  nowSeconds,
  tempDir,
} from "./helpers.ts";

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

Deno.test("token() renews exactly once when 100 callers race on an expired credential", async () => {
  const renewer = countingRenewer();
  const auth = new Auth({
    token: fakeJwt({ sub: "alice", exp: nowSeconds() - 60 }),
    renewer,
    envPrefix: NO_ENV_PREFIX,
    dotenv: false,
    store: new MemoryStore(),
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

Deno.test("a failed renewal is not cached: the next call renews again", async () => {
  const renewer = countingRenewer({ failures: 1 });
  const session = new Session({ store: new MemoryStore(), key: "k", seed: expired(), renewer });
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
