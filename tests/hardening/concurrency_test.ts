/**
 * Concurrency: 16 processes share one profile whose access token lives 2 s and whose refresh
 * token rotates, calling `token()` for `SOAK_SECONDS` (30 by default): no `invalid_grant`, and at
 * most one refresh per expiry window (bound: seconds / (lifetime − leeway) + 2). And a process
 * killed while it holds the profile's lock — idle, or in the middle of a refresh — blocks the
 * others for less than 2 s.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { Auth, Credential, type FileStore } from "../../mod.ts";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { sandbox, spawnChild, within } from "./helpers.ts";

const SECONDS = Number(Deno.env.get("SOAK_SECONDS") ?? "30");
const PROCESSES = 16;
const LIFETIME = 2;
const loop = new URL("../oauth/fixtures/token_loop.ts", import.meta.url).pathname;
const holder = new URL("./fixtures/lock_holder.ts", import.meta.url).pathname;

/** Saves a session of the mock as `profile`'s credential, expiring in `expiresIn` seconds. */
async function seed(
  provider: MockProvider,
  store: FileStore,
  profile: string,
  expiresIn: number,
): Promise<void> {
  const t = await provider.issueTokens({ ttl: LIFETIME, scope: "openid offline_access" });
  const now = Date.now() / 1000;
  await store.write(
    profile,
    new Credential({
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: now + expiresIn,
      issuedAt: now + expiresIn - LIFETIME,
      issuer: provider.issuer,
      clientId: "latchkey-cli",
    }),
  );
}

Deno.test(`${PROCESSES} processes calling token() for ${SECONDS} s with 2 s rotating tokens: 0 invalid_grant, ≤ 1 refresh per window`, async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({ accessTokenTtl: LIFETIME });
  const profile = "soak";
  await seed(provider, env.store(), profile, LIFETIME);
  const children = Array.from(
    { length: PROCESSES },
    () => spawnChild(loop, [provider.issuer, String(SECONDS), profile], env.childEnv),
  );
  await Promise.all(children.map((c) => c.waitFor("ready")));
  await Promise.all(children.map((c) => c.send("go")));
  const statuses = await Promise.all(children.map((c) => c.process.status));
  statuses.forEach((s) => assertEquals(s.code, 0));
  const results = children.map((c) =>
    JSON.parse(c.lines.at(-1)!) as {
      calls: number;
      errors: string[];
    }
  );
  assertEquals(results.flatMap((r) => r.errors), []);
  assert(results.every((r) => r.calls > 0), "every process got tokens");
  assertEquals(provider.counts.invalidGrant, 0);
  const refreshes = provider.counts.token.refresh_token ?? 0;
  const leeway = Math.min(300, LIFETIME / 2);
  const bound = SECONDS / (LIFETIME - leeway) + 2;
  assert(refreshes >= SECONDS / LIFETIME / 2, `only ${refreshes} refreshes in ${SECONDS} s`);
  assert(refreshes <= bound, `${refreshes} refreshes > bound ${bound}`);
  // No window saw two refreshes: another process's fresh token is adopted, never renewed again.
  const times = provider.events.filter((e) => e.grant === "refresh_token").map((e) => e.time);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert(gaps.every((g) => g > 200), `two refreshes within 200 ms: ${gaps.join(" ")}`);
  assert(provider.events.every((e) => e.ok), "every token request succeeded");
  if (Deno.env.get("SOAK_VERBOSE")) {
    const calls = results.reduce((n, r) => n + r.calls, 0);
    console.log(`${refreshes} refreshes (bound ${bound}), ${calls} token() calls`);
  }
});

Deno.test("a process SIGKILLed while holding the profile lock blocks another for less than 2 s", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({ accessTokenTtl: 3600 });
  const profile = "held";
  await seed(provider, env.store(), profile, -5);
  const child = spawnChild(holder, ["hold", provider.issuer, profile], env.childEnv);
  await child.waitFor("locked");
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    ...env.authOptions(profile),
  });
  let settled = false;
  const waiting = auth.token().finally(() => settled = true);
  await new Promise((r) => setTimeout(r, 500));
  assert(!settled, "token() waits for the lock while the holder lives");
  const killedAt = performance.now();
  child.process.kill("SIGKILL");
  await child.process.status;
  const token = await within(waiting, 2000, "token() after the lock holder died");
  assert(performance.now() - killedAt < 2000);
  assertEquals((await env.store().read(profile))?.accessToken?.reveal(), token);
  assertEquals(provider.counts.token.refresh_token, 1);
});

Deno.test("a process SIGKILLed in the middle of a refresh blocks another for less than 2 s, which then refreshes", async () => {
  await using env = await sandbox();
  await using provider = await startMockProvider({ accessTokenTtl: 3600 });
  const profile = "mid-refresh";
  await seed(provider, env.store(), profile, -5);
  // The child's refresh request hangs at the provider, so the child holds the lock meanwhile.
  provider.inject({ path: "/token", grant: "refresh_token", delayMs: 60_000 });
  const child = spawnChild(holder, ["refresh", provider.issuer, profile], env.childEnv);
  await child.waitFor("started");
  await within(
    (async () => {
      while ((provider.counts.token.refresh_token ?? 0) < 1) {
        await new Promise((r) => setTimeout(r, 20));
      }
    })(),
    10_000,
    "the child's refresh request",
  );
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    ...env.authOptions(profile),
  });
  let settled = false;
  const waiting = auth.token().finally(() => settled = true);
  await new Promise((r) => setTimeout(r, 500));
  assert(!settled, "token() waits while the child refreshes under the lock");
  const killedAt = performance.now();
  child.process.kill("SIGKILL");
  await child.process.status;
  const token = await within(waiting, 2000, "token() after the refreshing process died");
  assert(performance.now() - killedAt < 2000);
  assert(!child.lines.includes("done"));
  assertEquals((await env.store().read(profile))?.accessToken?.reveal(), token);
  assertEquals(provider.counts.invalidGrant, 0);
});
