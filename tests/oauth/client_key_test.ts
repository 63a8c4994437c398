// Loading a private_key_jwt client key: the formats accepted, and every bad key refused with a
// one-line error naming the file, never quoting the key.

import { Auth, AuthError, type AuthErrorCode } from "../../mod.ts";
import { decodeJwt } from "../../src/jwt.ts";
import { startMockProvider } from "../../testing.ts";
import { loadClientKey } from "../../src/oauth/client_key.ts";
import {
  assert,
  assertEquals,
  assertRejectsWith,
  assertStringIncludes,
} from "../support/assert.ts";

type Params = EcKeyGenParams | RsaHashedKeyGenParams | Algorithm;

async function pair(params: Params): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
}

function pem(label: string, der: ArrayBuffer): string {
  const body = new Uint8Array(der).toBase64().replace(/(.{64})/g, "$1\n");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

async function keyFile(text: string, mode = 0o600): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "client-key-" });
  await Deno.writeTextFile(file, text);
  await Deno.chmod(file, mode);
  return file;
}

/** Runs `load` and checks the error names the file and quotes nothing of the key. */
async function refused(
  file: string,
  text: string,
  code: AuthErrorCode = "BAD_CLIENT_KEY",
): Promise<AuthError> {
  const error = await assertRejectsWith(() => loadClientKey(file), AuthError, code);
  assertStringIncludes(error.message, file);
  const secretish = text.replace(/-----[A-Z ]+-----/g, "").match(/[A-Za-z0-9+/_-]{16,}/g) ?? [];
  for (const chunk of secretish) {
    assert(!`${error.message} ${error.hint ?? ""}`.includes(chunk), "the error quotes the key");
  }
  return error;
}

Deno.test("client key: PKCS#8 PEM keys of P-256, P-384, Ed25519 and RSA load with their algorithm", async () => {
  const kinds: [Params, string][] = [
    [{ name: "ECDSA", namedCurve: "P-256" }, "ES256"],
    [{ name: "ECDSA", namedCurve: "P-384" }, "ES384"],
    [{ name: "Ed25519" }, "EdDSA"],
    [{
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    }, "RS256"],
  ];
  for (const [params, alg] of kinds) {
    const keys = await pair(params);
    const file = await keyFile(
      pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
    );
    const loaded = await loadClientKey(file);
    assertEquals([loaded.alg, loaded.key.type, loaded.key.extractable, loaded.kid], [
      alg,
      "private",
      false,
      undefined,
    ]);
    // It signs, and the public half verifies what it signed.
    const data = new TextEncoder().encode("assertion");
    const algorithm = alg.startsWith("ES")
      ? { name: "ECDSA", hash: alg === "ES256" ? "SHA-256" : "SHA-384" }
      : { name: loaded.key.algorithm.name };
    const signature = await crypto.subtle.sign(algorithm, loaded.key, data);
    assert(await crypto.subtle.verify(algorithm, keys.publicKey, signature, data), alg);
    await Deno.remove(file);
  }
});

Deno.test("client key: a private JWK file loads with its kid; a given key id wins", async () => {
  const keys = await pair({ name: "ECDSA", namedCurve: "P-256" });
  const jwk = { ...await crypto.subtle.exportKey("jwk", keys.privateKey), kid: "k1", alg: "ES256" };
  const file = await keyFile(JSON.stringify(jwk));
  assertEquals((await loadClientKey(file)).kid, "k1");
  assertEquals((await loadClientKey(file, "given")).kid, "given");
  await Deno.remove(file);
});

Deno.test("client key: a file group or others can read is refused naming the file and the chmod, never tightened", async () => {
  const keys = await pair({ name: "ECDSA", namedCurve: "P-256" });
  const text = pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  for (const mode of [0o640, 0o604, 0o644]) {
    const file = await keyFile(text, mode);
    const error = await refused(file, text, "INSECURE_PERMISSIONS");
    assertEquals(error.hint, `chmod 600 '${file}'`);
    assertEquals((await Deno.stat(file)).mode! & 0o777, mode, "the mode was changed");
    await Deno.remove(file);
  }
});

