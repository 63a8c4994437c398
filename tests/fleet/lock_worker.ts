/**
 * A child process for the cross-process lock tests: after "go" on stdin, it
 * increments a counter kept in a credential `iterations` times, each inside
 * the store's lock, and prints the intervals it held the lock as JSON.
 *
 * Usage: `lock_worker.ts redis|kv <url or path> <profile> <iterations>`
 *
 * @module
 */

import { Credential } from "../../src/credential.ts";
import type { CredentialStore } from "../../src/store/types.ts";

const [kind, where, profile, count] = Deno.args;
const store: CredentialStore & { close(): Promise<void> } = kind === "redis"
  ? new (await import("../../src/store/redis.ts")).RedisStore({ url: where!, encryptionKey: false })
  : new (await import("../../src/store/kv.ts")).KvStore({ path: where!, encryptionKey: false });

const now = () => performance.timeOrigin + performance.now();
console.log("ready");
const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
await reader.read(); // "go"
reader.releaseLock();

const held: [number, number][] = [];
for (let i = 0; i < Number(count); i++) {
  await store.lock(profile!, async () => {
    const start = now();
    const n = Number((await store.read(profile!))?.scope ?? "0");
    await new Promise((resolve) => setTimeout(resolve, 3));
    await store.write(profile!, new Credential({ accessToken: "counter", scope: String(n + 1) }));
    held.push([start, now()]);
  });
}
await store.close();
console.log(JSON.stringify(held));
