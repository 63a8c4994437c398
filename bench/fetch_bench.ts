/**
 * `auth.fetch` with a cached token vs raw `fetch`, against a loopback Hono
 * server in another process, in the same run: rounds alternate A/B and the
 * figure is the median ratio of throughputs.
 *
 * Run: deno run -A bench/fetch_bench.ts   (or as part of `deno task bench`)
 */
import { Auth } from "../mod.ts";

/** Result of one benchmark: a ratio and its target. */
export interface FetchBenchResult {
  ratio: number;
  rawRps: number;
  authRps: number;
}

async function rate(
  call: () => Promise<Response>,
  requests: number,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < requests) {
      const res = await call();
      await res.arrayBuffer();
    }
  }));
  return requests / ((performance.now() - start) / 1000);
}

/**
 * Runs the benchmark.
 *
 * @param rounds Alternating rounds of each side.
 * @param requests Requests per round.
 * @returns The figures.
 */
export async function fetchBench(pairs = 15, requests = 2000): Promise<FetchBenchResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net=127.0.0.1", new URL("./server.ts", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await reader.read()).value ?? "";
  reader.releaseLock();
  const origin = `http://127.0.0.1:${text.trim()}`;
  const url = `${origin}/v1/ping`;
  const auth = new Auth({
    token: "bench-token",
    dotenv: false,
    store: "memory",
    apiOrigins: [origin],
  });
  const raw = () => fetch(url, { headers: { authorization: "Bearer bench-token" } });
  const wrapped = () => auth.fetch(url);
  for (let i = 0; i < 3; i++) {
    await rate(raw, requests, 16);
    await rate(wrapped, requests, 16);
  }
  // A-B-B-A pairs: drift in the machine's speed (other processes, GC, JIT)
  // falls equally on both sides of each pair; the median pair ratio is reported.
  const ratios: number[] = [];
  let rawSum = 0;
  let authSum = 0;
  for (let i = 0; i < pairs; i++) {
    const r1 = await rate(raw, requests, 16);
    const a1 = await rate(wrapped, requests, 16);
    const a2 = await rate(wrapped, requests, 16);
    const r2 = await rate(raw, requests, 16);
    rawSum += r1 + r2;
    authSum += a1 + a2;
    ratios.push((a1 + a2) / (r1 + r2));
  }
  await child.stdin.close();
  await child.status;
  ratios.sort((x, y) => x - y);
  return {
    ratio: ratios[Math.floor(ratios.length / 2)]!,
    rawRps: rawSum / (2 * pairs),
    authRps: authSum / (2 * pairs),
  };
}

if (import.meta.main) {
  const r = await fetchBench();
  console.log(
    `auth.fetch / fetch throughput ratio: ${r.ratio.toFixed(3)} (target >= 0.97; ` +
      `raw ${r.rawRps.toFixed(0)} req/s, auth ${r.authRps.toFixed(0)} req/s in this run)`,
  );
}
