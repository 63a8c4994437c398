// The mock provider, as openid-client and plain HTTP see it. The resource owner password grant.

import assert from "node:assert/strict";
import * as oc from "openid-client";
import { startMockProvider } from "../../testing.ts";
import { discover } from "./helpers.ts";

Deno.test("the password grant signs alice in and refuses a wrong password", async () => {
  await using provider = await startMockProvider();
  const config = await discover(provider);
  const tokens = await oc.genericGrantRequest(config, "password", {
    username: "alice",
    password: "wonderland",
    scope: "openid email",
  });
  assert.equal(tokens.claims()!.email, "alice@example.org");
  assert.equal(tokens.claims()!.name, undefined);
  const wrong = await oc.genericGrantRequest(config, "password", {
    username: "alice",
    password: "nope",
  }).catch((e) => e);
  assert.deepEqual([wrong.error, wrong.error_description], [
    "invalid_grant",
    "Invalid username or password",
  ]);
  assert.deepEqual(provider.events.map((event) => [event.grant, event.ok, event.error]), [
    ["password", true, undefined],
    ["password", false, "invalid_grant"],
  ]);
});
