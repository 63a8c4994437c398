/**
 * Helpers shared by the fleet tests and the store tests (`../stores/`): store keys, sample
 * credentials, and two processes contending for one store's lock.
 *
 * @module
 */

import { Credential } from "../../src/credential.ts";

/** A fresh store key: the base64 of 32 random bytes. */
export function newStoreKey(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64();
}

/** A credential with recognisable secrets. */
export function sampleCredential(tag = "1"): Credential {
  const now = Math.floor(Date.now() / 1000);
  return new Credential({
    accessToken: `access-secret-${tag}`,
    refreshToken: `refresh-secret-${tag}`,
    idToken: `id-secret-${tag}`,
    issuedAt: now,
    expiresAt: now + 600,
    scope: "openid api",
    issuer: "https://id.example.org",
    clientId: "fleet",
  });
}

/**
 * Runs two lock workers (`lock_worker.ts`) against one store at the same
 * time and returns the intervals each held the lock.
 *
 * @param args The store kind and its URL or path.
 * @param profile The profile whose lock they contend for.
 * @param iterations Critical sections per worker.
 * @returns Each worker's intervals.
 */
export async function runLockWorkers(
  args: ["redis" | "kv", string],
  profile: string,
  iterations: number,
): Promise<[number, number][][]> {
  const script = new URL("./lock_worker.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const children = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-all",
        "--unstable-kv",
        "--config",
        config,
        script,
        ...args,
        profile,
        String(iterations),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  const lines = children.map((child) =>
    child.stdout.pipeThrough(new TextDecoderStream()).getReader()
  );
  const outputs = ["", ""];
  // Wait until both are ready, then start them together.
  await Promise.all(lines.map(async (reader, i) => {
    while (!outputs[i]!.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      outputs[i] += value;
    }
  }));
  for (const child of children) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    await writer.close();
  }
  const results = await Promise.all(children.map(async (child, i) => {
    const reader = lines[i]!;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      outputs[i] += value;
    }
    const stderr = await new Response(child.stderr).text();
    const status = await child.status;
    if (!status.success) throw new Error(`lock worker ${i} failed: ${stderr}`);
    const last = outputs[i]!.trim().split("\n").at(-1)!;
    return JSON.parse(last) as [number, number][];
  }));
  return results;
}

/**
 * Whether two workers' intervals ever overlap.
 *
 * @param a The first worker's intervals.
 * @param b The second worker's intervals.
 * @returns The overlapping pairs.
 */
export function overlaps(a: [number, number][], b: [number, number][]): number {
  let n = 0;
  for (const [s1, e1] of a) {
    for (const [s2, e2] of b) if (s1 < e2 && s2 < e1) n++;
  }
  return n;
}
