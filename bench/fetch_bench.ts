/**
 * `auth.fetch` with a cached token vs raw `fetch`, and the wrapper with a
 * DPoP-bound token vs a bearer token, against a loopback Hono server in
 * another process, in the same run: rounds alternate A/B and each figure is
 * the median ratio of throughputs.
 *
 * Run: deno run -A bench/fetch_bench.ts   (or as part of `deno task bench`)
 */
import { Auth } from "../mod.ts";
import { createAuthFetch } from "../src/fetch.ts";
import { DpopSender, generateDpopKey } from "../src/oauth/dpop.ts";

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
/** Starts the loopback API (bench/server.ts) in its own process. */
async function startServer(): Promise<{ origin: string; stop: () => Promise<void> }> {
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
  return {
    origin: `http://127.0.0.1:${text.trim()}`,
    stop: async () => {
      await child.stdin.close();
      await child.status;
    },
  };
}

/**
 * The median ratio of B's throughput to A's over A-B-B-A pairs, after warm-up: drift in the
 * machine's speed (other processes, GC, JIT) falls equally on both sides of each pair.
 */
async function pairedRatio(
  a: () => Promise<Response>,
  b: () => Promise<Response>,
  pairs: number,
  requests: number,
): Promise<FetchBenchResult> {
  for (let i = 0; i < 3; i++) {
    await rate(a, requests, 16);
    await rate(b, requests, 16);
  }
  const ratios: number[] = [];
  let aSum = 0;
  let bSum = 0;
  for (let i = 0; i < pairs; i++) {
    const a1 = await rate(a, requests, 16);
    const b1 = await rate(b, requests, 16);
    const b2 = await rate(b, requests, 16);
    const a2 = await rate(a, requests, 16);
    aSum += a1 + a2;
    bSum += b1 + b2;
    ratios.push((b1 + b2) / (a1 + a2));
  }
  ratios.sort((x, y) => x - y);
  return {
    ratio: ratios[Math.floor(ratios.length / 2)]!,
    rawRps: aSum / (2 * pairs),
    authRps: bSum / (2 * pairs),
  };
}

/**
 * `auth.fetch` with a cached token against raw `fetch`.
 *
 * @param pairs A-B-B-A pairs measured.
 * @param requests Requests per round.
 * @returns The figures.
 */
export async function fetchBench(pairs = 15, requests = 2000): Promise<FetchBenchResult> {
  const server = await startServer();
  const url = `${server.origin}/v1/ping`;
  const auth = new Auth({
    token: "bench-token",
    dotenv: false,
    store: "memory",
    apiOrigins: [server.origin],
  });
  const raw = () => fetch(url, { headers: { authorization: "Bearer bench-token" } });
  try {
    return await pairedRatio(raw, () => auth.fetch(url), pairs, requests);
  } finally {
    await server.stop();
  }
}

/**
 * The fetch wrapper with a DPoP-bound token (a fresh ES256 proof per request, through
 * openid-client) against the same wrapper with a bearer token.
 *
 * @param pairs A-B-B-A pairs measured.
 * @param requests Requests per round.
 * @returns The figures (`rawRps` is the bearer side).
 */
export async function dpopFetchBench(pairs = 15, requests = 2000): Promise<FetchBenchResult> {
  const server = await startServer();
  const url = `${server.origin}/v1/ping`;
  const common = {
    apiOrigins: [server.origin],
    getToken: () => Promise.resolve("bench-token"),
    cachedToken: () => "bench-token",
    renew: () => Promise.resolve(undefined),
  };
  const bearer = createAuthFetch(common);
  const sender = new DpopSender(await generateDpopKey(), {
    issuer: server.origin,
    clientId: "bench",
    allowHttp: true,
  });
  const dpop = createAuthFetch({ ...common, proofsFor: () => sender });
  try {
    return await pairedRatio(() => bearer(url), () => dpop(url), pairs, requests);
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const r = await fetchBench();
  console.log(
    `auth.fetch / fetch throughput ratio: ${r.ratio.toFixed(3)} (target >= 0.97; ` +
      `raw ${r.rawRps.toFixed(0)} req/s, auth ${r.authRps.toFixed(0)} req/s in this run)`,
  );
  const d = await dpopFetchBench();
  console.log(
    `DPoP / bearer wrapper throughput ratio: ${d.ratio.toFixed(3)} (target >= 0.90; ` +
      `bearer ${d.rawRps.toFixed(0)} req/s, DPoP ${d.authRps.toFixed(0)} req/s in this run)`,
  );
}