Deno.test("client key: an encrypted, SEC1, public, certificate, P-521, broken or missing key is BAD_CLIENT_KEY", async () => {
  const p256 = await pair({ name: "ECDSA", namedCurve: "P-256" });
  const p521 = await pair({ name: "ECDSA", namedCurve: "P-521" });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", p256.privateKey);
  const publicJwk = await crypto.subtle.exportKey("jwk", p256.publicKey);
  const cases: [string, string, string][] = [
    ["encrypted", pem("ENCRYPTED PRIVATE KEY", pkcs8), "is encrypted"],
    ["SEC1", pem("EC PRIVATE KEY", pkcs8), 'is not PKCS#8 (it says "EC PRIVATE KEY")'],
    [
      "public",
      pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", p256.publicKey)),
      "holds a public key",
    ],
    ["certificate", pem("CERTIFICATE", pkcs8), "holds a certificate"],
    [
      "P-521",
      pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", p521.privateKey)),
      "EC P-521",
    ],
    [
      "P-521 JWK",
      JSON.stringify(await crypto.subtle.exportKey("jwk", p521.privateKey)),
      "EC P-521 JWK",
    ],
    ["public JWK", JSON.stringify(publicJwk), "holds a public JWK"],
    ["key set", JSON.stringify({ keys: [publicJwk] }), "is a key set"],
    [
      "broken PEM",
      "-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n",
      "broken PEM body",
    ],
    ["garbage", "hello", "neither a PKCS#8 PEM nor a JWK"],
    ["bad JSON", "{nope", "is not valid JSON"],
  ];
  for (const [what, text, says] of cases) {
    const file = await keyFile(text);
    const error = await refused(file, text);
    assertStringIncludes(error.message, says, what);
    assert(error.hint === undefined || !error.hint.includes("\n"), what);
    await Deno.remove(file);
  }
  const missing = `${await Deno.makeTempDir()}/none.pem`;
  await refused(missing, "");
});

Deno.test("client key: a CryptoKey is taken as is when private and of a supported type", async () => {
  const keys = await pair({ name: "ECDSA", namedCurve: "P-256" });
  assertEquals((await loadClientKey(keys.privateKey, "k")).alg, "ES256");
  await assertRejectsWith(() => loadClientKey(keys.publicKey), AuthError, "BAD_CLIENT_KEY");
  const p521 = await pair({ name: "ECDSA", namedCurve: "P-521" });
  await assertRejectsWith(() => loadClientKey(p521.privateKey), AuthError, "BAD_CLIENT_KEY");
});

Deno.test("client key: a symbolic link is refused, its target unread", async () => {
  const keys = await pair({ name: "ECDSA", namedCurve: "P-256" });
  const file = await keyFile(
    pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
  );
  const link = `${file}.link`;
  await Deno.symlink(file, link);
  await assertRejectsWith(() => loadClientKey(link), AuthError, "INSECURE_PERMISSIONS");
  await Deno.remove(link);
  await Deno.remove(file);
});

Deno.test("Auth with a clientKey CryptoKey gets client credentials tokens; a key and a secret together are USAGE", async () => {
  const keys = await pair({ name: "ECDSA", namedCurve: "P-256" });
  const jwk = await crypto.subtle.exportKey("jwk", keys.publicKey);
  await using provider = await startMockProvider({
    clients: [{ clientId: "keyed", jwks: [jwk], grants: ["client_credentials"], scope: "api" }],
  });
  const common = {
    issuer: provider.issuer,
    clientId: "keyed",
    dotenv: false as const,
    envPrefix: [],
  };
  const auth = new Auth({ ...common, clientKey: keys.privateKey, store: "memory" });
  const token = await auth.token();
  assertEquals(decodeJwt(token)?.payload.sub, "keyed");
  assertEquals((await auth.status()).refreshable, true);
  const both = new Auth({
    ...common,
    clientKey: keys.privateKey,
    clientSecret: "s",
    store: "memory",
  });
  await assertRejectsWith(() => both.token(), AuthError, "USAGE");
});

Deno.test("client key: the key itself as text (a CI secret in LATCHKEY_CLIENT_KEY) loads, and a bad one is never quoted", async () => {
  const keys = await pair({ name: "ECDSA", namedCurve: "P-256" });
  const text = pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  assertEquals((await loadClientKey(text)).alg, "ES256");
  const jwk = JSON.stringify(await crypto.subtle.exportKey("jwk", keys.privateKey));
  assertEquals((await loadClientKey(jwk, "k")).kid, "k");
  const sec1 = text.replaceAll("PRIVATE KEY", "EC PRIVATE KEY");
  const error = await assertRejectsWith(() => loadClientKey(sec1), AuthError, "BAD_CLIENT_KEY");
  assertStringIncludes(error.message, "The client key given inline is not PKCS#8");
  const body = text.split("\n")[1]!;
  assert(!`${error.message} ${error.hint}`.includes(body), "the key is quoted");
});
