/**
 * Token hygiene at the source: a token that cannot be a header value (a line break, a space, a
 * control or non-ASCII character) is refused where it is read — the options, the environment,
 * `.env`, a token file, a credential file, the provider's token response — as `MALFORMED_TOKEN`
 * naming the source and the problem, never the value, and nothing is sent. Tokens with the
 * characters real providers use pass; a client secret may hold a space; `AuthError` messages
 * redact the secrets the process knows; the CLI exits 2 on such input.
 */

import {
  Auth,
  AuthError,
  type AuthOptions,
  Credential,
  credentialFromTokenJson,
  FileStore,
  type Keychain,
  KeyringStore,
  MalformedTokenError,
  MemoryStore,
  OAuthError,
  Secret,
} from "../../mod.ts";
import { checkTokenSyntax } from "../../src/token_syntax.ts";
import { credentialToStoredJson } from "../../src/credential_json.ts";
import { rememberSecret } from "../../src/secret.ts";
import { importStoreKeys, openCredential, sealCredential } from "../../src/store/encryption.ts";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { runCli, show, writeConfig } from "../cli/helpers.ts";
import { serve } from "../support/server.ts";
import { makeHome } from "../support/home.ts";
import { canary } from "../support/canary.ts";
import { tempDir } from "../support/files.ts";

/** A prefix no variable of the machine has: the environment tests set their own. */
const PREFIX = `HYGIENE_${crypto.randomUUID().slice(0, 8).toUpperCase()}_`;

/** A loopback API that counts the requests reaching it and keeps their `Authorization`. */
function countingApi() {
  const authorizations: (string | null)[] = [];
  const server = serve((request) => {
    authorizations.push(request.headers.get("authorization"));
    return new Response("ok");
  });
  return Object.assign(server, { authorizations });
}

/** What `auth.fetch(url)` rejects with. */
function fetchError(auth: Auth, url: string): Promise<Error> {
  return assertRejects(() => auth.fetch(url), Error);
}

/** An `Auth` that reads nothing of the machine unless told. */
function isolatedAuth(api: string, options: AuthOptions): Auth {
  return new Auth({
    envPrefix: PREFIX,
    dotenv: false,
    store: new MemoryStore(),
    profile: "hygiene",
    apiOrigins: [api],
    ...options,
  });
}

/** Checks a refusal: the class, code, origin, source and problem, and no trace of the value. */
function assertRefused(
  error: unknown,
  expected: { value: string; source: string; problem: string; origin: string },
): void {
  assert(error instanceof MalformedTokenError, `expected MalformedTokenError, got ${error}`);
  assertEquals(error.code, "MALFORMED_TOKEN");
  assertEquals(error.origin, expected.origin);
  assertStringIncludes(error.message, expected.source);
  assertStringIncludes(error.message, expected.problem);
  assert(error.hint, "a refusal has a hint");
  const inspected = Deno.inspect(error, { depth: 10 });
  const shown = [error.message, error.hint, String(error), inspected, JSON.stringify(error)];
  // the value, and its visible part alone (what a runtime error would quote)
  const visible = expected.value.replace(/[^\x21-\x7e]+/g, "");
  for (const part of [expected.value, visible]) {
    assert(!shown.join("\n").includes(part), `the token shows in the error:\n${inspected}`);
  }
}

/** The bad characters, where they sit, and how the message names them. */
function badTokens(label: string): { name: string; value: string; problem: string }[] {
  const body = canary(label);
  const at = (i: number) => `at character ${i}`;
  const end = body.length + 1;
  const mid = 9; // inside the canary, after "canary-"
  const inside = (c: string) => `${body.slice(0, mid - 1)}${c}${body.slice(mid - 1)}`;
  return [
    { name: "a trailing CR", value: `${body}\r`, problem: `a line break ${at(end)}` },
    { name: "a trailing LF", value: `${body}\n`, problem: `a line break ${at(end)}` },
    { name: "a trailing CRLF", value: `${body}\r\n`, problem: `a line break ${at(end)}` },
    { name: "a NUL", value: inside("\0"), problem: `a NUL character ${at(mid)}` },
    { name: "a tab", value: inside("\t"), problem: `a tab ${at(mid)}` },
    { name: "a space inside", value: inside(" "), problem: `a space ${at(mid)}` },
    { name: "a leading space", value: ` ${body}`, problem: `a space ${at(1)}` },
    { name: 'a non-ASCII "é"', value: inside("é"), problem: `a non-ASCII character ${at(mid)}` },
    { name: "a DEL (0x7f)", value: inside("\x7f"), problem: `a control character ${at(mid)}` },
  ];
}

