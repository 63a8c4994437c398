// The mock provider's DPoP (RFC 9449), strict as a real provider: proofs at the token endpoint
// bind tokens to a key, the demo API checks each proof (htm, htu, ath, key, jti replay) and can
// demand nonces, and a bound token presented as a plain bearer token is refused. The client side
// is openid-client's own DPoP support where it has it, hand-made proofs (jose) for the attacks.

import * as oc from "openid-client";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { type MockProvider, startMockProvider } from "../../testing.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { sha256Base64url } from "../support/jwt.ts";

const SERVICE = { clientId: "svc", clientSecret: "svc-secret", grants: ["client_credentials"] };

interface Key {
  pair: CryptoKeyPair;
  jwk: JWK;
  jkt: string;
}

async function newKey(): Promise<Key> {
  const pair = await generateKeyPair("ES256", { extractable: true }) as CryptoKeyPair;
  const jwk = await exportJWK(pair.publicKey);
  return { pair, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** A proof made by hand, so that each claim can be wrong on purpose. */
async function proof(
  key: Key,
  htm: string,
  htu: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return await new SignJWT({
    htm,
    htu,
    jti: crypto.randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ...extra,
  })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.jwk })
    .sign(key.pair.privateKey);
}

function tokenRequest(provider: MockProvider, dpop?: string, body?: Record<string, string>) {
  return fetch(`${provider.issuer}/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${btoa("svc:svc-secret")}`,
      ...(dpop === undefined ? {} : { dpop }),
    },
    body: new URLSearchParams(body ?? { grant_type: "client_credentials", scope: "api" }),
  });
}

async function serviceConfig(provider: MockProvider): Promise<oc.Configuration> {
  return await oc.discovery(provider.url, "svc", "svc-secret", oc.ClientSecretBasic("svc-secret"), {
    execute: [oc.allowInsecureRequests],
  });
}

Deno.test("mock DPoP: a DPoP-bound client is refused a token without a proof, and gets a DPoP token bound to its key with one", async () => {
  await using provider = await startMockProvider({ clients: [{ ...SERVICE, dpop: true }] });
  const refused = await tokenRequest(provider);
  assertEquals(refused.status, 400);
  assertEquals((await refused.json()).error, "invalid_dpop_proof");

  const key = await newKey();
  const config = await serviceConfig(provider);
  const DPoP = oc.getDPoPHandle(config, key.pair);
  const tokens = await oc.clientCredentialsGrant(config, { scope: "api" }, { DPoP });
  assertEquals(tokens.token_type, "dpop");
  const claims = JSON.parse(
    new TextDecoder().decode(
      Uint8Array.fromBase64(tokens.access_token.split(".")[1]!, { alphabet: "base64url" }),
    ),
  );
  assertEquals(claims.cnf, { jkt: key.jkt });
  assertEquals(provider.counts.dpopRefused, 1);
});

Deno.test("mock DPoP: the demo API takes a bound token only with a proof of its key, and refuses it as a plain bearer token", async () => {
  await using provider = await startMockProvider({ clients: [SERVICE] });
  const key = await newKey();
  const config = await serviceConfig(provider);
  const DPoP = oc.getDPoPHandle(config, key.pair);
  const { access_token: token } = await oc.clientCredentialsGrant(config, { scope: "api" }, {
    DPoP,
  });
  const url = new URL(`${provider.apiUrl}/me?x=1`);

  const proven = await oc.fetchProtectedResource(config, token, url, "GET", undefined, undefined, {
    DPoP,
  });
  assertEquals(proven.status, 200);
  assertEquals((await proven.json()).sub, "svc");

  const asBearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  assertEquals(asBearer.status, 401);
  assert(asBearer.headers.get("www-authenticate")!.startsWith('DPoP error="invalid_token"'));
  await asBearer.body?.cancel();

  const send = (dpop: string, authorization = `DPoP ${token}`) =>
    fetch(url, { headers: { authorization, dpop } });
  const ath = await sha256Base64url(token);
  const good = await proof(key, "GET", url.href, { ath });
  assertEquals((await send(good)).status, 200);
  const cases: [string, Promise<string>][] = [
    ["a replayed proof", Promise.resolve(good)],
    ["another method", proof(key, "POST", url.href, { ath })],
    ["another URL", proof(key, "GET", `${provider.apiUrl}/other`, { ath })],
    ["no ath", proof(key, "GET", url.href)],
    [
      "the ath of another token",
      proof(key, "GET", url.href, { ath: await sha256Base64url("other") }),
    ],
    ["another key", newKey().then((other) => proof(other, "GET", url.href, { ath }))],
    [
      "an old iat",
      proof(key, "GET", url.href, { ath, iat: Math.floor(Date.now() / 1000) - 3600 }),
    ],
  ];
  for (const [what, made] of cases) {
    const response = await send(await made);
    assertEquals(response.status, 401, what);
    const challenge = response.headers.get("www-authenticate") ?? "";
    assert(challenge.startsWith('DPoP error="invalid_dpop_proof"'), `${what}: ${challenge}`);
    await response.body?.cancel();
  }
  const noProof = await fetch(url, { headers: { authorization: `DPoP ${token}` } });
  assertEquals(noProof.status, 401);
  await noProof.body?.cancel();
  // The bearer refusal, each case above and the missing proof.
  assertEquals(provider.counts.dpopRefused, 1 + cases.length + 1);
});

