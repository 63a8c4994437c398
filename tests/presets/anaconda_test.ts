// The anaconda preset replays anaconda-cloud-auth's documented session
// (seeds/anaconda-cloud-auth.txt, S4): browser login against the mock provider, an API key
// minted by a Hono fake of the Anaconda API (POST /api/iam/api-keys), the key kept where
// anaconda's keyring looks, a client that loads it on every request, logout.
import { Hono } from "hono";
import { AuthError, LoginRequiredError, OAuthError, TokenExpiredError } from "../../src/errors.ts";
import type { LoginPrompt } from "../../src/prompt.ts";
import { anaconda } from "../../presets.ts";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { assert, presetHome, presetTests } from "./helpers.ts";
import { writeFakeSecretTool } from "./fake_secret_tool.ts";
import { assertRejectsWith } from "../support/assert.ts";
import { serve, type TestServer } from "../support/server.ts";
import { fakeJwt } from "../support/jwt.ts";
import { modeOf } from "../support/files.ts";
import { nowSeconds } from "../support/time.ts";

const test = presetTests(import.meta.url);

const CLIENT_ID = "anaconda-test";

interface Api extends TestServer {
  /** JSON bodies of the API key requests. */
  keyRequests: unknown[];
  /** The API keys minted. */
  keys: string[];
}

/** A fake Anaconda API: mints API keys for valid provider access tokens; one protected endpoint. */
function anacondaApi(provider: MockProvider): Api {
  const keyRequests: unknown[] = [];
  const keys: string[] = [];
  const app = new Hono();
  app.post("/api/iam/api-keys", async (c) => {
    keyRequests.push(await c.req.json());
    const me = await fetch(`${provider.issuer}/userinfo`, {
      headers: { authorization: c.req.header("authorization") ?? "" },
    });
    if (!me.ok) return c.json({ error: "unauthorized" }, 401);
    const { sub } = await me.json();
    const key = fakeJwt({
      sub,
      exp: nowSeconds() + 365 * 86400,
      scopes: ["cloud:read", "cloud:write"],
    });
    keys.push(key);
    return c.json({ api_key: key }, 201);
  });
  app.get("/api/account", (c) => {
    const auth = c.req.header("authorization");
    if (!auth || !keys.includes(auth.replace(/^Bearer /, ""))) return c.json({ error: "no" }, 401);
    return c.json({ user: "alice" });
  });
  app.get("/api/public", (c) => c.json({ hello: "world" }));
  app.get("/api/versioned", (c) => c.json({}, 200, { "Min-Api-Version": "2024-06-01" }));
  return Object.assign(serve(app.fetch, { record: true }), { keyRequests, keys });
}

/** An onPrompt that signs in as a person would: approve at the provider, follow the redirect. */
function signIn(provider: MockProvider, outcome: { locations: string[]; prompts: LoginPrompt[] }) {
  return async (prompt: LoginPrompt) => {
    outcome.prompts.push(prompt);
    if (prompt.kind !== "browser") return;
    const redirect = await provider.approveAuthorization(prompt.url, { username: "alice" });
    const response = await fetch(redirect, { redirect: "manual" });
    outcome.locations.push(response.headers.get("location") ?? "");
    await response.body?.cancel();
  };
}

async function setUp() {
  const home = await presetHome();
  const provider = await startMockProvider({
    clients: [{
      clientId: CLIENT_ID,
      grants: ["authorization_code", "refresh_token", "password"],
      scope: "openid",
    }],
  });
  const api = anacondaApi(provider);
  Deno.env.set("ANACONDA_CLOUD_AUTH_DOMAIN", provider.issuer);
  Deno.env.set("ANACONDA_CLOUD_API_DOMAIN", api.url);
  Deno.env.set("ANACONDA_CLOUD_AUTH_CLIENT_ID", CLIENT_ID);
  const domain = new URL(provider.issuer).host;
  return {
    home,
    provider,
    api,
    domain,
    async [Symbol.asyncDispose]() {
      await api.close();
      await provider.close();
      await home.restore();
    },
  };
}

function decodeItem(value: string): unknown {
  return JSON.parse(new TextDecoder().decode(Uint8Array.fromBase64(value)));
}

