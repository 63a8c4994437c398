/**
 * Fleet simulation: N worker processes (`fleet_worker.ts`) share one profile
 * through a fleet store, against the mock provider (2 s access tokens,
 * rotating refresh tokens, started here), for a person's login (refresh
 * grant) and a service's (client credentials):
 *
 * 1. `redis` (a throwaway `redis-server` started here);
 * 2. `kv` (a Deno KV database file);
 * 3. a no-sharing baseline: each worker on its own `memory` store;
 * 4. `redis` killed and restarted mid-run.
 *
 * Run: `deno run -A --unstable-kv bench/fleet_bench.ts`. Settings (env):
 * `FLEET_SECONDS` (run length, default 30), `FLEET_WORKERS` (default 32),
 * `FLEET_SCENARIOS` (comma list of `redis,kv,baseline,outage`, default all).
 *
 * @module
 */

import { credentialFromTokenJson } from "../src/credential_json.ts";
import { generateDpopKey } from "../src/oauth/dpop.ts";
import { KvStore } from "../src/store/kv.ts";
import { RedisStore } from "../src/store/redis.ts";
import type { CredentialStore } from "../src/store/types.ts";
import { type MockEvent, type MockProvider, startMockProvider } from "../testing.ts";
import { type RedisServer, startRedis } from "../tests/fleet/redis_server.ts";
import type { IdentityReport, WorkerConfig, WorkerReport } from "./fleet_worker.ts";

const SECONDS = Number(Deno.env.get("FLEET_SECONDS") ?? 30);
const WORKERS = Number(Deno.env.get("FLEET_WORKERS") ?? 32);
const SCENARIOS = (Deno.env.get("FLEET_SCENARIOS") ?? "redis,kv,redis-dpop,kv-dpop,baseline,outage")
  .split(",");
const TTL = 2;
const REFRESH_GRANT = "refresh_token";
const CC_GRANT = "client_credentials";

const workerScript = new URL("./fleet_worker.ts", import.meta.url).pathname;
const configFile = new URL("../deno.json", import.meta.url).pathname;

interface Run {
  reports: WorkerReport[];
  start: number;
  end: number;
  startupMs: number;
}

/** Starts the workers, waits until all are ready, starts them together, collects reports. */
async function runFleet(
  base: Omit<WorkerConfig, "id">,
  during?: (start: number) => Promise<void>,
): Promise<Run> {
  const spawnedAt = Date.now();
  const spawn = (id: number) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-all",
        "--unstable-kv",
        "--config",
        configFile,
        workerScript,
        JSON.stringify({ ...base, id }),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { XDG_CONFIG_HOME: tmpConfig },
    }).spawn();
  const children: Deno.ChildProcess[] = [];
  const readers: ReadableStreamDefaultReader<string>[] = [];
  const outputs: string[] = [];
  const stderrs: Promise<string>[] = [];
  // Start in batches of 8 so that 32 processes do not compile at once on a small machine.
  for (let first = 0; first < WORKERS; first += 8) {
    const batch: number[] = [];
    for (let id = first; id < Math.min(WORKERS, first + 8); id++) {
      const child = spawn(id);
      children.push(child);
      readers.push(child.stdout.pipeThrough(new TextDecoderStream()).getReader());
      outputs.push("");
      stderrs.push(new Response(child.stderr).text());
      batch.push(id);
    }
    await Promise.all(batch.map(async (i) => {
      while (!outputs[i]!.includes("ready\n")) {
        const { value, done } = await readers[i]!.read();
        if (done) throw new Error(`worker ${i} exited early: ${await stderrs[i]}`);
        outputs[i] += value;
      }
    }));
  }
  const startupMs = Date.now() - spawnedAt;
  const start = Date.now() + 500;
  for (const child of children) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(`go ${start}\n`));
    await writer.close();
  }
  await during?.(start);
  const reports = await Promise.all(children.map(async (child, i) => {
    const reader = readers[i]!;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      outputs[i] += value;
    }
    const status = await child.status;
    const stderr = await stderrs[i];
    if (!status.success) throw new Error(`worker ${i} failed: ${stderr}`);
    return JSON.parse(outputs[i]!.trim().split("\n").at(-1)!) as WorkerReport;
  }));
  return { reports, start, end: start + base.seconds * 1000, startupMs };
}

