// Profiles that behave as a gh user expects, each step its own process with a fresh HOME: the
// first named login becomes the default, an unknown --profile is an error listing the known
// ones, a login to another issuer is refused unless forced, `login --api` adds an origin without
// a new sign-in, and `profiles remove` logs out and forgets.
import { startMockProvider } from "../../testing.ts";
import type { MockProvider } from "../../testing.ts";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, show } from "./helpers.ts";
import { type Home, makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";

const SECRET = canary("client-secret");

function serviceProvider(): Promise<MockProvider> {
  return startMockProvider({
    clients: [{ clientId: "svc", clientSecret: SECRET, grants: ["client_credentials"] }],
  });
}

/** A service login (the secret only in this step's environment); `--profile P` goes first. */
function login(home: Home, provider: MockProvider, ...extra: string[]) {
  const globals = extra[0] === "--profile" ? extra.splice(0, 2) : [];
  return runCli(home, [
    ...globals,
    "login",
    ...extra,
    "--issuer",
    provider.issuer,
    "--client-id",
    "svc",
    "--api",
    provider.issuer,
    "--store",
    "file",
  ], { env: { LATCHKEY_CLIENT_SECRET: SECRET }, secrets: [SECRET] });
}

Deno.test("the first login with --profile makes that profile the default: token and profiles use it", async () => {
  await using provider = await serviceProvider();
  await using home = await makeHome();
  const first = await login(home, provider, "--profile", "work");
  assertEquals(first.code, 0, show(first));
  assertStringIncludes(first.stderr, 'Profile "work" is now the default');
  const token = await runCli(home, ["token"], { secrets: [SECRET] });
  assertEquals(token.code, 0, show(token));
  const profiles = await runCli(home, ["profiles", "--json"]);
  const listed = JSON.parse(profiles.stdout);
  assertEquals([listed.active, listed.default], ["work", "work"]);
  assertEquals(listed.profiles.map((p: { active: boolean }) => p.active), [true]);
  // a second named login leaves the default alone
  const second = await login(home, provider, "--profile", "lab");
  assertEquals(second.code, 0, show(second));
  assert(!second.stderr.includes("now the default"), show(second));
  assertEquals(JSON.parse((await runCli(home, ["profiles", "--json"])).stdout).default, "work");
});

Deno.test("an unknown --profile is an error listing the known profiles, exit 2; login creates it", async () => {
  await using provider = await serviceProvider();
  await using home = await makeHome();
  assertEquals((await login(home, provider, "--profile", "work")).code, 0);
  for (const command of [["status"], ["token"], ["logout"], ["fetch", "/api/whoami"]]) {
    const result = await runCli(home, ["--profile", "wrok", ...command]);
    assertEquals(result.code, 2, show(result));
    assertEquals(result.stdout, "");
    assertStringIncludes(result.stderr, 'no profile "wrok"');
    assertStringIncludes(result.stderr, "known profiles: work");
  }
  assertEquals((await runCli(home, ["--profile", "work", "status", "-q"])).code, 0);
  assertEquals((await runCli(home, ["--profile", "default", "status", "-q"])).code, 1);
});

Deno.test("a login to another issuer is refused (exit 2) with --force and --profile NEW as hints; the first login stays", async () => {
  await using a = await serviceProvider();
  await using b = await serviceProvider();
  await using home = await makeHome();
  assertEquals((await login(home, a)).code, 0);
  const refused = await login(home, b);
  assertEquals(refused.code, 2, show(refused));
  assertStringIncludes(refused.stderr, `is logged in to ${a.issuer}, not ${b.issuer}`);
  assertStringIncludes(refused.stderr, "login --force");
  assertStringIncludes(refused.stderr, "--profile NEW");
  assertEquals(b.counts.token.client_credentials, 0, "nothing was sent to the second issuer");
  const status = JSON.parse((await runCli(home, ["status", "--json"])).stdout);
  assertEquals([status.issuer, status.loggedIn], [a.issuer, true]);
  // the hint works as printed: --force replaces the login
  const forced = await login(home, b, "--force");
  assertEquals(forced.code, 0, show(forced));
  assertEquals(JSON.parse((await runCli(home, ["status", "--json"])).stdout).issuer, b.issuer);
});

Deno.test("login --api ORIGIN on a logged-in profile adds the origin without a new sign-in", async () => {
  await using provider = await serviceProvider();
  await using home = await makeHome();
  assertEquals((await login(home, provider)).code, 0);
  const requests = provider.counts.token.client_credentials;
  const extra = "https://api.example.org";
  const added = await runCli(home, ["login", "--api", provider.issuer, "--api", extra]);
  assertEquals(added.code, 0, show(added));
  assertStringIncludes(added.stderr, `Added ${extra} to the API origins of profile "default"`);
  assertEquals(provider.counts.token.client_credentials, requests, "no new sign-in");
  const status = JSON.parse((await runCli(home, ["status", "--json"])).stdout);
  assertEquals(status.apiOrigins, [provider.issuer, extra]);
});

Deno.test("profiles remove NAME logs the profile out and forgets it", async () => {
  await using provider = await serviceProvider();
  await using home = await makeHome();
  assertEquals((await login(home, provider, "--profile", "work")).code, 0);
  const removed = await runCli(home, ["profiles", "remove", "work"]);
  assertEquals(removed.code, 0, show(removed));
  assertStringIncludes(removed.stderr, 'Logged out of profile "work"');
  assertStringIncludes(removed.stderr, 'Removed profile "work"');
  const listed = JSON.parse((await runCli(home, ["profiles", "--json"])).stdout);
  assertEquals([listed.profiles, listed.default], [[], null]);
  const again = await runCli(home, ["profiles", "remove", "work"]);
  assertEquals(again.code, 2, show(again));
});

Deno.test("status --all shows every profile and exits 1 unless all are logged in", async () => {
  await using provider = await serviceProvider();
  await using home = await makeHome();
  assertEquals((await login(home, provider, "--profile", "work")).code, 0);
  assertEquals((await login(home, provider, "--profile", "lab")).code, 0);
  const both = await runCli(home, ["status", "--all", "--json"]);
  assertEquals(both.code, 0, show(both));
  const listed = JSON.parse(both.stdout).profiles;
  assertEquals(listed.map((s: { profile: string }) => s.profile), ["lab", "work"]);
  assertEquals((await runCli(home, ["--profile", "lab", "logout"])).code, 0);
  const one = await runCli(home, ["status", "--all"]);
  assertEquals(one.code, 1, show(one));
  assertStringIncludes(one.stdout, "work");
  assertStringIncludes(one.stderr, 'Not logged in: "lab"');
});

Deno.test("the not-logged-in hint of status keeps the --profile in use", async () => {
  await using provider = await serviceProvider();
  await using home = await makeHome();
  assertEquals((await login(home, provider, "--profile", "work")).code, 0);
  assertEquals((await runCli(home, ["--profile", "work", "logout"])).code, 0);
  const result = await runCli(home, ["--profile", "work", "status"]);
  assertEquals(result.code, 1, show(result));
  assertStringIncludes(result.stderr, "run `latchkey --profile work login`");
});
