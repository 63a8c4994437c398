/**
 * Resolving a credential from the file store vs from memory: the cost of a
 * fresh `Auth` answering `token()` (a new CLI process does this once).
 */
import { Auth, Credential, FileStore, MemoryStore } from "../mod.ts";
import { isolatedHome } from "../tests/support/home.ts";

/**
 * Times `new Auth(...).token()` from each store.
 *
 * @param rounds How many fresh instances per store.
 * @returns Microseconds per resolution, and their ratio.
 */
export async function resolveBench(
  rounds = 400,
): Promise<{ fileUs: number; memoryUs: number; ratio: number }> {
  await using _home = await isolatedHome({ prefix: "latchkey-bench-" });
  const credential = new Credential({
    accessToken: "bench-token",
    expiresAt: Date.now() / 1000 + 3600,
    issuer: "https://id.example.org",
    clientId: "bench",
  });
  await new FileStore().write("bench", credential);
  const memory = new MemoryStore();
  await memory.write("bench", credential);
  const time = async (store: "file" | MemoryStore) => {
    const start = performance.now();
    for (let i = 0; i < rounds; i++) {
      await new Auth({ profile: "bench", store, dotenv: false }).token();
    }
    return (performance.now() - start) * 1000 / rounds;
  };
  await time("file");
  await time(memory);
  const fileUs = (await time("file") + await time("file")) / 2;
  const memoryUs = (await time(memory) + await time(memory)) / 2;
  return { fileUs, memoryUs, ratio: fileUs / memoryUs };
}

if (import.meta.main) console.log(await resolveBench());
