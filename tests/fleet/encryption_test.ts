import { AuthError } from "../../src/errors.ts";
import { importStoreKeys, openCredential, sealCredential } from "../../src/store/encryption.ts";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { newStoreKey, sampleCredential } from "./helpers.ts";

const where = { profile: "p", where: "test store" };

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