for (const { name, value, problem } of badTokens("opt")) {
  Deno.test(`the "token" option holding ${name} is refused as MALFORMED_TOKEN naming it, and nothing is sent`, async () => {
    await using api = countingApi();
    const auth = isolatedAuth(api.origin, { token: value });
    const expected = { value, source: 'the "token" option', problem, origin: "input" };
    assertRefused(await fetchError(auth, `${api.origin}/x`), expected);
    assertRefused(await assertRejects(() => auth.token(), Error), expected);
    assertEquals(api.authorizations.length, 0, "a request reached the API");
  });
}

Deno.test('the "refreshToken" and "clientSecret" options with a line break are refused, naming the option', async () => {
  await using api = countingApi();
  const options = [["refreshToken", "refresh token"], ["clientSecret", "client secret"]] as const;
  for (const [option, kind] of options) {
    const value = `${canary(option)}\n`;
    const auth = isolatedAuth(api.origin, { [option]: value, issuer: api.origin, clientId: "c" });
    const error = await fetchError(auth, `${api.origin}/x`);
    const source = `the "${option}" option`;
    assertRefused(error, { value, source, problem: "a line break", origin: "input" });
    assertStringIncludes((error as Error).message, `Refusing the ${kind}`);
  }
  assertEquals(api.authorizations.length, 0, "a request reached the issuer or the API");
});

Deno.test("secrets in the environment with a trailing newline (export X=$(cat file)) are refused, naming the variable", async () => {
  await using api = countingApi();
  for (const key of ["TOKEN", "REFRESH_TOKEN", "CLIENT_SECRET"]) {
    const name = `${PREFIX}${key}`;
    const value = `${canary(key.toLowerCase())}\n`;
    Deno.env.set(name, value);
    try {
      const auth = isolatedAuth(api.origin, { issuer: api.origin, clientId: "c" });
      const error = await fetchError(auth, `${api.origin}/x`);
      const source = `environment variable "${name}"`;
      assertRefused(error, { value, source, problem: "a line break", origin: "input" });
    } finally {
      Deno.env.delete(name);
    }
  }
  assertEquals(api.authorizations.length, 0, "a request reached the issuer or the API");
});

Deno.test("a .env token with an escaped newline or an inner space is refused, naming the variable and the file", async () => {
  await using api = countingApi();
  await using tmp = await tempDir("latchkey-hygiene-");
  const path = `${tmp.path}/.env`;
  const newline = canary("dotenv");
  const spaced = `${canary("dotenv")} tail`;
  const cases = [
    { line: `${PREFIX}TOKEN="${newline}\\n"`, value: `${newline}\n`, problem: "a line break" },
    { line: `${PREFIX}TOKEN=${spaced}`, value: spaced, problem: "a space" },
  ];
  for (const { line, value, problem } of cases) {
    await Deno.writeTextFile(path, `${line}\n`);
    const auth = isolatedAuth(api.origin, { dotenv: path });
    const error = await fetchError(auth, `${api.origin}/x`);
    const source = `"${PREFIX}TOKEN" in the file "${path}"`;
    assertRefused(error, { value, source, problem, origin: "input" });
  }
  assertEquals(api.authorizations.length, 0, "a request reached the API");
});

Deno.test("a token file (oauth or secret JSON) whose token ends in a newline is refused, naming the file", async () => {
  await using api = countingApi();
  await using tmp = await tempDir("latchkey-hygiene-");
  const path = `${tmp.path}/token.json`;
  for (const key of ["access_token", "token"]) {
    const value = `${canary("file")}\n`;
    await Deno.writeTextFile(path, JSON.stringify({ [key]: value }), { mode: 0o600 });
    const auth = isolatedAuth(api.origin, { tokenFile: path });
    const error = await fetchError(auth, `${api.origin}/x`);
    const source = `token file "${path}"`;
    assertRefused(error, { value, source, problem: "a line break", origin: "input" });
  }
  assertEquals(api.authorizations.length, 0, "a request reached the API");
});

