// The client side of DPoP: the key as it rests in a store, and the fetch wrapper sending a
// DPoP-bound token with a fresh proof to API origins only — a new proof per hop, none to another
// origin nor after a chain left the first one — answering a nonce challenge once.

import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader } from "jose";
import { AuthError, Credential, LoginRequiredError, setLogger } from "../../mod.ts";
import { createAuthFetch } from "../../src/fetch.ts";
import {
  bindCredential,
  dpopKeyFromJwk,
  DpopSender,
  generateDpopKey,
} from "../../src/oauth/dpop.ts";
import { startMockProvider } from "../../testing.ts";
import { assert, assertEquals, assertRejectsWith, assertThrowsWith } from "../support/assert.ts";
import { serve } from "../support/server.ts";
import { sha256Base64url } from "../support/jwt.ts";

interface Hop {
  url: string;
  method: string;
  authorization: string | null;
  dpop: string | null;
  body: string;
}

/** A loopback server that records every request and answers with `route`. */
function recorder(route: (url: URL, hops: Hop[]) => Response | Promise<Response>) {
  const hops: Hop[] = [];
  const server = serve(async (request) => {
    hops.push({
      url: request.url,
      method: request.method,
      authorization: request.headers.get("authorization"),
      dpop: request.headers.get("dpop"),
      body: await request.text(),
    });
    return await route(new URL(request.url), hops);
  });
  return Object.assign(server, { hops });
}

/** Checks a hop's proof names its method and URL and the token, and returns its jti. */
async function assertProofFor(hop: Hop, token: string, jkt: string): Promise<string> {
  assertEquals(hop.authorization, `DPoP ${token}`);
  assert(hop.dpop !== null, `no proof on ${hop.url}`);
  const header = decodeProtectedHeader(hop.dpop);
  assertEquals(header.typ, "dpop+jwt");
  assertEquals(await calculateJwkThumbprint(header.jwk!), jkt);
  const claims = decodeJwt(hop.dpop);
  const url = new URL(hop.url);
  assertEquals([claims.htm, claims.htu], [hop.method, `${url.origin}${url.pathname}`]);
  assertEquals(claims.ath, await sha256Base64url(token));
  return claims.jti!;
}

function wrapper(origin: string, sender: DpopSender, token: string, renew?: () => string) {
  return createAuthFetch({
    apiOrigins: [origin],
    getToken: () => Promise.resolve(token),
    renew: () => Promise.resolve(renew?.()),
    proofsFor: () => sender,
    backoff: { baseMs: 1, capMs: 2 },
  });
}

Deno.test("DPoP key: a made key survives the store with its thumbprint, and no output shows its private part", async () => {
  const key = await generateDpopKey();
  const jwk = JSON.parse(key.jwk.reveal());
  assertEquals(key.jkt, await calculateJwkThumbprint(jwk));
  const again = await dpopKeyFromJwk(key.jwk.reveal(), "work");
  assertEquals(again.jkt, key.jkt);
  const credential = new Credential({ accessToken: "t", tokenType: "DPoP", dpopKey: key.jwk });
  const shownForms = [
    Deno.inspect(key, { depth: 10 }),
    JSON.stringify(key),
    String(key.jwk),
    Deno.inspect(credential, { depth: 10 }),
    JSON.stringify(credential),
  ];
  for (const shown of shownForms) {
    assert(!shown.includes(jwk.d), `the private key shows: ${shown.slice(0, 80)}`);
  }
  for (const bad of ["", "{", '{"kty":"RSA"}', JSON.stringify({ ...jwk, d: undefined })]) {
    const error = await assertRejectsWith(
      () => dpopKeyFromJwk(bad, "work"),
      LoginRequiredError,
      "LOGIN_REQUIRED",
    );
    assertEquals(error.hint, "log in again: latchkey --profile work login --dpop --force");
  }
});

Deno.test("DPoP fetch: the strict mock API takes a bound token with the wrapper's proofs, GET and POST, and refuses it as bearer", async () => {
  await using provider = await startMockProvider();
  const key = await generateDpopKey();
  const { access_token: token } = await provider.issueTokens({ jkt: key.jkt });
  const sender = new DpopSender(key, { issuer: provider.issuer, clientId: "c", allowHttp: true });
  const authFetch = wrapper(provider.issuer, sender, token);
  const get = await authFetch(`${provider.apiUrl}/me?page=2`);
  assertEquals([get.status, (await get.json()).sub], [200, "user-alice"]);
  const post = await authFetch(
    new Request(`${provider.apiUrl}/items`, {
      method: "POST",
      body: new Blob(["x"], { type: "text/plain" }),
    }),
  );
  assertEquals([post.status, (await post.json()).method], [200, "POST"]);
  // Without the sender, the same token is a plain bearer token: refused.
  const bearer = createAuthFetch({
    apiOrigins: [provider.issuer],
    getToken: () => Promise.resolve(token),
    renew: () => Promise.resolve(undefined),
  });
  await assertRejectsWith(() => bearer(`${provider.apiUrl}/me`), LoginRequiredError);
  assertEquals(provider.counts.dpopRefused, 1);
});

