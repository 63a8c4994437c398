/**
 * Atomic replace: a child process rewrites one credential file in a loop (alternating
 * credentials A and B through `FileStore.write`) and is SIGKILLed 50 times at random moments;
 * after each kill the file parses and holds exactly A or B.
 */

import { join } from "node:path";
import { FileStore } from "../../src/store/file.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { tempDir } from "../support/files.ts";

const childScript = new URL("./fixtures/rewrite_loop.ts", import.meta.url).pathname;
const KILLS = 50;
/** Children run side by side in this many lanes (each with its own file) to save time. */
const LANES = 5;

const EXPECTED = {
  A: {
    access_token: "access-A",
    token_type: "Bearer",
    expires_at: 2_000_000_000,
    issued_at: 1_900_000_000,
    refresh_token: "refresh-A",
    scope: "scope-A",
  },
  B: {
    access_token: "access-B",
    token_type: "Bearer",
    expires_at: 2_100_000_000,
    issued_at: 1_900_000_000,
    refresh_token: "refresh-B",
    scope: "scope-B",
  },
};

async function waitForLine(stream: ReadableStream<Uint8Array>, line: string): Promise<void> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  try {
    while (!seen.includes(`${line}\n`)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited before printing "${line}"`);
      seen += value;
    }
  } finally {
    await reader.cancel();
  }
}

const repoRoot = new URL("../../", import.meta.url).pathname;

/** Spawns the child, waits until it loops, kills it after a random delay, and checks the file. */
async function killOnce(
  dir: string,
  first: "A" | "B",
  seen: Record<"A" | "B", number>,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", childScript, dir, first],
    cwd: repoRoot,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  try {
    await waitForLine(child.stdout, "looping");
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // it ended by itself: the status check below reports why
    }
  }
  const status = await child.status;
  const errors = await stderr;
  if (status.signal !== "SIGKILL") {
    throw new Error(`the child ended by itself (${status.code}): ${errors}`);
  }
  const path = join(dir, "default.json");
  const json = JSON.parse(await Deno.readTextFile(path));
  const name = json.access_token === "access-A" ? "A" : "B";
  const { expires_in: _, ...stable } = json;
  assertEquals(stable, EXPECTED[name], "the file is exactly credential A or B");
  seen[name]++;
  const read = await new FileStore({ dir }).read("default");
  assertEquals(read?.accessToken?.reveal(), `access-${name}`);
  assertEquals(read?.refreshToken?.reveal(), `refresh-${name}`);
}

Deno.test("a credential file SIGKILLed 50 times mid-rewrite always holds A or B", async () => {
  await using root = await tempDir("latchkey-atomic-");
  const seen = { A: 0, B: 0 };
  // Every lane ends (its child killed and awaited) before the folder is removed.
  const lanes = await Promise.allSettled(Array.from({ length: LANES }, async (_, lane) => {
    const dir = join(root.path, `lane-${lane}`);
    for (let i = 0; i < KILLS / LANES; i++) await killOnce(dir, i % 2 ? "B" : "A", seen);
  }));
  for (const lane of lanes) if (lane.status === "rejected") throw lane.reason;
  assertEquals(seen.A + seen.B, KILLS);
  assert(seen.A > 0 && seen.B > 0, `both credentials seen: ${JSON.stringify(seen)}`);
});