/** Token requests of one grant during a run, and how they fall into expiry windows. */
function grantStats(events: MockEvent[], grant: string, start: number, end: number) {
  const evs = events.filter((e) => e.grant === grant && e.time >= start && e.time <= end + 1000)
    .sort((a, b) => a.time - b.time);
  const ok = evs.filter((e) => e.ok);
  // A generation is the life of one access token, from its issue to the next issue: every
  // request in (previous issue, next issue] was made to replace it.
  const perGeneration: number[] = [];
  for (let k = 1; k < ok.length; k++) {
    perGeneration.push(
      evs.filter((e) => e.time > ok[k - 1]!.time && e.time <= ok[k]!.time).length,
    );
  }
  // A token lives 2 s and is renewed 1 s (its leeway) before expiry: one refresh per second
  // is the floor. Requests in each 1 s window of the run:
  const windows = Array.from({ length: Math.ceil((end - start) / 1000) }, () => 0);
  for (const e of evs) {
    const w = Math.floor((e.time - start) / 1000);
    if (w >= 0 && w < windows.length) windows[w]!++;
  }
  const early = ok.filter((e, k) => k > 0 && e.time - ok[k - 1]!.time < 500).length;
  return {
    requests: evs.length,
    ok: ok.length,
    invalidGrant: evs.filter((e) => e.error === "invalid_grant").length,
    otherFailures: evs.filter((e) => !e.ok && e.error !== "invalid_grant").length,
    generations: ok.length,
    maxPerGeneration: Math.max(0, ...perGeneration),
    meanPerGeneration: perGeneration.length
      ? perGeneration.reduce((a, b) => a + b, 0) / perGeneration.length
      : 0,
    early,
    maxPerWindow: Math.max(0, ...windows),
    meanPerWindow: windows.reduce((a, b) => a + b, 0) / windows.length,
  };
}

function sumIdentity(reports: WorkerReport[], pick: (r: WorkerReport) => IdentityReport) {
  const all = reports.map(pick);
  const errors: Record<string, number> = {};
  const api: Record<string, number> = {};
  for (const r of all) {
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    for (const [k, v] of Object.entries(r.api)) api[k] = (api[k] ?? 0) + v;
  }
  const p50s = all.map((r) => r.latency[0]).sort((a, b) => a - b);
  return {
    calls: all.reduce((n, r) => n + r.calls, 0),
    ok: all.reduce((n, r) => n + r.ok, 0),
    errors,
    api,
    adoptions: all.reduce((n, r) => n + r.tokens, 0),
    unavailableWhileValid: all.reduce((n, r) => n + r.unavailableWhileValid, 0),
    unavailableExpired: all.reduce((n, r) => n + r.unavailableExpired, 0),
    p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
    p99: Math.max(0, ...all.map((r) => r.latency[1])),
    max: Math.max(0, ...all.map((r) => r.latency[2])),
  };
}

