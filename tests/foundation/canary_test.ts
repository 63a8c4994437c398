/**
 * Canary test: secrets given through options, the environment, `.env` and token files never show
 * up in `Deno.inspect`, `JSON.stringify`, `String()` or the errors of a live `Auth`. Scenarios
 * that need their own environment run in a child process (`probe()`).
 */

import { join } from "node:path";
import { Auth } from "../../src/auth.ts";
import { AuthError, LoginRequiredError } from "../../src/errors.ts";
import { Secret } from "../../src/secret.ts";
import { startMockProvider } from "../../src/testing/mock_provider.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { failed, NO_ENV_PREFIX, ok, probe, writeSecretFile } from "./helpers.ts";
import { assertEquals, assertExcludes, assertRejectsWith } from "../support/assert.ts";
import { serve } from "../support/server.ts";
import { tempDir } from "../support/files.ts";

const CANARIES = {
  token: "canary-token-4b1d9e",
  refresh: "canary-refresh-77ac02",
  secret: "canary-secret-e3f9a1",
  envSecret: "canary-env-secret-0d5b",
  envRefresh: "canary-env-refresh-91fe",
  dotenvToken: "canary-dotenv-token-c2a8",
  fileToken: "canary-file-token-5e60",
};

/** No variable, `.env` or saved store of the machine (or of another test) reaches these `Auth`s. */
const isolated = () => ({
  envPrefix: NO_ENV_PREFIX,
  dotenv: false as const,
  store: new MemoryStore(),
});

function assertNoCanary(text: string, what: string): void {
  for (const canary of Object.values(CANARIES)) assertExcludes(text, canary, what);
}

/** Everything an error shows: message, hint, inspection (stack, cause chain, fields). */
function errorText(error: unknown): string {
  const parts = [Deno.inspect(error, { depth: 10 }), String(error)];
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    parts.push(e.message, e.stack ?? "", JSON.stringify(e));
    if (e instanceof AuthError) parts.push(e.hint ?? "");
  }
  return parts.join("\n");
}

Deno.test("a live Auth built from canary secrets never shows them", async () => {
  const { results: [token, inspect, status, credential] } = await probe({
    options: {
      token: CANARIES.token,
      refreshToken: CANARIES.refresh,
      clientSecret: CANARIES.secret,
      issuer: "https://id.example.org",
      clientId: "cli",
      apiOrigins: ["https://api.example.org"],
      store: "memory",
    },
    env: {
      LATCHKEY_CLIENT_SECRET: CANARIES.envSecret,
      LATCHKEY_REFRESH_TOKEN: CANARIES.envRefresh,
    },
    files: { "cwd/.env": `LATCHKEY_TOKEN=${CANARIES.dotenvToken}\n` },
    actions: ["token", "inspect", "status", "credential"],
  });
  assertEquals(ok(token), CANARIES.token);
  const shown = ok(inspect);
  assertNoCanary(shown.inspect, "Deno.inspect(auth)");
  assertNoCanary(shown.json, "JSON.stringify(auth)");
  assertNoCanary(shown.string, "String(auth)");
  const s = ok(status);
  assertEquals(s.status.source, "option");
  assertNoCanary(s.json, "JSON.stringify(status)");
  assertNoCanary(s.inspect, "Deno.inspect(status)");
  const c = ok(credential);
  assertEquals(c.accessToken, CANARIES.token, "the credential does hold the canary");
  for (const key of ["inspect", "nested", "json", "string"]) {
    assertNoCanary(c[key], `${key} of the credential`);
  }
});

Deno.test("a Secret shows *** in every string conversion", () => {
  const secret = new Secret(CANARIES.secret);
  assertEquals(String(secret), "***");
  assertEquals(`${secret}`, "***");
  assertEquals(secret + "", "***");
  assertEquals(JSON.stringify({ secret }), '{"secret":"***"}');
  assertEquals(Deno.inspect(secret), "Secret(***)");
  assertEquals(Deno.inspect({ secret }), "{ secret: Secret(***) }");
  assertEquals(secret.reveal(), CANARIES.secret);
  assertEquals(secret.equals(CANARIES.secret), true);
  assertEquals(secret.equals(`${CANARIES.secret}x`), false);
});

