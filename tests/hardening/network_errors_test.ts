/**
 * A provider that cannot be reached fails fast and says why: a host name that does not resolve,
 * a TLS handshake against a plain-HTTP port and a refused connection to a host other than
 * loopback are not retried as if transient; a refused connection on loopback is retried for 3 s
 * at most. The error names the provider's origin and the cause in one line (exit 3 in the CLI,
 * `NETWORK_ERROR` in the library), and a retry wait of 2 s or more shows on a terminal only.
 *
 * Nothing here leaves loopback: `.invalid` names never resolve (RFC 6761), so the DNS failure
 * is local.
 */

import {
  assert,
  assertEquals,
  assertRejectsWith,
  assertStringIncludes,
} from "../support/assert.ts";
import { Auth, AuthError } from "../../mod.ts";
import { describeNetworkError, networkFailure } from "../../src/http/network_error.ts";
import { ProviderUnreachableError, retryingFetch } from "../../src/oauth/http.ts";
import { runCli, type RunOptions, show } from "../cli/helpers.ts";
import { partTest, SCRIPT } from "../real/helpers.ts";
import { serve } from "../support/server.ts";
import { makeHome } from "../support/home.ts";
import { inTerminal } from "../support/terminal.ts";

/** Times a promise, in milliseconds. */
async function timed<T>(promise: Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await promise;
  return [value, performance.now() - started];
}

/** A port on loopback where nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The error lines of a CLI run's stderr. */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("latchkey: error:"));
}

// Deno 2's shapes, as `fetch` rejects with them (seen with Deno 2.x on Linux).
const sending = (url: string, reason: string) =>
  new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (${url}): client error (Connect): ${reason}`),
  });
const DNS = "dns error: failed to lookup address information: Name or service not known";
const REFUSED = "tcp connect error: Connection refused (os error 111)";

Deno.test("networkFailure names a DNS failure, a TLS failure and a refused connection from Deno's cause chain", () => {
  const url = new URL("https://id.invalid/.well-known/openid-configuration");
  assertEquals(networkFailure(sending(url.href, DNS), url), {
    kind: "dns",
    reason: 'cannot resolve "id.invalid"',
    transient: false,
  });
  assertEquals(
    networkFailure(sending(url.href, "received corrupt message of type InvalidContentType"), url),
    {
      kind: "tls",
      reason: "TLS handshake failed: the server did not answer in TLS (is it plain http:?)",
      transient: false,
    },
  );
  assertEquals(
    networkFailure(sending(url.href, "invalid peer certificate: UnknownIssuer"), url)?.reason,
    "TLS handshake failed: the certificate is signed by an unknown authority",
  );
  assertEquals(
    networkFailure(sending(url.href, "invalid peer certificate: NotValidForName"), url)?.reason,
    'TLS handshake failed: the certificate is not valid for "id.invalid"',
  );
  assertEquals(networkFailure(sending(url.href, "tls handshake eof"), url)?.transient, true);
  assertEquals(networkFailure(sending(url.href, REFUSED), url)?.kind, "refused");
  // Node's undici puts a code on the cause.
  const undici = new TypeError("fetch failed", {
    cause: Object.assign(new Error("getaddrinfo ENOTFOUND id.invalid"), { code: "ENOTFOUND" }),
  });
  assertEquals(networkFailure(undici, url)?.kind, "dns");
});

Deno.test("networkFailure leaves a reset alone (it is retried), and describeNetworkError names it", () => {
  const url = new URL("http://127.0.0.1:8080/token");
  const reset = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request from 127.0.0.1:45940 for http://127.0.0.1:8080/token " +
        "(127.0.0.1:8080): client error (SendRequest): connection closed before message completed",
    ),
  });
  assertEquals(networkFailure(reset, url), undefined);
  assertEquals(describeNetworkError(reset), "connection closed before message completed");
  assertEquals(describeNetworkError(new TypeError("fetch failed")), "no answer");
});

Deno.test("a refused connection to a host other than loopback is tried once and named", async () => {
  let calls = 0;
  const send = retryingFetch({
    fetch: (input) => {
      calls++;
      return Promise.reject(sending(String(input), REFUSED));
    },
  });
  const [error, ms] = await timed(
    assertRejectsWith(
      () => send("https://id.example.org/token", { method: "POST", body: "" }),
      ProviderUnreachableError,
    ),
  );
  assertEquals(calls, 1);
  assert(ms < 500, `failed after ${ms} ms`);
  assertEquals(
    error.message,
    "Cannot reach the provider at https://id.example.org: connection refused",
  );
});

Deno.test("a refused connection on loopback is retried for 3 s at most, then named", async () => {
  let calls = 0;
  const send = retryingFetch({
    fetch: (input) => {
      calls++;
      return Promise.reject(sending(String(input), REFUSED));
    },
  });
  const [error, ms] = await timed(
    assertRejectsWith(
      () => send("http://127.0.0.1:9/x", { method: "GET" }),
      ProviderUnreachableError,
    ),
  );
  assert(calls >= 2 && calls <= 7, `${calls} attempts`);
  assert(ms < 3500, `failed after ${ms} ms`);
  assertEquals(
    error.message,
    "Cannot reach the provider at http://127.0.0.1:9: connection refused",
  );
});

Deno.test("login --issuer https://id.invalid fails with exit 3 within seconds, naming the host it cannot resolve", async () => {
  await using home = await makeHome();
  const [result, ms] = await timed(
    runCli(home, ["login", "--issuer", "https://id.invalid", "--client-id", "x"], {
      killAfterMs: 60_000,
    }),
  );
  assertEquals(result.code, 3, show(result));
  assert(ms < 10_000, `failed after ${ms} ms`);
  const errors = errorLines(result.stderr);
  assertEquals(errors.length, 1, show(result));
  assertStringIncludes(
    errors[0]!,
    'Cannot reach the provider at https://id.invalid: cannot resolve "id.invalid"',
  );
});

Deno.test("login against a plain-HTTP port over https: fails with exit 3 within seconds, naming TLS", async () => {
  await using server = serve(() => new Response("not TLS"));
  await using home = await makeHome();
  const issuer = `https://127.0.0.1:${server.port}`;
  const [result, ms] = await timed(
    runCli(home, ["login", "--issuer", issuer, "--client-id", "x"], { killAfterMs: 60_000 }),
  );
  assertEquals(result.code, 3, show(result));
  assert(ms < 10_000, `failed after ${ms} ms`);
  const errors = errorLines(result.stderr);
  assertEquals(errors.length, 1, show(result));
  assertStringIncludes(errors[0]!, `Cannot reach the provider at ${issuer}: TLS handshake failed`);
});