test("anaconda: the documented session — login, a no-op login, a client, logout, force", async () => {
  await using t = await setUp();
  const { home, provider, api, domain } = t;
  const outcome = { locations: [] as string[], prompts: [] as LoginPrompt[] };
  const browser = {
    keyring: "file" as const,
    redirectUri: "http://127.0.0.1:0/auth/oidc",
    openBrowser: false,
    onPrompt: signIn(provider, outcome),
  };

  assert.equal(await anaconda.login(browser), true);
  // The browser came back to the loopback listener, which sent it on to the success page.
  assert.deepEqual(outcome.locations, [`${provider.issuer}/local-login-success`]);
  const authorize = new URL((outcome.prompts[0] as { url: string }).url);
  assert.equal(authorize.searchParams.get("scope"), "openid email profile offline_access");
  assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
  assert.equal(authorize.searchParams.get("client_id"), CLIENT_ID);
  assert.deepEqual(api.keyRequests, [{
    scopes: ["cloud:read", "cloud:write"],
    tags: ["latchkey"],
  }]);

  // The key rests where anaconda-cloud-auth's keyring looks: service "Anaconda Cloud",
  // user = the auth domain, value = base64 of {"api_key", "username", "domain"}.
  const file = home.at(".anaconda", "keyring");
  const text = await Deno.readTextFile(file);
  const value =
    (JSON.parse(text) as Record<string, Record<string, string>>)["Anaconda Cloud"]![domain]!;
  assert.equal(text, `{"Anaconda Cloud": {"${domain}": "${value}"}}`);
  assert.equal(
    new TextDecoder().decode(Uint8Array.fromBase64(value)),
    `{"api_key": "${api.keys[0]}", "username": "alice@example.org", "domain": "${domain}"}`,
  );
  assert.equal(await modeOf(file), 0o600);
  const info = await anaconda.loadTokenInfo({ keyring: "file" });
  assert.equal(info?.apiKey, api.keys[0]);
  assert.equal(info?.expired, false);

  // With a valid key, login() is a no-op.
  assert.equal(await anaconda.login(browser), false);
  assert.equal(outcome.prompts.length, 1);

  // Client = client_factory('<my-application>/<version>'); client.get("/api/<endpoint>")
  const Client = anaconda.clientFactory("my-app/1.0");
  const client = new Client({ keyring: "file" });
  const response = await client.get("/api/account");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { user: "alice" });
  const seen = api.requests.at(-1)!;
  assert.equal(seen.headers.get("user-agent"), "my-app/1.0");
  assert.equal(seen.headers.get("authorization"), `Bearer ${api.keys[0]}`);

  // logout() removes the key; the same client loads the key on every request, so it notices.
  assert.equal(await anaconda.logout({ keyring: "file" }), true);
  assert.equal(await Deno.readTextFile(file), '{"Anaconda Cloud": {}}');
  await assertRejectsWith(() => client.get("/api/account"), LoginRequiredError, "LOGIN_REQUIRED");
  const open = await client.get("/api/public"); // unauthenticated requests still work
  assert.deepEqual(await open.json(), { hello: "world" });
  assert.equal(api.requests.at(-1)!.headers.get("authorization"), null);
  assert.equal(await anaconda.logout({ keyring: "file" }), false);

  // force replaces a valid key.
  assert.equal(await anaconda.login(browser), true);
  assert.equal(await anaconda.login({ ...browser, force: true }), true);
  assert.equal(api.keys.length, 3);
  assert.equal((await anaconda.loadTokenInfo({ keyring: "file" }))?.apiKey, api.keys[2]);
  assert.deepEqual(home.warnings, []);
});

test("anaconda: an expired key raises TokenExpiredError on requests, and login() replaces it", async () => {
  await using t = await setUp();
  const { provider, api, domain } = t;
  const keyring = new anaconda.FileKeyring();
  const expired = fakeJwt({ sub: "user-alice", exp: nowSeconds() - 60 });
  // as the Python client encodes it (pydantic's field order)
  const item = new TextEncoder().encode(
    `{"domain": "${domain}", "username": null, "api_key": "${expired}"}`,
  ).toBase64();
  await keyring.set("Anaconda Cloud", domain, item);

  const Client = anaconda.clientFactory("my-app/1.0");
  const error = await assertRejectsWith(
    () => new Client({ keyring }).get("/api/account"),
    TokenExpiredError,
  );
  assert.ok(error.message.includes("anaconda login --force"));
  assert.equal(api.requests.length, 0);

  const outcome = { locations: [] as string[], prompts: [] as LoginPrompt[] };
  assert.equal(
    await anaconda.login({
      keyring,
      redirectUri: "http://127.0.0.1:0/auth/oidc",
      openBrowser: false,
      onPrompt: signIn(provider, outcome),
    }),
    true,
  );
  assert.equal((await new Client({ keyring }).get("/api/account")).status, 200);
});

