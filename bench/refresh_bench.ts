/**
 * Refresh coordination figures: 100 concurrent calls on an expired token
 * (token requests seen), and N processes sharing one profile with 2 s access
 * tokens and rotating refresh tokens (refreshes per expiry window,
 * invalid_grant count).
 */
import { Auth } from "../mod.ts";
import { startMockProvider } from "../testing.ts";
import { runTokenLoops, seedProfile } from "../tests/oauth/helpers.ts";
import { isolatedHome } from "../tests/support/home.ts";

/**
 * 100 concurrent `fetch()` calls on an expired token.
 *
 * @returns Token requests the provider saw.
 */
export async function stampede(): Promise<number> {
  await isolatedHome({ prefix: "latchkey-bench-" });
  await using provider = await startMockProvider({ accessTokenTtl: 60 });
  await seedProfile(provider, "stampede", 1);
  await new Promise((r) => setTimeout(r, 1100));
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    profile: "stampede",
    dotenv: false,
    apiOrigins: [provider.issuer],
  });
  const responses = await Promise.all(
    Array.from({ length: 100 }, () => auth.fetch(`${provider.apiUrl}/hello`)),
  );
  await Promise.all(responses.map((r) => r.body?.cancel()));
  return provider.counts.token.refresh_token ?? 0;
}

/** The figures of one multi-process run. */
export interface SoakResult {
  processes: number;
  seconds: number;
  refreshes: number;
  windows: number;
  perWindow: number;
  invalidGrant: number;
  errors: number;
  /** DPoP proofs the provider refused (0 without DPoP). */
  refusedProofs: number;
}

/**
 * N processes call `token()` in a loop on one profile.
 *
 * @param processes How many.
 * @param seconds How long.
 * @param dpop Whether the tokens are DPoP-bound (each refresh proves the key kept with them).
 * @returns The figures.
 */
export async function soak(processes: number, seconds: number, dpop = false): Promise<SoakResult> {
  const home = (await isolatedHome({ prefix: "latchkey-bench-" })).path;
  const lifetime = 2;
  await using provider = await startMockProvider({ accessTokenTtl: lifetime });
  const profile = `soak-${processes}${dpop ? "-dpop" : ""}`;
  await seedProfile(provider, profile, lifetime, { dpop });
  const before = provider.counts.token.refresh_token ?? 0;
  const { results, span } = await runTokenLoops({
    issuer: provider.issuer,
    profile,
    processes,
    seconds,
    home,
  });
  const errors = results.reduce((n, r) => n + r.errors.length, 0);
  const refreshes = (provider.counts.token.refresh_token ?? 0) - before;
  const windows = span / (lifetime - Math.min(300, lifetime / 2));
  return {
    processes,
    seconds: span,
    refreshes,
    windows,
    perWindow: refreshes / windows,
    invalidGrant: provider.counts.invalidGrant,
    errors,
    refusedProofs: provider.counts.dpopRefused,
  };
}

if (import.meta.main) {
  console.log("token requests for 100 concurrent calls:", await stampede());
  console.log(await soak(8, Number(Deno.env.get("SOAK_SECONDS") ?? "30")));
}