Deno.test("errors about a bad token file show no canary", async () => {
  await using dir = await tempDir();
  const cases: [string, unknown][] = [
    ["unknown.json", { password: CANARIES.fileToken }],
    ["broken.json", `{\n  "access_token": "${CANARIES.fileToken}"\n  "x": 1\n}`],
    ["wrong-type.json", { access_token: CANARIES.fileToken, expires_at: "never" }],
    ["empty-key.json", { token: "", other: CANARIES.fileToken }],
  ];
  for (const [name, content] of cases) {
    const path = join(dir.path, name);
    await writeSecretFile(path, content);
    const auth = new Auth({ tokenFile: path, ...isolated() });
    const error = await assertRejectsWith(() => auth.token(), AuthError, "BAD_TOKEN_FILE");
    assertNoCanary(errorText(error), `error for ${name}`);
    assertNoCanary(Deno.inspect(auth), "Deno.inspect(auth)");
  }
});

Deno.test("errors about conflicting credentials in the environment show no canary", async () => {
  const { results: [token] } = await probe({
    options: { envPrefix: ["LATCHKEY_", "MYSDK_"], dotenv: false },
    env: { LATCHKEY_TOKEN: CANARIES.token, MYSDK_TOKEN: CANARIES.dotenvToken },
    actions: ["token"],
  });
  assertNoCanary(failed(token, "AuthError", "CONFLICTING_CREDENTIALS").text, "conflict error");
});

Deno.test("errors about conflicting or loose token files show no canary", async () => {
  await using dir = await tempDir();
  const info = join(dir.path, "token_info.json");
  await writeSecretFile(info, { client_secret: CANARIES.secret, refresh_token: CANARIES.refresh });
  const infoError = await assertRejectsWith(
    () => new Auth({ tokenFile: info, ...isolated() }).token(),
    AuthError,
    "CONFLICTING_CREDENTIALS",
  );
  assertNoCanary(errorText(infoError), "conflicting token_info error");

  const loose = join(dir.path, "loose.json");
  await writeSecretFile(loose, { access_token: CANARIES.fileToken }, 0o644);
  const looseError = await assertRejectsWith(
    () => new Auth({ tokenFile: loose, ...isolated() }).token(),
    AuthError,
    "INSECURE_PERMISSIONS",
  );
  assertNoCanary(errorText(looseError), "insecure permissions error");
});

Deno.test("a provider refusing a canary refresh token yields an error without it", async () => {
  await using provider = await startMockProvider();
  const auth = new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    refreshToken: CANARIES.refresh,
    ...isolated(),
  });
  const error = await assertRejectsWith(() => auth.token(), LoginRequiredError, "LOGIN_REQUIRED");
  assertEquals(provider.counts.invalidGrant, 1);
  assertNoCanary(errorText(error), "invalid_grant error");
  assertNoCanary(JSON.stringify(await auth.status()), "status after invalid_grant");
});

Deno.test("a 401 whose challenge echoes the token gives an error without the token", async () => {
  await using api = serve((request) =>
    new Response("no", {
      status: 401,
      headers: {
        "www-authenticate": `Bearer error="invalid_token", error_description="${
          request.headers.get("authorization")
        } is bad"`,
      },
    })
  );
  const auth = new Auth({ token: CANARIES.token, apiOrigins: [api.origin], ...isolated() });
  const error = await assertRejectsWith(
    () => auth.fetch(`${api.origin}/x`),
    LoginRequiredError,
    "LOGIN_REQUIRED",
  );
  assertNoCanary(errorText(error), "401 error");
});
