/**
 * One machine of the fleet benchmark (`fleet_bench.ts` starts 32 of them).
 * It prints `ready`, waits for `go <start ms>` on stdin, then until the end
 * of the run asks for two tokens every ~200 ms — a person's login (refresh
 * grant, rotating refresh tokens) and a service's (client credentials) —
 * and calls the demo API with each about once a second. At the end it
 * prints one JSON line with what it saw.
 *
 * Usage: `fleet_worker.ts '<json WorkerConfig>'`
 *
 * @module
 */

import { Auth, type AuthOptions } from "../mod.ts";
import { decodeJwt } from "../src/jwt.ts";
import { closeKvStores } from "../src/store/kv.ts";
import { closeRedisStores } from "../src/store/redis.ts";

/** What the bench tells a worker. */
export interface WorkerConfig {
  /** The worker's number. */
  id: number;
  /** The shared store (or `memory` for the no-sharing baseline). */
  store: "redis" | "kv" | "memory";
  /** The Redis URL, for `redis`. */
  redisUrl?: string;
  /** The database file, for `kv`. */
  kvPath?: string;
  /** The mock provider. */
  issuer: string;
  /** Run length in seconds. */
  seconds: number;
  /** The refresh token every worker starts from, for the `memory` baseline. */
  refreshToken?: string;
  /** DPoP: the tokens are bound to a key kept with the credential in the fleet store. */
  dpop?: boolean;
}

/** One second of a worker's run. */
export interface SecondStats {
  /** token() calls answered. */
  ok: number;
  /** token() calls that failed with `STORE_UNAVAILABLE`. */
  unavailable: number;
  /** Other failures. */
  other: number;
}

/** What one identity (user or service) saw. */
export interface IdentityReport {
  /** token() calls. */
  calls: number;
  /** token() calls answered. */
  ok: number;
  /** Failures by `AuthError` code (or error name). */
  errors: Record<string, number>;
  /** Failures with `STORE_UNAVAILABLE` while the token held was not yet expired. */
  unavailableWhileValid: number;
  /** Failures with `STORE_UNAVAILABLE` once the token held had expired. */
  unavailableExpired: number;
  /** Distinct access tokens received (refreshed or adopted). */
  tokens: number;
  /** Demo API answers by status; `401-exp` when the token's `exp` had passed by the answer. */
  api: Record<string, number>;
  /** The first message of each failure code. */
  samples: Record<string, string>;
  /** Per second from the start: answered and failed calls. */
  seconds: SecondStats[];
  /** token() latency in ms: p50, p99, max. */
  latency: [number, number, number];
}

/** The worker's final line. */
export interface WorkerReport {
  /** The worker's number. */
  id: number;
  /** Milliseconds from spawn to `ready`. */
  startupMs: number;
  /** The person's login. */
  user: IdentityReport;
  /** The service's client credentials. */
  service: IdentityReport;
}

const spawned = Date.now();
const config = JSON.parse(Deno.args[0] ?? "{}") as WorkerConfig;
const apiUrl = `${config.issuer}/api`;
const common: AuthOptions = {
  dotenv: false,
  issuer: config.issuer,
  store: config.store,
  redisUrl: config.redisUrl,
  kvPath: config.kvPath,
  retries: 0,
  ...(config.dpop ? { dpop: true, apiOrigins: [config.issuer] } : {}),
};
const user = new Auth({
  ...common,
  profile: "fleet",
  clientId: "latchkey-cli",
  ...(config.refreshToken ? { refreshToken: config.refreshToken } : {}),
});
const service = new Auth({
  ...common,
  clientId: "latchkey-service",
  clientSecret: "service-secret",
  scope: "api",
});

function newReport(): IdentityReport {
  return {
    calls: 0,
    ok: 0,
    errors: {},
    unavailableWhileValid: 0,
    unavailableExpired: 0,
    tokens: 0,
    api: {},
    samples: {},
    seconds: [],
    latency: [0, 0, 0],
  };
}

async function drive(auth: Auth, report: IdentityReport, path: string, start: number, end: number) {
  const seen = new Set<string>();
  const latencies: number[] = [];
  let lastApi = 0;
  let heldExpiry = 0;
  while (Date.now() < end) {
    const second = Math.floor((Date.now() - start) / 1000);
    const bucket = report.seconds[second] ??= { ok: 0, unavailable: 0, other: 0 };
    report.calls++;
    const t0 = performance.now();
    try {
      const token = await auth.token();
      latencies.push(performance.now() - t0);
      report.ok++;
      bucket.ok++;
      seen.add(token);
      heldExpiry = ((await auth.credential())?.expiresAt ?? 0) * 1000;
      if (Date.now() - lastApi >= 1000) {
        lastApi = Date.now();
        // A DPoP-bound token is useless as a bearer token: the DPoP fleet calls through
        // auth.fetch, which proves the key kept with the credential.
        const response = config.dpop
          ? await auth.fetch(`${apiUrl}${path}`)
          : await fetch(`${apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
        await response.body?.cancel();
        // A 401 for a token past the `exp` claim the provider put in it (whole seconds, so up
        // to 1 s before the expiry the client computes from `expires_in`) is "401-exp".
        const exp = (decodeJwt(token)?.payload.exp ?? Infinity) * 1000;
        const status = response.status === 401 && Date.now() >= Math.min(exp, heldExpiry)
          ? "401-exp"
          : String(response.status);
        report.api[status] = (report.api[status] ?? 0) + 1;
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name;
      report.errors[code] = (report.errors[code] ?? 0) + 1;
      report.samples[code] ??= (error as Error).message;
      if (code === "STORE_UNAVAILABLE") {
        bucket.unavailable++;
        if (heldExpiry > Date.now()) report.unavailableWhileValid++;
        else report.unavailableExpired++;
      } else {
        bucket.other++;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
  }
  for (let i = 0; i < report.seconds.length; i++) {
    report.seconds[i] ??= { ok: 0, unavailable: 0, other: 0 };
  }
  report.tokens = seen.size;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.floor(q * (latencies.length - 1))] ?? 0);
  report.latency = [at(0.5), at(0.99), Math.round(latencies.at(-1) ?? 0)];
}

// Warm up before the clock starts: load the store and OAuth modules and connect, so that the
// run measures the fleet, not 32 processes compiling at once.
await import("../src/oauth/discovery.ts");
await import("../src/oauth/grants.ts");
for (let tries = 0;; tries++) {
  try {
    await user.status();
    await service.status();
    break;
  } catch (error) {
    if (tries >= 10) throw error; // a starved machine can time out while 32 processes start
  }
}
const startupMs = Date.now() - spawned;
console.log("ready");
const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
let line = "";
while (!line.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) break;
  line += value;
}
reader.releaseLock();
const start = Number(line.trim().split(" ")[1]);
const end = start + config.seconds * 1000;
await new Promise((resolve) => setTimeout(resolve, Math.max(0, start - Date.now())));

const report: WorkerReport = {
  id: config.id,
  startupMs,
  user: newReport(),
  service: newReport(),
};
await Promise.all([
  drive(user, report.user, "/me", start, end),
  drive(service, report.service, "/hello", start, end),
]);
await closeRedisStores();
await closeKvStores();
console.log(JSON.stringify(report));