Deno.test("DPoP fetch: a redirect chain gets a new proof per hop on the API origin and none once it left", async () => {
  await using other = await recorder(() => new Response("elsewhere"));
  await using api = await recorder((url) => {
    if (url.pathname === "/a") return Response.redirect(`${url.origin}/b`, 302);
    if (url.pathname === "/b") return Response.redirect(`${other.origin}/c`, 307);
    return new Response("api");
  });
  const key = await generateDpopKey();
  const sender = new DpopSender(key, { issuer: api.origin, clientId: "c", allowHttp: true });
  const response = await wrapper(api.origin, sender, "tok")(`${api.origin}/a`);
  assertEquals(await response.text(), "elsewhere");
  assertEquals(api.hops.length, 2);
  const jtis = [
    await assertProofFor(api.hops[0]!, "tok", key.jkt),
    await assertProofFor(api.hops[1]!, "tok", key.jkt),
  ];
  assert(jtis[0] !== jtis[1], "a proof was reused");
  assertEquals([other.hops[0]!.authorization, other.hops[0]!.dpop], [null, null]);
});

Deno.test("DPoP fetch: A → B → A carries no token and no proof on the way back", async () => {
  await using api = await recorder((url, hops) =>
    url.pathname === "/start"
      ? Response.redirect(`${bounce.origin}/bounce`, 302)
      : new Response(`back after ${hops.length}`)
  );
  await using bounce = await recorder(() => Response.redirect(`${api.origin}/steered`, 302));
  const key = await generateDpopKey();
  const sender = new DpopSender(key, { issuer: api.origin, clientId: "c", allowHttp: true });
  await (await wrapper(api.origin, sender, "tok")(`${api.origin}/start`)).body?.cancel();
  await assertProofFor(api.hops[0]!, "tok", key.jkt);
  assertEquals([bounce.hops[0]!.authorization, bounce.hops[0]!.dpop], [null, null]);
  assertEquals(api.hops[1]!.url, `${api.origin}/steered`);
  assertEquals([api.hops[1]!.authorization, api.hops[1]!.dpop], [null, null]);
});

Deno.test("DPoP fetch: the API's use_dpop_nonce challenge gets one retry with its nonce, the body sent again", async () => {
  await using api = await recorder((_url, hops) => {
    const nonce = decodeJwt(hops.at(-1)!.dpop!).nonce;
    if (nonce === "n-1") return new Response("ok");
    return new Response(null, {
      status: 401,
      headers: {
        "www-authenticate": 'DPoP error="use_dpop_nonce", error_description="nonce"',
        "dpop-nonce": "n-1",
      },
    });
  });
  const key = await generateDpopKey();
  const sender = new DpopSender(key, { issuer: api.origin, clientId: "c", allowHttp: true });
  const authFetch = wrapper(api.origin, sender, "tok");
  const response = await authFetch(`${api.origin}/upload`, {
    method: "POST",
    body: new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("payload"));
        controller.close();
      },
    }),
  });
  assertEquals([response.status, await response.text()], [200, "ok"]);
  assertEquals(api.hops.map((hop) => hop.body), ["payload", "payload"]);
  // The nonce is remembered: the next request carries it at once.
  await (await authFetch(`${api.origin}/next`)).body?.cancel();
  assertEquals(api.hops.length, 3);
  assertEquals(decodeJwt(api.hops[2]!.dpop!).nonce, "n-1");
});

Deno.test("DPoP fetch: a 401 invalid_token renews once and sends the new token with a new proof", async () => {
  await using api = await recorder((_url, hops) =>
    hops.at(-1)!.authorization === "DPoP new" ? new Response("ok") : new Response(null, {
      status: 401,
      headers: { "www-authenticate": 'DPoP error="invalid_token"' },
    })
  );
  const key = await generateDpopKey();
  const sender = new DpopSender(key, { issuer: api.origin, clientId: "c", allowHttp: true });
  const response = await wrapper(api.origin, sender, "old", () => "new")(`${api.origin}/x`);
  assertEquals(await response.text(), "ok");
  await assertProofFor(api.hops[0]!, "old", key.jkt);
  await assertProofFor(api.hops[1]!, "new", key.jkt);
});

Deno.test("DPoP binding: a bound token keeps its key; a bearer answer warns once per issuer, or is refused when required", async () => {
  const key = await generateDpopKey();
  const bound = bindCredential(
    new Credential({ accessToken: "t", tokenType: "DPoP" }),
    key,
    true,
    "https://a.example",
  );
  assertEquals(bound.dpopKey?.reveal(), key.jwk.reveal());
  const warnings: string[] = [];
  const previous = setLogger({ warn: (m) => warnings.push(m), debug() {} });
  try {
    const bearer = new Credential({ accessToken: "t", tokenType: "Bearer", dpopKey: key.jwk });
    for (let i = 0; i < 2; i++) {
      assertEquals(bindCredential(bearer, key, true, "https://b.example").dpopKey, undefined);
    }
    assertEquals(warnings, [
      "the provider at https://b.example does not bind tokens to a DPoP key: using a bearer token",
    ]);
    const error = assertThrowsWith(
      () => bindCredential(bearer, key, "required", "https://b.example"),
      AuthError,
      "BAD_RESPONSE",
    );
    assert(!error.message.includes(JSON.parse(key.jwk.reveal()).d), "the key is never quoted");
  } finally {
    setLogger(previous);
  }
});