Deno.test("a credential file edited by hand to hold a newline is refused as from the store, and nothing is sent", async () => {
  await using api = countingApi();
  await using tmp = await tempDir("latchkey-hygiene-");
  const store = new FileStore({ dir: tmp.path });
  await store.write("hygiene", credentialFromTokenJson({ access_token: canary("good") }));
  const path = store.location("hygiene")!;
  const value = `${canary("stored")}\r\n`;
  const json = JSON.parse(await Deno.readTextFile(path));
  await Deno.writeTextFile(path, JSON.stringify({ ...json, access_token: value }));
  const auth = isolatedAuth(api.origin, { store });
  const error = await fetchError(auth, `${api.origin}/x`);
  const source = `credential file "${path}"`;
  assertRefused(error, { value, source, problem: "a line break", origin: "store" });
  assertEquals((error as AuthError).hint, "log in again to replace it");
  assertEquals(api.authorizations.length, 0, "a request reached the API");
});

Deno.test("a keyring item or a sealed fleet-store value holding a bad token is refused as from the store", async () => {
  await using api = countingApi();
  const value = `${canary("keyring")}\n`;
  const item = JSON.stringify({ access_token: value, token_type: "Bearer" });
  const keychain = { service: "latchkey", get: () => Promise.resolve(item) } as unknown as Keychain;
  await using tmp = await tempDir("latchkey-hygiene-");
  const auth = isolatedAuth(api.origin, { store: new KeyringStore({ keychain, dir: tmp.path }) });
  const error = await fetchError(auth, `${api.origin}/x`);
  const source = 'the keyring item of profile "hygiene"';
  assertRefused(error, { value, source, problem: "a line break", origin: "store" });
  assertEquals(api.authorizations.length, 0, "a request reached the API");

  const keys = await importStoreKeys(crypto.getRandomValues(new Uint8Array(32)).toBase64());
  const context = { kind: "kv", namespace: "latchkey/cred", profile: "p" } as const;
  const stored = [["accessToken", `${canary("at")}\t`], ["refreshToken", `é${canary("rt")}`]];
  for (const [field, bad] of stored) {
    const sealed = await sealCredential(new Credential({ [field!]: bad }), keys, context);
    const error = await assertRejects(
      () => openCredential(sealed, keys, { ...context, where: "kv store" }),
      Error,
    );
    const source = 'the credential of profile "p" in the kv store';
    const problem = field === "accessToken" ? "a tab" : "a non-ASCII character at character 1";
    assertRefused(error, { value: bad!, source, problem, origin: "store" });
  }
});

for (const field of ["access_token", "refresh_token"]) {
  Deno.test(`a provider's refresh answer whose ${field} holds a newline is refused (origin "provider"); the previous credential stays`, async () => {
    await using provider = await startMockProvider();
    const scope = "openid offline_access";
    const clientId = "latchkey-cli";
    const tokens = await provider.issueTokens({ username: "alice", clientId, scope });
    const json = { ...tokens, issuer: provider.issuer, client_id: clientId };
    const before = credentialFromTokenJson(json, Date.now() / 1000 - 7200); // expired an hour ago
    const store = new MemoryStore();
    await store.write("hygiene", before);
    const value = `${canary("provider")}\n`;
    const answer = { access_token: canary("new"), refresh_token: canary("newrt"), [field]: value };
    provider.inject({
      path: "/token",
      grant: "refresh_token",
      body: JSON.stringify({ ...answer, token_type: "Bearer", expires_in: 3600, scope }),
    });
    const auth = isolatedAuth(provider.issuer, { store, issuer: provider.issuer, clientId });
    const error = await fetchError(auth, `${provider.apiUrl}/hello`);
    const source = "the provider's token response";
    assertRefused(error, { value, source, problem: "a line break", origin: "provider" });
    assertStringIncludes((error as AuthError).hint ?? "", "report it to its operator");
    assertEquals(provider.counts.token.refresh_token, 1, "the refresh was asked for once");
    assertEquals(provider.counts.api, 0, "a request reached the API");
    const kept = await store.read("hygiene");
    assertEquals(kept && credentialToStoredJson(kept), credentialToStoredJson(before));
  });
}

