/**
 * Crash safety: a process is SIGKILLed at random moments of a login, a refresh and a logout
 * (`CRASH_KILLS` kills in all, 200 by default, split across the three). Afterwards the store
 * parses and holds either the old credential or the new one — never a mix, and never nothing
 * where something was (for a logout, nothing is the new state).
 *
 * Each kill lands at a uniformly random time in a window after the child is told to start (its
 * discovery and modules are loaded beforehand, so the window is the operation itself): first
 * 1.3 × the operation's measured duration, then steered so that about three kills in four land
 * before the operation ends. Children run in two lanes side by side, each on its own profile.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../support/assert.ts";
import { Credential, type FileStore } from "../../mod.ts";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { type Sandbox, sandbox, spawnChild } from "./helpers.ts";

const TOTAL = Math.max(3, Number(Deno.env.get("CRASH_KILLS") ?? "200"));
const LANES = 2;
const child = new URL("./fixtures/crash_child.ts", import.meta.url).pathname;

type Op = "login" | "refresh" | "logout";
type Outcome = "old" | "new" | "gone";

interface Tally {
  old: number;
  new: number;
  gone: number;
  /** Kills that landed before the child printed `done`. */
  midway: number;
  /** Temporary files of interrupted atomic writes left in the folder. */
  leftovers: number;
}

/** Saves a fresh session of the mock as `profile`'s credential (expired for a refresh). */
async function seed(
  provider: MockProvider,
  store: FileStore,
  profile: string,
  op: Op,
): Promise<Credential> {
  const t = await provider.issueTokens({ scope: "openid offline_access" });
  const now = Date.now() / 1000;
  const old = new Credential({
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: op === "refresh" ? now - 5 : now + t.expires_in,
    issuedAt: op === "refresh" ? now - 3605 : now,
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    scope: t.scope,
  });
  await store.write(profile, old);
  return old;
}

/** What the store holds now, judged against the old credential; throws on anything else. */
async function judge(
  provider: MockProvider,
  store: FileStore,
  profile: string,
  old: Credential,
  op: Op,
): Promise<Outcome> {
  const path = store.location(profile);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    assertEquals(op, "logout", `the credential vanished during a ${op}`);
    return "gone";
  }
  JSON.parse(text); // parses, or the test fails here
  const c = await store.read(profile);
  assert(c?.accessToken && c.refreshToken, `an incomplete credential after a ${op}: ${text}`);
  const sameAccess = c.accessToken.equals(old.accessToken!.reveal());
  const sameRefresh = c.refreshToken.equals(old.refreshToken!.reveal());
  if (sameAccess && sameRefresh) {
    assertEquals(c.expiresAt, old.expiresAt, "the old credential, with its own expiry");
    return "old";
  }
  assert(!sameAccess && !sameRefresh, `a mix of old and new tokens after a ${op}: ${text}`);
  assert(op !== "logout", "a logout never writes a new credential");
  // The new credential is whole and genuine: the provider accepts both of its tokens.
  assert(c.expiresAt! > Date.now() / 1000 + 3000, "the new credential has the new expiry");
  const api = await fetch(`${provider.apiUrl}/me`, {
    headers: { authorization: `Bearer ${c.accessToken.reveal()}` },
  });
  assertEquals(api.status, 200, "the new access token is accepted");
  await api.body?.cancel();
  const refresh = await fetch(`${provider.issuer}/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: c.refreshToken.reveal(),
      client_id: "latchkey-cli",
    }),
  });
  assertEquals(refresh.status, 200, "the new refresh token is accepted");
  await refresh.body?.cancel();
  return "new";
}

/** Runs the operation to its end, to learn how long it takes (ms). */
async function measure(
  provider: MockProvider,
  env: Sandbox,
  op: Op,
  profile: string,
): Promise<number> {
  await seed(provider, env.store(), profile, op);
  const c = spawnChild(child, [op, provider.issuer, profile], env.childEnv);
  await c.waitFor("ready");
  const started = performance.now();
  await c.send("go");
  await c.waitFor("done");
  const ms = performance.now() - started;
  assertEquals((await c.process.status).code, 0);
  return ms;
}

async function killOnce(
  provider: MockProvider,
  env: Sandbox,
  op: Op,
  profile: string,
  window: { ms: number },
  tally: Tally,
): Promise<void> {
  const store = env.store();
  const old = await seed(provider, store, profile, op);
  const c = spawnChild(child, [op, provider.issuer, profile], env.childEnv);
  try {
    await c.waitFor("ready");
    await c.send("go");
    await new Promise((r) => setTimeout(r, Math.random() * window.ms));
  } finally {
    // Steer the window so that about a quarter of the kills land after the operation ended
    // (the load, hence the operation's duration, changes as the lanes run).
    if (c.lines.includes("done")) {
      window.ms *= 0.9;
    } else {
      tally.midway++;
      window.ms *= 1.04;
    }
    try {
      c.process.kill("SIGKILL");
    } catch {
      // it had already exited
    }
    await c.process.status;
  }
  tally[await judge(provider, store, profile, old, op)]++;
  const dir = store.dir;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(`.${profile}.json.`) && entry.name.endsWith(".tmp")) {
      tally.leftovers++;
      await Deno.remove(join(dir, entry.name));
    }
  }
  assert(!(await store.list()).some((k) => k.includes(".tmp")));
}

async function crash(op: Op, kills: number): Promise<Tally> {
  await using env = await sandbox();
  await using provider = await startMockProvider({ accessTokenTtl: 3600 });
  // The operation's duration, measured under the same load as the kills (all lanes busy).
  const durations = await Promise.all(
    Array.from(
      { length: LANES },
      (_, lane) => measure(provider, env, op, `${op}-m${lane}`),
    ),
  );
  const window = { ms: 1.3 * Math.max(...durations, 5) };
  const tally: Tally = { old: 0, new: 0, gone: 0, midway: 0, leftovers: 0 };
  let next = 0;
  await Promise.all(Array.from({ length: LANES }, async (_, lane) => {
    while (next < kills) {
      next++;
      await killOnce(provider, env, op, `${op}-lane${lane}`, window, tally);
    }
  }));
  assertEquals(tally.old + tally.new + tally.gone, kills);
  assert(tally.midway > 0, `no kill landed during the ${op}: ${JSON.stringify(tally)}`);
  assertEquals(provider.counts.invalidGrant, 0);
  if (Deno.env.get("CRASH_VERBOSE")) {
    console.log(`${op}: ${JSON.stringify(tally)} window ${Math.round(window.ms)} ms`);
  }
  return tally;
}

const share = (i: number) => Math.floor(TOTAL / 3) + (i < TOTAL % 3 ? 1 : 0);

Deno.test(`SIGKILL at ${share(0)} random points of a login leaves the old or the new credential, never a mix`, async () => {
  await crash("login", share(0));
});

Deno.test(`SIGKILL at ${share(1)} random points of a refresh leaves the old or the new credential, never a mix`, async () => {
  await crash("refresh", share(1));
});

Deno.test(`SIGKILL at ${share(2)} random points of a logout leaves the old credential or none, never a broken one`, async () => {
  await crash("logout", share(2));
});
