import { assertEquals } from "../support/assert.ts";
import { basename, dirname, isWithin, join } from "../../src/fs/path.ts";

Deno.test("join drops empty segments and repeated separators", () => {
  assertEquals(join("/home/a/", ".config", "latchkey"), "/home/a/.config/latchkey");
  assertEquals(join("rel", "", "x.json"), "rel/x.json");
  assertEquals(join("/"), "/");
});

Deno.test("dirname and basename split at the last separator", () => {
  assertEquals(dirname("/a/b/c.json"), "/a/b");
  assertEquals(dirname("/c.json"), "/");
  assertEquals(dirname("c.json"), ".");
  assertEquals(dirname("/a/b/"), "/a");
  assertEquals(basename("/a/b/c.json"), "c.json");
  assertEquals(basename("/a/b/"), "b");
});

Deno.test("isWithin accepts the folder and what is below it, not a sibling with the same prefix", () => {
  assertEquals(isWithin("/a/creds", "/a/creds/x.json"), true);
  assertEquals(isWithin("/a/creds", "/a/creds"), true);
  assertEquals(isWithin("/a/creds", "/a/creds-evil/x.json"), false);
  assertEquals(isWithin("/a/creds", "/etc/passwd"), false);
});
