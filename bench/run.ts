/**
 * `deno task bench`: every figure of the README's table, each a ratio or a
 * count measured in this one run (never absolute times compared across runs),
 * then the fleet simulation's tables (`bench/fleet_bench.ts`).
 *
 * Settings (env): `SOAK_SECONDS` (multi-process runs, default 30),
 * `FLEET_SECONDS` / `FLEET_WORKERS` (fleet simulation), `BENCH_SKIP_FLEET=1`.
 */
import { cliBench } from "./cli_bench.ts";
import { dpopFetchBench, fetchBench } from "./fetch_bench.ts";
import { soak, stampede } from "./refresh_bench.ts";
import { resolveBench } from "./resolve_bench.ts";

const seconds = Number(Deno.env.get("SOAK_SECONDS") ?? "30");
// Workers get a throwaway HOME; they must share this machine's Deno cache.
if (!Deno.env.get("DENO_DIR")) {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  Deno.env.set("DENO_DIR", JSON.parse(new TextDecoder().decode(info.stdout)).denoDir);
}
const rows: [string, string, string, string][] = [];
const add = (figure: string, value: string, target: string, met: boolean | undefined) => {
  rows.push([figure, value, target, met === undefined ? "—" : met ? "met" : "not met"]);
  console.error(`  ${figure}: ${value}`);
};

console.error("fetch throughput…");
const f = await fetchBench();
add(
  "`auth.fetch` (cached token) / raw `fetch` throughput",
  f.ratio.toFixed(3),
  "≥ 0.97",
  f.ratio >= 0.97,
);

console.error("DPoP fetch throughput…");
const d = await dpopFetchBench();
add(
  "fetch wrapper with a DPoP-bound token (a fresh proof per request) / with a bearer token: throughput",
  d.ratio.toFixed(3),
  "≥ 0.90",
  d.ratio >= 0.90,
);

console.error("100 concurrent calls on an expired token…");
const s = await stampede();
add("token requests for 100 concurrent calls on an expired token", String(s), "1", s === 1);

for (const n of [8, 16]) {
  console.error(`${n} processes for ${seconds} s…`);
  const r = await soak(n, seconds);
  add(
    `${n} processes, 2 s tokens, ${r.seconds.toFixed(0)} s: refreshes per expiry window`,
    `${r.perWindow.toFixed(2)} (${r.refreshes} in ${r.windows.toFixed(1)} windows)`,
    "≤ 1",
    r.perWindow <= 1,
  );
  add(
    `${n} processes: \`invalid_grant\` responses`,
    String(r.invalidGrant),
    "0",
    r.invalidGrant === 0,
  );
}

console.error(`16 processes with DPoP for ${seconds} s…`);
const dp = await soak(16, seconds, true);
add(
  `16 processes, DPoP-bound tokens, 2 s tokens, ${
    dp.seconds.toFixed(0)
  } s: refreshes per expiry window`,
  `${dp.perWindow.toFixed(2)} (${dp.refreshes} in ${dp.windows.toFixed(1)} windows)`,
  "≤ 1",
  dp.perWindow <= 1,
);
add(
  "16 processes, DPoP: `invalid_grant` / refused proofs",
  `${dp.invalidGrant} / ${dp.refusedProofs}`,
  "0 / 0",
  dp.invalidGrant === 0 && dp.refusedProofs === 0,
);

console.error("latchkey token vs an empty script…");
const c = await cliBench();
add(
  "`latchkey token` (cached) / `deno run` empty script, same flags: wall time",
  c.ratio.toFixed(2),
  "≤ 1.5",
  c.ratio <= 1.5,
);

console.error("resolve from file vs memory…");
const r = await resolveBench();
add("resolve from the file store / from memory: time", r.ratio.toFixed(2), "—", undefined);

console.log("\n| figure | this run | target | |\n|---|---|---|---|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);

if (Deno.env.get("BENCH_SKIP_FLEET") !== "1") {
  console.log("\nFleet simulation (bench/fleet_bench.ts):");
  const fleet = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-kv",
      new URL("./fleet_bench.ts", import.meta.url).pathname,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!fleet.success) Deno.exit(fleet.code);
}
