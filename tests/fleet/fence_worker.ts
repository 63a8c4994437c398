/**
 * A child process for the fencing tests: one machine of a fleet whose
 * credential needs a refresh. Inside the store's lock, right after reading
 * the stored credential, it prints `holding` and waits for a line on stdin —
 * the moment the test freezes it (SIGSTOP) past the lease TTL while another
 * machine renews. Once resumed, it finishes its own refresh as Auth would
 * and prints `token <fingerprint>` of the access token it ends up using, or
 * `error <code>`. Tokens are never printed, only their SHA-256 prefix.
 *
 * Usage: `fence_worker.ts redis|kv <url or path> <issuer> <profile> <lock ttl s>`
 *
 * @module
 */

import { Auth } from "../../src/auth.ts";
import { AuthError } from "../../src/errors.ts";
import type { CredentialStore } from "../../src/store/types.ts";

const [kind, where, issuer, profile, ttl] = Deno.args;
const options = { encryptionKey: false, lockTtl: Number(ttl) } as const;
const store: CredentialStore & { close(): Promise<void> } = kind === "redis"
  ? new (await import("../../src/store/redis.ts")).RedisStore({ url: where!, ...options })
  : new (await import("../../src/store/kv.ts")).KvStore({ path: where!, ...options });

/** SHA-256 prefix of a token, to compare without printing it. */
async function fingerprint(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return new Uint8Array(digest).subarray(0, 8).toHex();
}

const stdin = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
let inLock = false;
let paused = false;
/** The store as the worker's Auth sees it: it stops once, in the lock, after the read. */
const pausing: CredentialStore = {
  kind: store.kind,
  location: (key) => store.location(key),
  list: () => store.list(),
  write: (key, credential, o) => store.write(key, credential, o),
  delete: (key, o) => store.delete(key, o),
  lock: (key, fn) =>
    store.lock(key, async () => {
      inLock = true;
      try {
        return await fn();
      } finally {
        inLock = false;
      }
    }),
  async read(key) {
    const credential = await store.read(key);
    if (inLock && !paused) {
      paused = true;
      console.log("holding");
      await stdin.read(); // the test stops this process here, then sends a line
    }
    return credential;
  },
};

const auth = new Auth({ store: pausing, profile, issuer, clientId: "latchkey-cli", dotenv: false });
try {
  console.log(`token ${await fingerprint(await auth.token())}`);
} catch (error) {
  console.log(`error ${error instanceof AuthError ? error.code : String(error)}`);
} finally {
  await store.close();
}
