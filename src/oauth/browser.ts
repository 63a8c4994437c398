/**
 * Browser login: authorization code + PKCE (S256) + state (+ nonce for
 * OpenID), with a loopback redirect on `127.0.0.1` at an ephemeral port
 * (RFC 8252 §7.3), served by a small Hono app that is always closed.
 *
 * @module
 */

import { Hono } from "hono";
import * as oc from "openid-client";
import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { openBrowser } from "../open.ts";
import type { Provider } from "./discovery.ts";
import { deadlineSignal } from "../util/deadline.ts";
import type { InteractiveOptions } from "./device.ts";
import { dpopOption } from "./grants.ts";
import { toAuthError } from "./errors.ts";
import { toCredential } from "./token_response.ts";

function page(title: string, text: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}</style>
</head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}

/**
 * Runs the browser login to its end.
 *
 * @param provider The provider.
 * @param options Prompt, timeout, signal, whether to open a browser.
 * @returns The credential.
 */
export async function browserLogin(
  provider: Provider,
  options: InteractiveOptions,
): Promise<Credential> {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const scope = options.scope ?? "openid";
  const nonce = scope.split(" ").includes("openid") ? oc.randomNonce() : undefined;
  const signal = deadlineSignal(options.timeout, options.signal);

  const { promise, resolve, reject } = Promise.withResolvers<Credential>();
  promise.catch(() => {}); // settled early (a callback while onPrompt runs): awaited below
  let done = false;
  const app = new Hono();
  app.get("/callback", async (c) => {
    if (done) return c.html(page("Already done", "This login has already finished."), 409);
    done = true;
    try {
      const tokens = await oc.authorizationCodeGrant(
        provider.config,
        new URL(c.req.url),
        {
          pkceCodeVerifier: verifier,
          expectedState: state,
          ...(nonce ? { expectedNonce: nonce } : {}),
        },
        undefined,
        dpopOption(options),
      );
      resolve(toCredential(tokens, provider, Date.now() / 1000));
      return c.html(
        page("Signed in", "You are signed in. You can close this tab and return to your terminal."),
      );
    } catch (error) {
      const mapped = toAuthError(error, "Browser login failed", [provider.options.clientSecret]);
      reject(mapped);
      const reason = mapped instanceof Error ? mapped.message : "unknown error";
      return c.html(page("Sign-in failed", reason.replace(/[<>&]/g, "")), 400);
    }
  });
  app.notFound((c) => c.text("Not found", 404));

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const onAbort = () => {
    if (!done) {
      done = true;
      reject(
        options.signal?.aborted ? options.signal.reason : new AuthError(
          "TIMEOUT",
          `Login did not complete within ${options.timeout} s; finish signing in in your browser and try again`,
        ),
      );
    }
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const redirectUri = `http://127.0.0.1:${server.addr.port}/callback`;
    const params: Record<string, string> = {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    };
    if (nonce) params.nonce = nonce;
    if (options.audience) params.audience = options.audience;
    const url = oc.buildAuthorizationUrl(provider.config, params);
    await options.onPrompt({ kind: "browser", url: url.href });
    if (options.openBrowser) openBrowser(url);
    if (signal?.aborted) onAbort();
    return await promise;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await server.shutdown();
  }
}