Deno.test("mock DPoP: a proof whose header carries a private key, a symmetric alg or the wrong typ is refused", async () => {
  await using provider = await startMockProvider({ clients: [SERVICE] });
  const key = await newKey();
  const htu = `${provider.issuer}/token`;
  const claims = { htm: "POST", htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) };
  const withPrivate = await new SignJWT(claims)
    .setProtectedHeader({
      alg: "ES256",
      typ: "dpop+jwt",
      jwk: await exportJWK(key.pair.privateKey),
    })
    .sign(key.pair.privateKey);
  const wrongTyp = await new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", typ: "JWT", jwk: key.jwk })
    .sign(key.pair.privateKey);
  const hmac = await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: key.jwk })
    .sign(new Uint8Array(32));
  for (const [what, dpop] of [["private", withPrivate], ["typ", wrongTyp], ["hmac", hmac]]) {
    const response = await tokenRequest(provider, dpop);
    assertEquals(response.status, 400, what);
    assertEquals((await response.json()).error, "invalid_dpop_proof", what);
  }
  const good = await tokenRequest(provider, await proof(key, "POST", htu));
  assertEquals((await good.json()).token_type, "DPoP");
});

Deno.test("mock DPoP: a bound refresh token needs a proof of its own key", async () => {
  await using provider = await startMockProvider();
  const key = await newKey();
  const issued = await provider.issueTokens({ jkt: key.jkt });
  assertEquals(issued.token_type, "DPoP");
  const htu = `${provider.issuer}/token`;
  const refresh = (dpop?: string) =>
    fetch(htu, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(dpop === undefined ? {} : { dpop }),
      },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: "latchkey-cli",
        refresh_token: issued.refresh_token,
      }),
    });
  const bare = await refresh();
  assertEquals([bare.status, (await bare.json()).error], [400, "invalid_dpop_proof"]);
  const other = await refresh(await proof(await newKey(), "POST", htu));
  assertEquals([other.status, (await other.json()).error], [400, "invalid_grant"]);
  const own = await refresh(await proof(key, "POST", htu));
  const body = await own.json();
  assertEquals([own.status, body.token_type], [200, "DPoP"]);
  assert(typeof body.refresh_token === "string" && body.refresh_token !== issued.refresh_token);
});

Deno.test("mock DPoP: a demanded nonce is challenged at the token endpoint and the API, and a rotated one again", async () => {
  await using provider = await startMockProvider({ clients: [SERVICE], dpopNonce: "both" });
  const key = await newKey();
  const htu = `${provider.issuer}/token`;
  const first = await tokenRequest(provider, await proof(key, "POST", htu));
  assertEquals([first.status, (await first.json()).error], [400, "use_dpop_nonce"]);
  const nonce = first.headers.get("dpop-nonce")!;
  assert(nonce.length > 0);
  const second = await tokenRequest(provider, await proof(key, "POST", htu, { nonce }));
  const { access_token: token } = await second.json();
  assertEquals(second.status, 200);

  const url = `${provider.apiUrl}/x`;
  const ath = await sha256Base64url(token);
  const call = async (extra: Record<string, unknown>) =>
    await fetch(url, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await proof(key, "GET", url, { ath, ...extra }),
      },
    });
  const withoutNonce = await call({});
  assertEquals(withoutNonce.status, 401);
  assert(
    withoutNonce.headers.get("www-authenticate")!.startsWith('DPoP error="use_dpop_nonce"'),
  );
  assertEquals(withoutNonce.headers.get("dpop-nonce"), nonce);
  await withoutNonce.body?.cancel();
  assertEquals((await call({ nonce })).status, 200);

  const rotated = provider.rotateDpopNonce();
  const stale = await call({ nonce });
  assertEquals([stale.status, stale.headers.get("dpop-nonce")], [401, rotated]);
  await stale.body?.cancel();
  assertEquals((await call({ nonce: rotated })).status, 200);
  assertEquals(provider.counts.dpopNonceChallenges, 3);
  assertEquals(provider.counts.dpopRefused, 0);
});

Deno.test("mock DPoP: openid-client answers the provider's nonce challenge with one retry", async () => {
  await using provider = await startMockProvider({
    clients: [{ ...SERVICE, dpop: true }],
    dpopNonce: "provider",
  });
  const config = await serviceConfig(provider);
  const DPoP = oc.getDPoPHandle(config, (await newKey()).pair);
  const tokens = await oc.clientCredentialsGrant(config, { scope: "api" }, { DPoP });
  assertEquals(tokens.token_type, "dpop");
  assertEquals(provider.counts.dpopNonceChallenges, 1);
});

Deno.test("mock metadata advertises DPoP and private_key_jwt signing algorithms", async () => {
  await using provider = await startMockProvider();
  const metadata = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`))
    .json();
  assertEquals(metadata.dpop_signing_alg_values_supported, [
    "ES256",
    "ES384",
    "PS256",
    "RS256",
    "EdDSA",
  ]);
  assert(metadata.token_endpoint_auth_methods_supported.includes("private_key_jwt"));
  assert(metadata.token_endpoint_auth_signing_alg_values_supported.includes("ES256"));
});