test("anaconda: basic (password) login is deprecated: it warns, then stores the key", async () => {
  await using t = await setUp();
  const { home, api, domain } = t;
  const keyring = new anaconda.FileKeyring();
  assert.equal(
    await anaconda.login({ basic: true, username: "alice", password: "wonderland", keyring }),
    true,
  );
  assert.equal(home.warnings.length, 1);
  assert.ok(home.warnings[0]!.includes("deprecated"));
  assert.deepEqual(decodeItem((await keyring.get("Anaconda Cloud", domain))!), {
    api_key: api.keys[0],
    username: "alice",
    domain,
  });
  await assertRejectsWith(
    () =>
      anaconda.login({ basic: true, force: true, username: "alice", password: "nope", keyring }),
    OAuthError,
    "OAUTH_ERROR",
  );
});

test("anaconda: the loopback listener answers one request on its path, and refuses a foreign state", async () => {
  await using t = await setUp();
  const keyring = new anaconda.FileKeyring();
  const answers: [number, string | null][] = [];
  const error = await assertRejectsWith(
    () =>
      anaconda.login({
        keyring,
        redirectUri: "http://127.0.0.1:0/auth/oidc",
        openBrowser: false,
        onPrompt: async (prompt) => {
          if (prompt.kind !== "browser") return;
          const redirect = new URL(new URL(prompt.url).searchParams.get("redirect_uri")!);
          for (
            const target of [new URL("/other", redirect), new URL("?code=x&state=forged", redirect)]
          ) {
            const response = await fetch(target, { redirect: "manual" });
            answers.push([response.status, response.headers.get("location")]);
            await response.body?.cancel();
          }
        },
      }),
    AuthError,
    "BAD_RESPONSE",
  );
  assert.equal(error.message, "Cannot log in: state does not match");
  assert.deepEqual(answers, [[404, null], [307, `${t.provider.issuer}/local-login-error`]]);
  assert.equal(await keyring.get("Anaconda Cloud", t.domain), undefined);
});

test("anaconda: settings from ANACONDA_CLOUD_ variables beat .env, which beats the defaults", async () => {
  await using home = await presetHome();
  const defaults = await anaconda.loadConfig();
  assert.deepEqual(defaults, {
    authDomain: "id.anaconda.cloud",
    authUrl: "https://id.anaconda.cloud",
    apiDomain: "anaconda.cloud",
    apiUrl: "https://anaconda.cloud",
    clientId: "b4ad7f1d-c784-46b5-a9fe-106e50441f5a",
  });
  await Deno.writeTextFile(
    home.at(".env"),
    'LOGGING_LEVEL="INFO"\nANACONDA_CLOUD_API_DOMAIN="api.example.org"\nANACONDA_CLOUD_AUTH_DOMAIN="id.example.org"\nANACONDA_CLOUD_AUTH_CLIENT_ID="from-dotenv"\n',
  );
  Deno.env.set("ANACONDA_CLOUD_AUTH_CLIENT_ID", "from-env");
  const config = await anaconda.loadConfig();
  assert.equal(config.apiUrl, "https://api.example.org");
  assert.equal(config.authDomain, "id.example.org");
  assert.equal(config.clientId, "from-env");
  assert.equal((await anaconda.loadConfig({ domain: "id.other.org" })).authDomain, "id.other.org");
  await assertRejectsWith(
    () => anaconda.loadConfig({ domain: "http://id.example.org" }),
    AuthError,
    "INSECURE_URL",
  );
});

