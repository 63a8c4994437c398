// Many processes share one profile whose access token lives 2 s and whose
// refresh token rotates: refreshes happen under the store's lock, re-read
// first, so no process ever presents a rotated-away refresh token.
import { assert, assertEquals } from "../support/assert.ts";
import { startMockProvider } from "../../testing.ts";
import { runTokenLoops, seedProfile } from "./helpers.ts";
import { isolatedHome } from "../support/home.ts";

const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? "30");
const home = (await isolatedHome({ prefix: "latchkey-oauth-" })).path;
const lifetime = 2;

async function run(processes: number) {
  await using provider = await startMockProvider({ accessTokenTtl: lifetime });
  const profile = `shared-${processes}`;
  await seedProfile(provider, profile, lifetime);
  const { results, span } = await runTokenLoops({
    issuer: provider.issuer,
    profile,
    processes,
    seconds,
    home,
  });
  const refreshes = provider.counts.token.refresh_token ?? 0;
  const times = provider.events.filter((e) => e.grant === "refresh_token").map((e) => e.time);
  if (Deno.env.get("SOAK_DEBUG")) {
    console.log(`span ${span} s:`, times.slice(1).map((t, i) => t - times[i]!).join(" "));
  }
  const leeway = Math.min(300, lifetime / 2);
  const bound = seconds / (lifetime - leeway) + 2;
  return { results, refreshes, bound, invalidGrant: provider.counts.invalidGrant };
}

Deno.test({
  name:
    `8 processes calling token() for ${seconds} s with 2 s tokens and rotation: 0 invalid_grant, ≤ 1 refresh per window`,
  async fn() {
    const { results, refreshes, bound, invalidGrant } = await run(8);
    assertEquals(invalidGrant, 0);
    assertEquals(results.flatMap((r) => r.errors), []);
    assert(results.every((r) => r.calls > 0));
    assert(refreshes <= bound, `${refreshes} refreshes > bound ${bound}`);
    assert(refreshes >= 1);
    console.log(`8 processes: ${refreshes} refreshes (bound ${bound}), 0 invalid_grant`);
  },
});
