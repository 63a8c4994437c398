// Journeys of the README's "Fleets: one login for many machines": a service logs in once with
// `--store kv` or `--store redis` on one machine; a second machine — its own HOME, no config, no
// client secret, sharing only the fleet store and its store key — gets a token from that login.
// Each step is a `cli.ts` process under the binary's exact permission flags.
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { runCli, show } from "../cli/helpers.ts";
import { redisTest, startRedis } from "../fleet/redis_server.ts";
import { newStoreKey } from "../fleet/helpers.ts";
import { serviceLogin } from "./steps.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

async function oneLoginTwoMachines(store: "kv" | "redis", location: Record<string, string>) {
  const secret = canary("client-secret");
  await using provider = await startMockProvider({
    clients: [{
      clientId: "svc",
      clientSecret: secret,
      grants: ["client_credentials"],
      scope: "api",
    }],
  });
  const shared = { ...location, LATCHKEY_STORE_KEY: newStoreKey() };
  const secrets = [secret, shared.LATCHKEY_STORE_KEY];

  await using first = await makeHome();
  const login = await serviceLogin(first, provider.issuer, secret, store, shared, secrets);
  assertEquals(login.code, 0, show(login));

  await using second = await makeHome();
  const env = { ...shared, LATCHKEY_STORE: store };
  const status = await runCli(second, ["status", "--json"], { env, secrets });
  assertEquals(status.code, 0, show(status));
  const s = JSON.parse(status.stdout);
  assertEquals([s.loggedIn, s.refreshable, s.source], [true, true, store]);
  const token = await runCli(second, ["token"], { env, secrets });
  assertEquals(token.code, 0, show(token));
  assert(/^ey[\w-]+\.[\w-]+\.[\w-]+\n$/.test(token.stdout), show(token));
  assertEquals(provider.counts.token.client_credentials, 1, "the second machine used the login");
}

Deno.test("README Fleets: a second machine sharing only the Deno KV store uses one service login (--store kv in the CLI)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-kv-" });
  try {
    await oneLoginTwoMachines("kv", { LATCHKEY_KV_PATH: `${dir}/fleet.db` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

redisTest(
  "README Fleets: a second machine sharing only redis-server uses one service login",
  async () => {
    await using redis = await startRedis();
    await oneLoginTwoMachines("redis", { LATCHKEY_REDIS_URL: redis.url });
  },
);
