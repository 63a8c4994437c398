/**
 * The memory store: the store contract (`contract.ts`; one instance holds what it holds), and its
 * lock serialising callers.
 */

import { Credential } from "../../src/credential.ts";
import { MemoryStore } from "../../src/store/memory.ts";
import { storeContract } from "./contract.ts";
import { assertEquals } from "../support/assert.ts";

storeContract({
  name: "memory store",
  shared: false,
  setup() {
    const store = new MemoryStore();
    return Promise.resolve({
      open: () => store,
      location: () => undefined,
      [Symbol.asyncDispose]: () => Promise.resolve(),
    });
  },
});

Deno.test("MemoryStore serialises callers of its lock and keeps credentials", async () => {
  const store = new MemoryStore();
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: 20 }, () =>
    store.lock("k", async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inside--;
    })));
  assertEquals(most, 1);
  await store.write("k", new Credential({ accessToken: "m" }));
  assertEquals((await store.read("k"))?.accessToken?.reveal(), "m");
  assertEquals(await store.list(), ["k"]);
  assertEquals(await store.delete("k"), true);
  assertEquals(await store.read("k"), undefined);
});