test("anaconda: the client joins paths to the API domain, sends the key to that origin only, and warns about old API versions", async () => {
  await using home = await presetHome();
  const seen: Request[] = [];
  const fakeFetch = (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(new Request(input, init));
    const url = new URL(seen.at(-1)!.url);
    if (url.pathname === "/denied") return Promise.resolve(new Response("no", { status: 403 }));
    return Promise.resolve(
      Response.json({ ok: true }, { headers: { "min-api-version": "2024-06-01" } }),
    );
  };
  const Client = anaconda.clientFactory("my-app/2.0", "2023-01-01");
  const keyed = new Client({ baseUri: "https://api.example.org", apiKey: "k3y", fetch: fakeFetch });
  await keyed.post("api/items", { json: { name: "x" } });
  await keyed.put("/api/items/1", { body: "raw" });
  await keyed.delete("/api/items/1");
  await keyed.get("https://elsewhere.example.com/api");
  assert.deepEqual(seen.map((r) => [r.method, r.url, r.headers.get("authorization")]), [
    ["POST", "https://api.example.org/api/items", "Bearer k3y"],
    ["PUT", "https://api.example.org/api/items/1", "Bearer k3y"],
    ["DELETE", "https://api.example.org/api/items/1", "Bearer k3y"],
    ["GET", "https://elsewhere.example.com/api", null],
  ]);
  assert.equal(seen[0]!.headers.get("content-type"), "application/json");
  assert.equal(await seen[0]!.text(), '{"name":"x"}');
  assert.equal(seen[0]!.headers.get("api-version"), "2023-01-01");
  assert.equal(seen[0]!.headers.get("user-agent"), "my-app/2.0");
  assert.ok(home.warnings[0]?.includes("minimum supported API version is 2024-06-01"));
  // a 403 with a key is the caller's to handle
  assert.equal((await keyed.get("/denied")).status, 403);
  // a 403 without a key means a login is needed
  const anonymous = new Client({
    domain: "api.example.org",
    keyring: new anaconda.FileKeyring(home.at("empty-keyring")),
    fetch: fakeFetch,
  });
  assert.equal(await anonymous.baseUri(), "https://api.example.org");
  await assertRejectsWith(() => anonymous.get("/denied"), LoginRequiredError, "LOGIN_REQUIRED");
  try {
    new Client({ domain: "a.example.org", baseUri: "https://b.example.org" });
    assert.fail("expected a TypeError");
  } catch (error) {
    assert.ok(error instanceof TypeError);
  }
});

test(
  "anaconda: the OS keychain item has Python keyring's layout (service, username), the secret on stdin; a silent keychain falls back to the file",
  async () => {
    await using home = await presetHome();
    const tool = await writeFakeSecretTool(home.path);
    Deno.env.set("FAKE_KEYRING_DIR", home.path);
    const system = new anaconda.SystemKeyring({ command: tool });
    await system.set("Anaconda Cloud", "id.anaconda.cloud", "dmFsdWU=");
    assert.equal(await system.get("Anaconda Cloud", "id.anaconda.cloud"), "dmFsdWU=");
    assert.equal(await system.delete("Anaconda Cloud", "id.anaconda.cloud"), true);
    assert.equal(await system.get("Anaconda Cloud", "id.anaconda.cloud"), undefined);
    const calls = (await Deno.readTextFile(home.at("calls.log"))).trim().split("\n");
    // store first, then clear any other item of that service and user (Python's carries
    // `application`): a failure in between never loses the key
    assert.deepEqual(calls, [
      "store|--label=Password for 'id.anaconda.cloud' on 'Anaconda Cloud'|service|Anaconda Cloud|username|id.anaconda.cloud|",
      "search|--all|service|Anaconda Cloud|username|id.anaconda.cloud|",
      "lookup|service|Anaconda Cloud|username|id.anaconda.cloud|",
      "clear|service|Anaconda Cloud|username|id.anaconda.cloud|",
      "lookup|service|Anaconda Cloud|username|id.anaconda.cloud|",
    ]);
    assert.ok(calls.every((line) => !line.includes("dmFsdWU=")), "the secret never goes in argv");

    Deno.env.set("FAKE_KEYRING_DOWN", "1");
    const auto = new anaconda.AutoKeyring(system, new anaconda.FileKeyring());
    await auto.set("Anaconda Cloud", "id.anaconda.cloud", "ZmlsZQ==");
    assert.equal(await auto.get("Anaconda Cloud", "id.anaconda.cloud"), "ZmlsZQ==");
    assert.equal(
      await Deno.readTextFile(home.at(".anaconda", "keyring")),
      '{"Anaconda Cloud": {"id.anaconda.cloud": "ZmlsZQ=="}}',
    );
    assert.equal(home.warnings.length, 1);
    assert.ok(home.warnings[0]!.includes("Cannot autolaunch D-Bus"), home.warnings[0]);
    assert.ok(home.warnings[0]!.includes(home.at(".anaconda", "keyring")));
  },
  { ignore: Deno.build.os !== "linux" },
);
