/**
 * What `new Auth({...})` does with its options before any request: an option name `AuthOptions`
 * does not have is a one-line `USAGE` error with a suggestion, every real one is accepted, and
 * `auth.fetch` without any API origin warns once per instance that requests carry no token.
 */

import { Auth, type AuthOptions, setLogger } from "../../mod.ts";
import { AuthError } from "../../src/errors.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { NO_ENV_PREFIX } from "./helpers.ts";
import { assert, assertEquals, assertStringIncludes, assertThrowsWith } from "../support/assert.ts";

/** A profile no other test (and no saved config.json) uses, so its warnings are ours alone. */
const PROFILE = `auth-options-${crypto.randomUUID().slice(0, 8)}`;

/** An `Auth` with a token that reads nothing of the machine and records what it sends. */
function recordingAuth(options: AuthOptions = {}) {
  const sent: (string | null)[] = [];
  const auth = new Auth({
    token: "t0k3n",
    profile: PROFILE,
    envPrefix: NO_ENV_PREFIX,
    dotenv: false,
    store: new MemoryStore(),
    fetch: (input, init) => {
      sent.push(
        new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).get(
          "authorization",
        ),
      );
      return Promise.resolve(new Response("ok"));
    },
    ...options,
  });
  return { auth, sent };
}

/** Runs `fn` with Latchkey's warnings captured (only those naming this file's profile). */
async function warningsOf(fn: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
  try {
    await fn();
  } finally {
    setLogger(previous);
  }
  return warnings.filter((w) => w.includes(PROFILE));
}

Deno.test("auth.fetch without API origins warns once per Auth that requests carry no token", async () => {
  const { auth, sent } = recordingAuth();
  const warnings = await warningsOf(async () => {
    await (await auth.fetch("https://api.example.org/a")).text();
    await (await auth.fetch("https://api.example.org/b")).text();
  });
  assertEquals(sent, [null, null]);
  assertEquals(warnings, [
    `no API origins for profile "${PROFILE}": requests carry no token (set apiOrigins or \`latchkey --profile ${PROFILE} login --api ORIGIN\`)`,
  ]);
  // Another instance is another configuration mistake to tell about.
  const again = await warningsOf(async () => {
    await (await recordingAuth().auth.fetch("https://api.example.org/c")).text();
  });
  assertEquals(again.length, 1);
});

Deno.test("auth.fetch with API origins stays silent, also for a request to an origin not listed", async () => {
  const { auth, sent } = recordingAuth({ apiOrigins: ["https://api.example.org"] });
  const warnings = await warningsOf(async () => {
    await (await auth.fetch("https://api.example.org/a")).text();
    await (await auth.fetch("https://elsewhere.example.org/b")).text();
  });
  assertEquals(sent, ["Bearer t0k3n", null]);
  assertEquals(warnings, []);
});

Deno.test("new Auth refuses a misspelt option with a one-line USAGE error naming the option meant", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ apiOrigin: ["https://api.example.org"] }, "apiOrigins"],
    [{ clientID: "app" }, "clientId"],
    [{ issuer: "https://id.example.org", clientid: "app" }, "clientId"],
    [{ refresh_token: "r" }, "refreshToken"],
    [{ envPrefixes: ["MYSDK_"] }, "envPrefix"],
  ];
  for (const [options, meant] of cases) {
    const name = Object.keys(options).at(-1)!;
    const error = assertThrowsWith(() => new Auth(options as AuthOptions), AuthError, "USAGE");
    assertEquals(
      error.message,
      `Unknown option "${name}" for Auth (did you mean "${meant}"?)`,
    );
    assert(!error.message.includes("\n"), error.message);
  }
  // An unknown name is refused even with the value undefined; with nothing close, the hint lists
  // the options.
  const far = assertThrowsWith(
    () => new Auth({ frobnicate: undefined } as AuthOptions),
    AuthError,
    "USAGE",
  );
  assertEquals(far.message, 'Unknown option "frobnicate" for Auth');
  assertStringIncludes(far.hint ?? "", "apiOrigins");
});

Deno.test("new Auth accepts every AuthOptions key, also with the value undefined", async () => {
  // Listing every key here fails `deno check` when AuthOptions gains one this test does not name.
  const every: { [K in keyof Required<AuthOptions>]: undefined } = {
    profile: undefined,
    issuer: undefined,
    clientId: undefined,
    clientSecret: undefined,
    clientKey: undefined,
    clientKeyId: undefined,
    dpop: undefined,
    refreshToken: undefined,
    token: undefined,
    scope: undefined,
    audience: undefined,
    apiOrigins: undefined,
    tokenFile: undefined,
    tokenKey: undefined,
    store: undefined,
    redisUrl: undefined,
    kvPath: undefined,
    envPrefix: undefined,
    dotenv: undefined,
    leeway: undefined,
    retries: undefined,
    timeout: undefined,
    userAgent: undefined,
    fetch: undefined,
    interactive: undefined,
    onPrompt: undefined,
    renewer: undefined,
  };
  new Auth(every);
  // And with values: the instance works.
  const { auth } = recordingAuth({
    ...every,
    token: "t0k3n",
    profile: PROFILE,
    envPrefix: NO_ENV_PREFIX,
    dotenv: false,
    store: new MemoryStore(),
    scope: "read",
    audience: "api",
    apiOrigins: ["https://api.example.org"],
    tokenKey: "token",
    leeway: 30,
    retries: 0,
    timeout: 5,
    userAgent: "test/1.0",
    interactive: false,
  });
  assertEquals(await auth.token(), "t0k3n");
});
