/**
 * Fencing of the fleet stores, end to end: a lock holder frozen (SIGSTOP)
 * past its lease TTL, after it read C0, while another machine renews C0 to
 * C1. Once resumed, whether the provider refuses its own refresh (rotated
 * refresh tokens: R0 was used) or accepts it, C1 stays in the store and the
 * resumed machine uses C1.
 *
 * @module
 */

import { Auth } from "../../src/auth.ts";
import { credentialFromTokenJson } from "../../src/credential_json.ts";
import { KvStore } from "../../src/store/kv.ts";
import { RedisStore } from "../../src/store/redis.ts";
import type { CredentialStore } from "../../src/store/types.ts";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { assertEquals } from "../support/assert.ts";
import { redisTest, startRedis } from "./redis_server.ts";

const PROFILE = "fleet";
const LOCK_TTL = 0.5;

async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return new Uint8Array(digest).subarray(0, 8).toHex();
}

/** Saves C0: a login whose access token is already past its expiry. */
async function seedExpired(provider: MockProvider, store: CredentialStore): Promise<void> {
  const tokens = await provider.issueTokens({ username: "alice", clientId: "latchkey-cli" });
  const now = Date.now() / 1000;
  await store.write(
    PROFILE,
    credentialFromTokenJson({ ...tokens }).with({
      issuedAt: now - 60,
      expiresAt: now - 1,
      issuer: provider.issuer,
      clientId: "latchkey-cli",
    }),
  );
}

/** Reads a child's stdout up to a line starting with one of `prefixes`. */
async function lineStarting(
  reader: ReadableStreamDefaultReader<string>,
  seen: { text: string },
  prefixes: string[],
): Promise<string> {
  for (;;) {
    const line = seen.text.split("\n").slice(0, -1).find((l) =>
      prefixes.some((p) => l.startsWith(p))
    );
    if (line) return line;
    const { value, done } = await reader.read();
    if (done) throw new Error(`the worker ended before printing ${prefixes.join(" or ")}`);
    seen.text += value;
  }
}

async function frozenHolderKeepsTheNextHoldersCredential(
  kind: "redis" | "kv",
  where: string,
  store: CredentialStore,
  rotateRefreshTokens: boolean,
): Promise<void> {
  await using provider = await startMockProvider({ accessTokenTtl: 60, rotateRefreshTokens });
  await seedExpired(provider, store);
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const script = new URL("./fence_worker.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-all",
      "--unstable-kv",
      "--config",
      config,
      script,
      kind,
      where,
      provider.issuer,
      PROFILE,
      String(LOCK_TTL),
    ],
    env: { XDG_CONFIG_HOME: await Deno.makeTempDir({ prefix: "latchkey-fence-" }) },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const seen = { text: "" };
  try {
    // The worker holds the lease and has read C0: freeze it.
    await lineStarting(stdout, seen, ["holding"]);
    child.kill("SIGSTOP");
    // Another machine waits for the lease to lapse and renews C0 to C1.
    const other = new Auth({
      store,
      profile: PROFILE,
      issuer: provider.issuer,
      clientId: "latchkey-cli",
      dotenv: false,
    });
    const c1 = await other.token();
    assertEquals(provider.counts.token.refresh_token, 1);
    // Resume the frozen worker: it goes on with the C0 it read.
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    await writer.close();
    child.kill("SIGCONT");
    const result = await lineStarting(stdout, seen, ["token ", "error "]);
    const status = await child.status;
    assertEquals(status.success, true, await stderr);
    // Its own refresh with C0's refresh token was made, and refused or not:
    assertEquals(provider.counts.invalidGrant, rotateRefreshTokens ? 1 : 0);
    if (!rotateRefreshTokens) assertEquals(provider.counts.token.refresh_token, 2);
    // C1 is still in the store, and the resumed worker uses it.
    assertEquals((await store.read(PROFILE))?.accessToken?.reveal(), c1);
    assertEquals(result, `token ${await fingerprint(c1)}`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await stderr.catch(() => {});
  }
}

for (const rotate of [true, false]) {
  const refusal = rotate ? "refused: R0 was rotated" : "accepted";
  redisTest(
    `redis store: a holder frozen past its lease keeps the next holder's credential (its own refresh ${refusal})`,
    async () => {
      await using redis = await startRedis();
      await using store = new RedisStore({ url: redis.url, encryptionKey: false });
      await frozenHolderKeepsTheNextHoldersCredential("redis", redis.url, store, rotate);
    },
  );

  Deno.test(
    `kv store: a holder frozen past its lease keeps the next holder's credential (its own refresh ${refusal})`,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "latchkey-kv-" });
      try {
        const path = `${dir}/fleet.kv`;
        await using store = new KvStore({ path, encryptionKey: false });
        await frozenHolderKeepsTheNextHoldersCredential("kv", path, store, rotate);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}
