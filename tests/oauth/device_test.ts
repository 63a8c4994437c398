import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { AuthError, LoginRequiredError, TokenExpiredError } from "../../mod.ts";
import { startMockProvider } from "../../testing.ts";
import { approvingPrompt, publicAuth } from "./helpers.ts";
import { isolatedHome } from "../support/home.ts";

await isolatedHome({ prefix: "latchkey-oauth-" });

Deno.test("device login shows the code, polls until approved and saves the credential", async () => {
  await using provider = await startMockProvider();
  const { prompts, onPrompt } = approvingPrompt(provider, 300);
  const auth = publicAuth(provider, { profile: "device-ok", onPrompt });
  const status = await auth.login({ flow: "device", openBrowser: false });
  assertEquals(prompts.length, 1);
  const prompt = prompts[0]!;
  assert(prompt.kind === "device");
  assertEquals(prompt.verificationUri, `${provider.issuer}/device`);
  assert(
    prompt.verificationUriComplete?.includes(encodeURIComponent(prompt.userCode)) ||
      prompt.verificationUriComplete?.includes(prompt.userCode),
  );
  assertEquals(status.loggedIn, true);
  assertEquals(status.source, "file");
  assertEquals(status.subject, "user-alice");
  assertEquals(status.refreshable, true);
  assertEquals(provider.counts.token["urn:ietf:params:oauth:grant-type:device_code"]! >= 1, true);
  const res = await auth.fetch(`${provider.apiUrl}/hello`);
  assertEquals(res.status, 200);
  assertEquals((await res.json()).sub, "user-alice");
});

Deno.test("device login: access_denied ends in LoginRequiredError", async () => {
  await using provider = await startMockProvider();
  const auth = publicAuth(provider, {
    profile: "device-denied",
    onPrompt: (p) => {
      if (p.kind === "device") setTimeout(() => provider.denyDevice(p.userCode), 50);
    },
  });
  const error = await assertRejects(
    () => auth.login({ flow: "device", openBrowser: false }),
    LoginRequiredError,
  );
  assertEquals(error.code, "LOGIN_REQUIRED");
  assertEquals((await auth.status()).loggedIn, false);
});

Deno.test("device login: expired_token ends in TokenExpiredError", async () => {
  await using provider = await startMockProvider({ deviceCodeTtl: 1 });
  const auth = publicAuth(provider, { profile: "device-expired", onPrompt: () => {} });
  const error = await assertRejects(
    () => auth.login({ flow: "device", openBrowser: false, timeout: 20 }),
    TokenExpiredError,
  );
  assertEquals(error.code, "TOKEN_EXPIRED");
});

Deno.test("device login: the timeout stops polling with code TIMEOUT", async () => {
  await using provider = await startMockProvider();
  const auth = publicAuth(provider, { profile: "device-timeout", onPrompt: () => {} });
  const started = Date.now();
  const error = await assertRejects(
    () => auth.login({ flow: "device", openBrowser: false, timeout: 1 }),
    AuthError,
  );
  assertEquals(error.code, "TIMEOUT");
  assert(Date.now() - started < 5000, "stopped soon after the timeout");
});

Deno.test("device login: an AbortSignal stops it with the signal's reason", async () => {
  await using provider = await startMockProvider();
  const controller = new AbortController();
  const auth = publicAuth(provider, {
    profile: "device-abort",
    onPrompt: () => {
      setTimeout(() => controller.abort(new DOMException("stop", "AbortError")), 50);
    },
  });
  const error = await assertRejects(
    () => auth.login({ flow: "device", openBrowser: false, signal: controller.signal, timeout: 0 }),
    DOMException,
  );
  assertEquals(error.name, "AbortError");
});

Deno.test("device login: slow_down makes the client poll 5 s slower", async () => {
  await using provider = await startMockProvider();
  provider.inject({
    path: "/token",
    grant: "urn:ietf:params:oauth:grant-type:device_code",
    status: 400,
    body: JSON.stringify({ error: "slow_down" }),
    contentType: "application/json",
  });
  const { onPrompt } = approvingPrompt(provider, 50);
  const auth = publicAuth(provider, { profile: "device-slow", onPrompt });
  const started = Date.now();
  await auth.login({ flow: "device", openBrowser: false, timeout: 30 });
  const elapsed = Date.now() - started;
  assert(elapsed >= 6000, `waited interval + 5 s after slow_down (took ${elapsed} ms)`);
  const polls = provider.events.filter((e) => e.grant.endsWith("device_code"));
  assertEquals(polls.length, 2);
  assert(polls[1]!.time - polls[0]!.time >= 5900);
});
