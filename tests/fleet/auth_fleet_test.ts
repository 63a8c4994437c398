import { createClient } from "redis";
import { Auth } from "../../src/auth.ts";
import { credentialFromTokenJson } from "../../src/credential_json.ts";
import { AuthError } from "../../src/errors.ts";
import { closeKvStores, KvStore } from "../../src/store/kv.ts";
import { closeRedisStores, RedisStore } from "../../src/store/redis.ts";
import type { CredentialStore } from "../../src/store/types.ts";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { newStoreKey } from "./helpers.ts";
import { redisTest, startRedis } from "./redis_server.ts";
import { sleep } from "../support/time.ts";

/** Saves a fresh login whose access token is already past its expiry. */
async function seedExpired(provider: MockProvider, store: CredentialStore, profile: string) {
  const tokens = await provider.issueTokens({ username: "alice", clientId: "latchkey-cli" });
  const now = Date.now() / 1000;
  const credential = credentialFromTokenJson({ ...tokens }).with({
    issuedAt: now - 60,
    expiresAt: now - 1,
    issuer: provider.issuer,
    clientId: "latchkey-cli",
  });
  await store.write(profile, credential);
}

function machines(n: number, options: ConstructorParameters<typeof Auth>[0]): Auth[] {
  return Array.from({ length: n }, () => new Auth({ dotenv: false, ...options }));
}

redisTest(
  'Auth with store "redis" refreshes once for eight machines and they share the result',
  async () => {
    await using redis = await startRedis();
    await using provider = await startMockProvider({ accessTokenTtl: 60 });
    await using seed = new RedisStore({ url: redis.url });
    await seedExpired(provider, seed, "fleet");
    const fleet = machines(8, {
      store: "redis",
      redisUrl: redis.url,
      profile: "fleet",
      issuer: provider.issuer,
      clientId: "latchkey-cli",
    });
    try {
      const tokens = await Promise.all(fleet.map((auth) => auth.token()));
      assertEquals(new Set(tokens).size, 1);
      assertEquals(provider.counts.token.refresh_token, 1);
      assertEquals(provider.counts.invalidGrant, 0);
      const status = await fleet[0]!.status();
      assertEquals(status.source, "redis");
      assertEquals(status.loggedIn, true);
      assertEquals((await seed.read("fleet"))?.accessToken?.reveal(), tokens[0]);
      const api = await fetch(`${provider.apiUrl}/me`, {
        headers: { authorization: `Bearer ${tokens[0]}` },
      });
      assertEquals((await api.json()).sub, "user-alice");
    } finally {
      await closeRedisStores();
    }
  },
);

Deno.test('Auth with store "kv" refreshes once for eight machines and they share the result', async () => {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-kv-" });
  try {
    const kvPath = `${dir}/fleet.kv`;
    await using provider = await startMockProvider({ accessTokenTtl: 60 });
    await using seed = new KvStore({ path: kvPath });
    await seedExpired(provider, seed, "fleet");
    const fleet = machines(8, {
      store: "kv",
      kvPath,
      profile: "fleet",
      issuer: provider.issuer,
      clientId: "latchkey-cli",
    });
    try {
      const tokens = await Promise.all(fleet.map((auth) => auth.token()));
      assertEquals(new Set(tokens).size, 1);
      assertEquals(provider.counts.token.refresh_token, 1);
      assertEquals(provider.counts.invalidGrant, 0);
      assertEquals((await fleet[0]!.status()).source, "kv");
    } finally {
      await closeKvStores();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

redisTest(
  'Auth with store "redis" shares one client credentials token among machines',
  async () => {
    await using redis = await startRedis();
    await using provider = await startMockProvider({ accessTokenTtl: 60 });
    const fleet = machines(8, {
      store: "redis",
      redisUrl: redis.url,
      issuer: provider.issuer,
      clientId: "latchkey-service",
      clientSecret: "service-secret",
      scope: "api",
    });
    try {
      const tokens = await Promise.all(fleet.map((auth) => auth.token()));
      assertEquals(new Set(tokens).size, 1);
      assertEquals(provider.counts.token.client_credentials, 1);
      // The cache key names no secret.
      await using store = new RedisStore({ url: redis.url });
      const [key] = await store.list();
      assert(key?.startsWith("cache-") && !key.includes("service-secret"));
    } finally {
      await closeRedisStores();
    }
  },
);

redisTest(
  'Auth with store "redis" keeps a valid token while Redis is down and recovers',
  async () => {
    await using redis = await startRedis();
    await using provider = await startMockProvider({ accessTokenTtl: 2 });
    await using seed = new RedisStore({ url: redis.url });
    await seedExpired(provider, seed, "outage");
    const [auth] = machines(1, {
      store: "redis",
      redisUrl: redis.url,
      profile: "outage",
      issuer: provider.issuer,
      clientId: "latchkey-cli",
    });
    try {
      const first = await auth!.token();
      await redis.kill();
      assertEquals(await auth!.token(), first); // valid: no store access needed
      await sleep(1200); // within the leeway: the lock is out of reach, the token still valid
      assertEquals(await auth!.token(), first);
      await sleep(1000); // expired now: the refresh needs the store
      const error = await assertRejects(() => auth!.token(), AuthError);
      assertEquals(error.code, "STORE_UNAVAILABLE");
      assertEquals(provider.counts.token.refresh_token, 1); // the refresh token was not spent
      await redis.restart(); // empty: this server keeps nothing
      const next = await auth!.token();
      assert(next !== first);
      assertEquals(provider.counts.invalidGrant, 0);
      assertEquals((await seed.read("outage"))?.accessToken?.reveal(), next); // written back
    } finally {
      await closeRedisStores();
    }
  },
);

redisTest(
  "a short-lived process with the redis store exits without closing it, values encrypted",
  async () => {
    await using redis = await startRedis();
    await using provider = await startMockProvider({ accessTokenTtl: 60 });
    const storeKey = newStoreKey();
    await using seed = new RedisStore({ url: redis.url, encryptionKey: storeKey });
    await seedExpired(provider, seed, "cli");
    const code = `
    import { Auth } from ${JSON.stringify(new URL("../../src/auth.ts", import.meta.url).href)};
    const auth = new Auth({ dotenv: false, profile: "cli", clientId: "latchkey-cli" });
    console.log((await auth.token()).length > 0, (await auth.status()).source);
  `;
    const started = Date.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--quiet",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        code,
      ],
      env: {
        LATCHKEY_STORE: "redis",
        LATCHKEY_REDIS_URL: redis.url,
        LATCHKEY_ISSUER: provider.issuer,
        LATCHKEY_STORE_KEY: storeKey,
        XDG_CONFIG_HOME: await Deno.makeTempDir(),
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.success, stderr);
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "true redis");
    assert(Date.now() - started < 20_000);
    assertEquals(provider.counts.token.refresh_token, 1);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const value = (await raw.get("latchkey:cred:cli"))!;
      assert(value.startsWith("latchkey:aes-256-gcm:v2:"));
    } finally {
      await raw.close();
    }
  },
);