const fmt = (o: Record<string, number>) =>
  Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k}=${v}`).join(" ") : "-";

function table(title: string, rows: [string, string, string][]): void {
  console.log(`\n${title}`);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
}

function report(name: string, run: Run, provider: MockProvider): void {
  const rt = grantStats(provider.events, REFRESH_GRANT, run.start, run.end);
  const cc = grantStats(provider.events, CC_GRANT, run.start, run.end);
  const u = sumIdentity(run.reports, (r) => r.user);
  const s = sumIdentity(run.reports, (r) => r.service);
  const secs = (run.end - run.start) / 1000;
  table(
    `== ${name}: ${WORKERS} workers, ${secs} s, ${TTL} s access tokens (startup of all workers ${
      (run.startupMs / 1000).toFixed(1)
    } s) ==`,
    [
      ["", "refresh grant (user)", "client credentials (service)"],
      ["token requests to the provider", `${rt.requests}`, `${cc.requests}`],
      ["  of which invalid_grant", `${rt.invalidGrant}`, `${cc.invalidGrant}`],
      ["  other failures", `${rt.otherFailures}`, `${cc.otherFailures}`],
      ["tokens issued (generations)", `${rt.generations}`, `${cc.generations}`],
      [
        "requests per generation: mean / max",
        `${rt.meanPerGeneration.toFixed(2)} / ${rt.maxPerGeneration}`,
        `${cc.meanPerGeneration.toFixed(2)} / ${cc.maxPerGeneration}`,
      ],
      ["duplicate issues (< 0.5 s apart)", `${rt.early}`, `${cc.early}`],
      [
        "requests per 1 s window: mean / max",
        `${rt.meanPerWindow.toFixed(2)} / ${rt.maxPerWindow}`,
        `${cc.meanPerWindow.toFixed(2)} / ${cc.maxPerWindow}`,
      ],
      [
        "without sharing (1 per worker per window)",
        `~${WORKERS} per window`,
        `~${WORKERS} per window`,
      ],
      ["token() calls in workers / answered", `${u.calls} / ${u.ok}`, `${s.calls} / ${s.ok}`],
      ["token() failures by code", fmt(u.errors), fmt(s.errors)],
      ["distinct tokens seen, summed over workers", `${u.adoptions}`, `${s.adoptions}`],
      ["demo API answers", fmt(u.api), fmt(s.api)],
      [
        "token() latency ms: p50 / p99 / max",
        `${u.p50} / ${u.p99} / ${u.max}`,
        `${s.p50} / ${s.p99} / ${s.max}`,
      ],
    ],
  );
}

async function seed(
  provider: MockProvider,
  store: CredentialStore,
  dpop = false,
): Promise<string> {
  // With DPoP, the tokens are bound to a key that rests with the credential in the fleet store,
  // as a `login --dpop` on one machine leaves it for all.
  const key = dpop ? await generateDpopKey() : undefined;
  const tokens = await provider.issueTokens({
    username: "alice",
    clientId: "latchkey-cli",
    jkt: key?.jkt,
  });
  await store.write(
    "fleet",
    credentialFromTokenJson({ ...tokens }).with({
      issuer: provider.issuer,
      clientId: "latchkey-cli",
      dpopKey: key?.jwk,
    }),
  );
  return tokens.refresh_token;
}

const tmpConfig = await Deno.makeTempDir({ prefix: "latchkey-fleet-" });
console.log(
  `fleet bench: ${WORKERS} workers, ${SECONDS} s per run, scenarios ${
    SCENARIOS.join(", ")
  }; ${navigator.hardwareConcurrency} CPUs, load ${
    Deno.loadavg().map((n) => n.toFixed(1)).join(" ")
  }`,
);
let redis: RedisServer | undefined;
try {
  if (SCENARIOS.includes("redis")) {
    redis = await startRedis();
    await using provider = await startMockProvider({ accessTokenTtl: TTL });
    await using store = new RedisStore({ url: redis.url });
    await seed(provider, store);
    const run = await runFleet({
      store: "redis",
      redisUrl: redis.url,
      issuer: provider.issuer,
      seconds: SECONDS,
    });
    report("redis", run, provider);
    await redis.stop();
  }

  if (SCENARIOS.includes("kv")) {
    const kvPath = `${tmpConfig}/fleet.kv`;
    await using provider = await startMockProvider({ accessTokenTtl: TTL });
    await using store = new KvStore({ path: kvPath });
    await seed(provider, store);
    await store.close();
    const run = await runFleet({ store: "kv", kvPath, issuer: provider.issuer, seconds: SECONDS });
    report("kv", run, provider);
  }

  for (const kind of ["redis", "kv"] as const) {
    if (!SCENARIOS.includes(`${kind}-dpop`)) continue;
    // The same fleet with DPoP: the user's refresh token and both identities' tokens are bound
    // to keys kept in the store; every proof must be accepted.
    redis = kind === "redis" ? await startRedis() : undefined;
    const kvPath = `${tmpConfig}/fleet-dpop.kv`;
    await using provider = await startMockProvider({ accessTokenTtl: TTL });
    await using store = kind === "redis"
      ? new RedisStore({ url: redis!.url })
      : new KvStore({ path: kvPath });
    await seed(provider, store, true);
    await store.close();
    const run = await runFleet({
      store: kind,
      ...(kind === "redis" ? { redisUrl: redis!.url } : { kvPath }),
      issuer: provider.issuer,
      seconds: SECONDS,
      dpop: true,
    });
    report(`${kind} with DPoP`, run, provider);
    console.log(
      `   DPoP proofs refused: ${provider.counts.dpopRefused}; nonce challenges: ${provider.counts.dpopNonceChallenges}`,
    );
    await redis?.stop();
    redis = undefined;
  }

  if (SCENARIOS.includes("baseline")) {
    const seconds = Math.min(SECONDS, 10);
    await using provider = await startMockProvider({ accessTokenTtl: TTL });
    const tokens = await provider.issueTokens({ username: "alice", clientId: "latchkey-cli" });
    const run = await runFleet({
      store: "memory",
      issuer: provider.issuer,
      seconds,
      refreshToken: tokens.refresh_token,
    });
    report("baseline: no shared store (each worker on its own memory store)", run, provider);
  }

  if (SCENARIOS.includes("outage")) {
    redis = await startRedis();
    const server = redis;
    await using provider = await startMockProvider({ accessTokenTtl: TTL });
    await using store = new RedisStore({ url: server.url });
    await seed(provider, store);
    await store.close();
    const killAt = Math.round(SECONDS * 0.3);
    const restartAt = Math.round(SECONDS * 0.55);
    let killedAt = 0;
    let restartedAt = 0;
    const run = await runFleet(
      { store: "redis", redisUrl: server.url, issuer: provider.issuer, seconds: SECONDS },
      async (start) => {
        await new Promise((r) => setTimeout(r, start + killAt * 1000 - Date.now()));
        await server.kill();
        killedAt = Date.now();
        await new Promise((r) => setTimeout(r, start + restartAt * 1000 - Date.now()));
        await server.restart();
        restartedAt = Date.now();
      },
    );
    report(
      `redis outage: killed at ${killAt} s, restarted (empty) at ${restartAt} s`,
      run,
      provider,
    );
    outageTimeline(run, provider, killedAt, restartedAt);
  }
} finally {
  await redis?.stop();
  await Deno.remove(tmpConfig, { recursive: true }).catch(() => {});
}

function outageTimeline(run: Run, provider: MockProvider, killedAt: number, restartedAt: number) {
  const secs = Math.ceil((run.end - run.start) / 1000);
  const rows: [string, string, string][] = [[
    "second",
    "user token(): ok / STORE_UNAVAILABLE / other",
    "service token(): ok / STORE_UNAVAILABLE / other  | refreshes ok, cc ok",
  ]];
  for (let i = 0; i < secs; i++) {
    const sum = (pick: (r: WorkerReport) => IdentityReport) => {
      let ok = 0, unavailable = 0, other = 0;
      for (const r of run.reports) {
        const b = pick(r).seconds[i];
        ok += b?.ok ?? 0;
        unavailable += b?.unavailable ?? 0;
        other += b?.other ?? 0;
      }
      return `${ok} / ${unavailable} / ${other}`;
    };
    const from = run.start + i * 1000;
    const inSecond = (grant: string) =>
      provider.events.filter((e) =>
        e.grant === grant && e.ok && e.time >= from && e.time < from + 1000
      ).length;
    const t0 = (killedAt - run.start) / 1000;
    const t1 = (restartedAt - run.start) / 1000;
    const mark = i + 1 > t0 && i < t1 ? " (down)" : "";
    rows.push([
      `${i}${mark}`,
      sum((r) => r.user),
      `${sum((r) => r.service)}  | ${inSecond(REFRESH_GRANT)}, ${inSecond(CC_GRANT)}`,
    ]);
  }
  table("redis outage, per second (all workers)", rows);
  const u = sumIdentity(run.reports, (r) => r.user);
  const s = sumIdentity(run.reports, (r) => r.service);
  const firstOk = (grant: string) =>
    provider.events.find((e) => e.grant === grant && e.ok && e.time >= restartedAt)?.time;
  const lastErr = Math.max(
    0,
    ...run.reports.flatMap((r) =>
      [r.user, r.service].map((x) => {
        let last = -1;
        x.seconds.forEach((b, i) => {
          if (b.unavailable || b.other) last = i;
        });
        return last;
      })
    ),
  );
  console.log(
    `  STORE_UNAVAILABLE while the held token was still unexpired (inside its 1 s leeway): user ${u.unavailableWhileValid}, service ${s.unavailableWhileValid}`,
  );
  console.log(
    `  STORE_UNAVAILABLE once the held token had expired: user ${u.unavailableExpired}, service ${s.unavailableExpired}`,
  );
  console.log(
    `  down for ${((restartedAt - killedAt) / 1000).toFixed(1)} s; first refresh after restart +${
      ((firstOk(REFRESH_GRANT) ?? NaN) - restartedAt).toFixed(0)
    } ms, first client credentials +${
      ((firstOk(CC_GRANT) ?? NaN) - restartedAt).toFixed(0)
    } ms; last second with any failure: ${lastErr}`,
  );
}
