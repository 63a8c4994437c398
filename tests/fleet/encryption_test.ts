import { AuthError } from "../../src/errors.ts";
import { importStoreKeys, openCredential, sealCredential } from "../../src/store/encryption.ts";
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { newStoreKey, sampleCredential } from "./helpers.ts";
import { sealV1 } from "./seal_v1.ts";

const where = { kind: "redis", namespace: "latchkey:", profile: "p", where: "test store" } as const;

Deno.test("importStoreKeys() accepts base64 and base64url of 32 bytes, refuses the rest", async () => {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const a = await importStoreKeys(bytes.toBase64());
  const b = await importStoreKeys(bytes.toBase64({ alphabet: "base64url", omitPadding: true }));
  assertEquals(a.current.id, b.current.id);
  for (const bad of ["", "short", new Uint8Array(16).toBase64(), "x".repeat(44)]) {
    const error = await assertRejects(() => importStoreKeys(bad), AuthError);
    assertEquals(error.code, "CONFIG_INVALID");
    assert(!error.message.includes(bad) || bad === "", "the message never echoes the key");
  }
});

Deno.test("sealCredential() output opens only with its key and profile", async () => {
  const keys = await importStoreKeys(newStoreKey());
  const sealed = await sealCredential(sampleCredential(), keys, where);
  const [, , , id, iv, body] = sealed.split(":");
  assertEquals(id, keys.current.id);
  assertEquals(Uint8Array.fromBase64(iv!, { alphabet: "base64url" }).length, 12);
  assert(body!.length > 0);
  assertEquals(
    (await openCredential(sealed, keys, where)).accessToken?.reveal(),
    "access-secret-1",
  );
  // Two seals of one credential differ (random IV).
  assert(sealed !== await sealCredential(sampleCredential(), keys, where));
  // One flipped character: refused, never a garbled credential.
  const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
  const error = await assertRejects(() => openCredential(flipped, keys, where), AuthError);
  assertEquals(error.code, "CONFIG_INVALID");
  const malformed = await assertRejects(
    () => openCredential("latchkey:aes-256-gcm:v1:zz", keys, where),
    AuthError,
  );
  assertEquals(malformed.code, "BAD_TOKEN_FILE");
});

Deno.test("openCredential() without keys reads plain token JSON and refuses garbage", async () => {
  const plain = await sealCredential(sampleCredential(), undefined, where);
  assertEquals(JSON.parse(plain).refresh_token, "refresh-secret-1");
  assertEquals((await openCredential(plain, undefined, where)).idToken?.reveal(), "id-secret-1");
  const error = await assertRejects(() => openCredential("[1]", undefined, where), AuthError);
  assertEquals(error.code, "BAD_TOKEN_FILE");
});

Deno.test("sealCredential() output opens only in the store kind, namespace and profile it was sealed for", async () => {
  const keys = await importStoreKeys(newStoreKey());
  const sealed = await sealCredential(sampleCredential(), keys, where);
  assert(sealed.startsWith("latchkey:aes-256-gcm:v2:"), sealed.slice(0, 30));
  for (
    const elsewhere of [
      { ...where, namespace: "other:" }, // another Redis prefix
      { ...where, kind: "kv", namespace: "latchkey" }, // the kv store
      { ...where, kind: "kv", namespace: "latchkey:" }, // same namespace text, another kind
      { ...where, profile: "q" }, // another profile
    ] as const
  ) {
    const error = await assertRejects(() => openCredential(sealed, keys, elsewhere), AuthError);
    assertEquals(error.code, "CONFIG_INVALID");
    assertStringIncludes(error.message, "decryption failed");
  }
});

Deno.test("openCredential() still opens a value of the first format (profile-bound only)", async () => {
  const keys = await importStoreKeys(newStoreKey());
  const text = await sealCredential(sampleCredential(), undefined, where);
  const old = await sealV1(text, keys.current, "p");
  assertEquals((await openCredential(old, keys, where)).refreshToken?.reveal(), "refresh-secret-1");
  // Its profile binding still holds.
  const moved = await assertRejects(
    () => openCredential(old, keys, { ...where, profile: "q" }),
    AuthError,
  );
  assertEquals(moved.code, "CONFIG_INVALID");
});
