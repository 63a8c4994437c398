import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { AuthError, type LoginPrompt, LoginRequiredError } from "../../mod.ts";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { listening, publicAuth } from "./helpers.ts";
import { isolatedHome } from "../support/home.ts";

await isolatedHome({ prefix: "latchkey-oauth-" });

/** An onPrompt that plays the person: approve at the provider, then land on the callback. */
function person(
  provider: MockProvider,
  change: (redirect: URL) => URL = (u) => u,
  options: { deny?: boolean } = {},
) {
  const seen: { page?: string; status?: number; port?: number; url?: URL } = {};
  const onPrompt = (prompt: LoginPrompt) => {
    if (prompt.kind !== "browser") return;
    const url = new URL(prompt.url);
    seen.url = url;
    seen.port = Number(new URL(url.searchParams.get("redirect_uri")!).port);
    setTimeout(async () => {
      const redirect = change(await provider.approveAuthorization(url, options));
      const res = await fetch(redirect);
      seen.status = res.status;
      seen.page = await res.text();
    }, 20);
  };
  return { seen, onPrompt };
}

Deno.test("browser login: PKCE S256, state and nonce, loopback redirect, success page, server closed", async () => {
  await using provider = await startMockProvider();
  const { seen, onPrompt } = person(provider);
  const auth = publicAuth(provider, { profile: "browser-ok", onPrompt });
  const status = await auth.login({ flow: "browser", openBrowser: false });
  assertEquals(status.loggedIn, true);
  assertEquals(status.subject, "user-alice");
  const params = seen.url!.searchParams;
  assertEquals(params.get("code_challenge_method"), "S256");
  assert(params.get("state")!.length >= 20);
  assert(params.get("nonce")!.length >= 20);
  assertEquals(new URL(params.get("redirect_uri")!).hostname, "127.0.0.1");
  assertEquals(new URL(params.get("redirect_uri")!).pathname, "/callback");
  for (let i = 0; i < 50 && seen.page === undefined; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals(seen.status, 200);
  assertStringIncludes(seen.page!, "You are signed in");
  assertEquals(await listening(seen.port!), false, "the loopback server is closed after success");
  assertEquals(provider.counts.token.authorization_code, 1);
});

Deno.test("browser login: the loopback listener binds 127.0.0.1 only", async () => {
  await using provider = await startMockProvider();
  let checked: { v4: boolean; other: boolean } | undefined;
  const auth = publicAuth(provider, {
    profile: "browser-bind",
    onPrompt: async (prompt) => {
      if (prompt.kind !== "browser") return;
      const port = Number(new URL(new URL(prompt.url).searchParams.get("redirect_uri")!).port);
      checked = { v4: await listening(port), other: await listening(port, "127.0.0.2") };
    },
  });
  await assertRejects(
    () => auth.login({ flow: "browser", openBrowser: false, timeout: 1 }),
    AuthError,
  );
  assertEquals(checked, { v4: true, other: false });
});

Deno.test("browser login: a wrong state ends it with an error and closes the server", async () => {
  await using provider = await startMockProvider();
  const { seen, onPrompt } = person(provider, (u) => {
    u.searchParams.set("state", "forged-state");
    return u;
  });
  const auth = publicAuth(provider, { profile: "browser-state", onPrompt });
  const error = await assertRejects(
    () => auth.login({ flow: "browser", openBrowser: false }),
    AuthError,
  );
  assertStringIncludes(error.message, "Browser login failed");
  assertEquals(await listening(seen.port!), false);
  assertEquals(
    provider.counts.token.authorization_code,
    0,
    "no code exchanged on a state mismatch",
  );
  assertEquals((await auth.status()).loggedIn, false);
});

Deno.test("browser login: an error= callback (access denied) ends in LoginRequiredError", async () => {
  await using provider = await startMockProvider();
  const { seen, onPrompt } = person(provider, undefined, { deny: true });
  const auth = publicAuth(provider, { profile: "browser-denied", onPrompt });
  const error = await assertRejects(
    () => auth.login({ flow: "browser", openBrowser: false }),
    LoginRequiredError,
  );
  assertEquals(error.code, "LOGIN_REQUIRED");
  assertEquals(await listening(seen.port!), false);
});

Deno.test("browser login: the timeout ends it with code TIMEOUT and closes the server", async () => {
  await using provider = await startMockProvider();
  let prompted: { port: number; listening: boolean } | undefined;
  const auth = publicAuth(provider, {
    profile: "browser-timeout",
    onPrompt: async (p) => {
      if (p.kind !== "browser") return;
      const port = Number(new URL(new URL(p.url).searchParams.get("redirect_uri")!).port);
      prompted = { port, listening: await listening(port) };
    },
  });
  const error = await assertRejects(
    () => auth.login({ flow: "browser", openBrowser: false, timeout: 1 }),
    AuthError,
  );
  assertEquals(error.code, "TIMEOUT");
  // The prompt fired, with the server up, before the timeout: else "closed" below says nothing.
  assert(prompted !== undefined, "the browser prompt fired before the timeout");
  assert(prompted.port > 0 && prompted.listening, "the loopback server listened at the prompt");
  assertEquals(await listening(prompted.port), false, "the loopback server is closed after it");
});