Deno.test("Auth.token() on an issuer that does not resolve rejects within seconds with NETWORK_ERROR naming the host", async () => {
  const secret = `canary-${crypto.randomUUID()}`;
  const auth = new Auth({
    issuer: "https://id.invalid",
    clientId: "x",
    clientSecret: secret,
    dotenv: false,
    store: "memory",
  });
  const [error, ms] = await timed(
    assertRejectsWith(() => auth.token(), AuthError, "NETWORK_ERROR"),
  );
  assert(ms < 10_000, `failed after ${ms} ms`);
  assertStringIncludes(error.message, 'cannot resolve "id.invalid"');
  assert(!error.message.includes(secret) && !(error.hint ?? "").includes(secret));
});

Deno.test("Auth.token() with the provider down on loopback rejects within seconds with NETWORK_ERROR: connection refused", async () => {
  const issuer = `http://127.0.0.1:${closedPort()}`;
  const auth = new Auth({
    issuer,
    clientId: "x",
    refreshToken: `canary-${crypto.randomUUID()}`,
    dotenv: false,
    store: "memory",
  });
  const [error, ms] = await timed(
    assertRejectsWith(() => auth.token(), AuthError, "NETWORK_ERROR"),
  );
  assert(ms < 10_000, `failed after ${ms} ms`);
  assertEquals(error.message, `Cannot reach the provider at ${issuer}: connection refused`);
});

partTest({
  name: "a retry wait of 2 s shows as a line on a terminal, and not on a pipe",
  needs: [SCRIPT],
  async fn() {
    // Discovery answers 503 with Retry-After: 2, then 404: one visible wait, then a failure.
    let calls = 0;
    await using server = serve(() => {
      calls++;
      return calls % 2 === 1
        ? new Response("busy", { status: 503, headers: { "retry-after": "2" } })
        : new Response("no", { status: 404 });
    });
    const issuer = server.origin;
    const args = ["login", "--issuer", issuer, "--client-id", "x", "--no-browser"];
    const terminal: RunOptions = {
      env: { SHELL: "/bin/sh", TERM: "xterm" },
      wrap: inTerminal,
      killAfterMs: 60_000,
    };
    await using home = await makeHome();
    const onTerminal = await runCli(home, args, terminal);
    assertEquals(onTerminal.code, 3, show(onTerminal));
    assertStringIncludes(
      onTerminal.stdout + onTerminal.stderr,
      `the provider at ${issuer} answered 503; retrying in 2 s…`,
    );
    const onPipe = await runCli(home, args, { killAfterMs: 60_000 });
    assertEquals(onPipe.code, 3, show(onPipe));
    assert(!onPipe.stderr.includes("retrying"), show(onPipe));
  },
});