Deno.test("tokens with the characters real providers use (. _ - ~ + / = : | ! and all visible ASCII) pass and are sent as Bearer", async () => {
  await using api = countingApi();
  const codes = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => 0x21 + i);
  const visibleAscii = String.fromCharCode(...codes);
  const tokens = [
    `eyJhbGciOiJSUzI1NiJ9.${canary("jwt")}.sig_-~+/=`,
    `gho_${canary("gh")}:x|y!z`,
    `${canary("opaque")}==`,
    `${canary("ascii")}${visibleAscii}`,
  ];
  for (const token of tokens) {
    assertEquals(checkTokenSyntax(token, "a test"), token);
    const response = await isolatedAuth(api.origin, { token }).fetch(`${api.origin}/x`);
    assertEquals(response.status, 200);
    await response.body?.cancel();
  }
  assertEquals(api.authorizations, tokens.map((token) => `Bearer ${token}`));
});

Deno.test("a client secret may hold a space (it is form-encoded) but not a newline", async () => {
  const spaced = `${canary("secret")} with spaces`;
  const grants = ["client_credentials"];
  const clients = [{ clientId: "svc", clientSecret: spaced, grants, scope: "api" }];
  await using provider = await startMockProvider({ clients });
  assertEquals(checkTokenSyntax(spaced, "a test", { kind: "client secret" }), spaced);
  const base = { issuer: provider.issuer, clientId: "svc", scope: "api" };
  const response = await isolatedAuth(provider.issuer, { ...base, clientSecret: spaced })
    .fetch(`${provider.apiUrl}/hello`);
  assertEquals(response.status, 200, await response.clone().text());
  await response.body?.cancel();
  assertEquals(provider.counts.token.client_credentials, 1);

  const broken = `${spaced}\n`;
  const auth = isolatedAuth(provider.issuer, { ...base, clientSecret: broken });
  const error = await fetchError(auth, `${provider.apiUrl}/hello`);
  const source = 'the "clientSecret" option';
  assertRefused(error, { value: broken, source, problem: "a line break", origin: "input" });
  assertEquals(provider.counts.token.client_credentials, 1, "the broken secret was sent");
  assertEquals(provider.counts.api, 1);
});

Deno.test("an AuthError whose message or hint quotes a secret the process knows shows it redacted", () => {
  const remembered = canary("remembered");
  rememberSecret(remembered);
  const wrapped = canary("wrapped");
  new Secret(wrapped);
  const errors = [
    new AuthError("BAD_RESPONSE", `the server said ${remembered} and ${wrapped}`, {
      hint: `do not paste ${remembered}`,
    }),
    new OAuthError("Cannot refresh token", { error: "bad", errorDescription: wrapped }),
  ];
  for (const error of errors) {
    const shown = [error.message, error.hint ?? "", String(error), error.stack ?? ""].join("\n");
    for (const secret of [remembered, wrapped]) {
      assert(!shown.includes(secret), `a known secret shows in the error:\n${shown}`);
    }
  }
  assertEquals(errors[0]!.message, "the server said *** and ***");
  assertEquals(errors[0]!.hint, "do not paste ***");
  assertEquals(errors[1]!.message, "Cannot refresh token: bad (***)");
});

// OAuthError's own fields are redacted too: `Deno.inspect(error)`, `console.log(error)` and
// `JSON.stringify(error)` show the fields, not only the message.
Deno.test({
  name: "an OAuthError whose error_description echoes a known secret hides it when inspected",
  fn() {
    const echoed = new Secret(canary("echoed")).reveal();
    const fields = { error: "invalid_grant", errorDescription: echoed };
    const error = new OAuthError("Cannot refresh", fields);
    assert(!Deno.inspect(error).includes(echoed), `a known secret shows:\n${Deno.inspect(error)}`);
  },
});

Deno.test('latchkey token and latchkey fetch with LATCHKEY_TOKEN="abc\\ndef" exit 2, naming the variable, printing neither the value nor a stack', async () => {
  await using api = countingApi();
  await using home = await makeHome();
  await writeConfig(home, { default: { apiOrigins: [api.origin], store: "file" } });
  const head = canary("cli");
  const tail = canary("tail");
  const env = { LATCHKEY_TOKEN: `${head}\n${tail}` };
  for (const args of [["token"], ["fetch", `${api.origin}/x`]]) {
    const result = await runCli(home, args, { env, secrets: [head, tail] });
    assertEquals(result.code, 2, `${args[0]}\n${show(result)}`);
    assertEquals(result.stdout, "", show(result));
    assertStringIncludes(result.stderr, 'environment variable "LATCHKEY_TOKEN"', show(result));
    assertStringIncludes(result.stderr, "a line break", show(result));
  }
  assertEquals(api.authorizations.length, 0, "a request reached the API");
});
