/**
 * `auth.login()`: whether a login is needed, the flow that signs in (device,
 * browser, client credentials, password), and keeping what it gave in the
 * profile's store. The flows load only when one runs.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { logger } from "../log.ts";
import { defaultPrompt } from "../prompt.ts";
import { Secret } from "../secret.ts";
import { type Context, contextOf } from "./context.ts";
import type { Provider } from "../oauth/discovery.ts";
import type { InteractiveOptions } from "../oauth/device.ts";
import type { LoginFlow, LoginOptions } from "./options.ts";
import { providerFor } from "./renewer.ts";
import { resolve as resolvePath } from "node:path";

/**
 * Signs in with the flow asked for, unless the profile holds a credential
 * that works (or renews) and `force` is not set — a client secret in the
 * environment alone is not a login yet. What the flow gave is kept: see
 * {@linkcode keepLogin}.
 *
 * @param context The context of the `Auth`.
 * @param options The flow, timeout, signal.
 * @returns The context to use from now on (a new one when the session in use changed).
 * @throws {AuthError} `CONFIG_INVALID` without an issuer and a client id, or
 * without what the flow needs; the flow's own errors.
 *
 * @example A held credential means no action
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { buildContext } from "./context.ts";
 * import { login } from "./login.ts";
 * const context = await buildContext({
 *   options: { dotenv: false, envPrefix: [], store: "memory" },
 *   loginToken: () => Promise.reject(new Error("no login here")),
 *   noOrigins() {},
 * });
 * await context.profileSession.save(new Credential({ accessToken: "held" }));
 * if ((await login(context, {})) !== context) throw new Error("no new context");
 * ```
 */
export async function login(context: Context, options: LoginOptions): Promise<Context> {
  const held = await context.profileSession.peek();
  if (!options.force && held && (held.refreshable || !held.isExpired())) return context;
  return await keepLogin(context, await signIn(context, options));
}

/** Runs the flow and returns the credential it gave. */
async function signIn(context: Context, options: LoginOptions): Promise<Credential> {
  const { resolution: r, clientSecret, clientKey, wiring: { options: o } } = context;
  if (!r.issuer || !r.clientId) {
    throw new AuthError("CONFIG_INVALID", "Cannot log in: an issuer and a client id are needed", {
      hint: "pass --issuer and --client-id (or set LATCHKEY_ISSUER and LATCHKEY_CLIENT_ID)",
    });
  }
  const flow = options.flow ?? (clientSecret || clientKey ? "client_credentials" : "device");
  const provider = await providerFor(
    { issuer: r.issuer, clientId: r.clientId, clientSecret, clientKey },
    o,
  );
  // DPoP: a new key for this login; the tokens it gets are bound to it (or, from a provider
  // that ignores DPoP, are bearer tokens).
  const dpop = r.dpop
    ? await (await import("../oauth/dpop.ts")).dpopGrant(provider.config, undefined, {
      profile: r.profile,
      mode: r.dpop,
      issuer: r.issuer,
    })
    : undefined;
  const credential = await runFlow(flow, provider, {
    scope: r.scope,
    audience: r.audience,
    dpop: dpop?.handle,
    onPrompt: o.onPrompt ?? defaultPrompt,
    timeout: options.timeout ?? 30,
    openBrowser: options.openBrowser ?? true,
    signal: options.signal,
  }, { secretOrKey: clientSecret !== undefined || clientKey !== undefined, options });
  return dpop ? dpop.bind(credential) : credential;
}

/** Runs one flow with the provider and returns the credential it gave. */
async function runFlow(
  flow: LoginFlow,
  provider: Provider,
  interactive: InteractiveOptions,
  { secretOrKey, options }: { secretOrKey: boolean; options: LoginOptions },
): Promise<Credential> {
  switch (flow) {
    case "device":
      return await (await import("../oauth/device.ts")).deviceLogin(provider, interactive);
    case "browser":
      return await (await import("../oauth/browser.ts")).browserLogin(provider, interactive);
    case "client_credentials": {
      if (!secretOrKey) {
        throw new AuthError(
          "CONFIG_INVALID",
          "Cannot log in with client credentials: no client secret or client key",
          { hint: "set LATCHKEY_CLIENT_SECRET, use --client-secret-stdin, or --client-key FILE" },
        );
      }
      const grants = await import("../oauth/grants.ts");
      return await grants.clientCredentialsGrant(provider, interactive);
    }
    case "password": {
      if (!options.username || !options.password) {
        throw new AuthError(
          "CONFIG_INVALID",
          "Cannot log in with a password: username and password are needed",
        );
      }
      logger().warn(
        "the password flow is deprecated and will be removed; use the device or browser flow",
      );
      const password = typeof options.password === "string"
        ? new Secret(options.password)
        : options.password;
      const grants = await import("../oauth/grants.ts");
      return await grants.passwordGrant(provider, options.username, password, interactive);
    }
    default:
      throw new TypeError(`Unknown login flow "${flow}"`);
  }
}

/**
 * Keeps a login: the profile's store holds the credential, and with it the
 * client secret the service renews with, so that a later process without the
 * secret in its environment is logged in too. When the session in use was
 * another (material given directly), it caches the token too, and the
 * profile's session is used from now on.
 *
 * @param context The context of the `Auth`.
 * @param credential What the login gave.
 * @returns The context to use from now on.
 *
 * @example
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { buildContext } from "./context.ts";
 * import { keepLogin } from "./login.ts";
 * const context = await buildContext({
 *   options: { dotenv: false, envPrefix: [], store: "memory" },
 *   loginToken: () => Promise.reject(new Error("no login here")),
 *   noOrigins() {},
 * });
 * await keepLogin(context, new Credential({ accessToken: "new" }));
 * if ((await context.profileSession.peek())?.accessToken?.reveal() !== "new") throw new Error("kept");
 * ```
 */
export async function keepLogin(context: Context, credential: Credential): Promise<Context> {
  const { clientSecret, clientKey, profileSession } = context;
  // A key file's path is kept, never the key; a key given inline or as a CryptoKey is not kept.
  // Absolute, so that a later process in another folder finds it.
  const keyFile = typeof clientKey?.key === "string" &&
      !(await import("../oauth/client_key.ts")).isInlineKey(clientKey.key)
    ? resolvePath(clientKey.key)
    : undefined;
  if (clientKey && keyFile === undefined) {
    logger().warn(
      "a client key given inline or as a CryptoKey is not kept: later calls must pass it again",
    );
  }
  await profileSession.save(
    clientSecret || keyFile
      ? credential.with({ clientSecret, clientKeyFile: keyFile, clientKeyId: clientKey?.kid })
      : credential,
  );
  if (context.session === profileSession) return context;
  // Later calls that bring the same material (a secret in the environment)
  // find the token in its own cache, without a second grant.
  await context.session.save(credential);
  return contextOf({
    resolution: context.resolution,
    session: profileSession,
    source: profileSession.store.kind,
    clientSecret: undefined,
    clientKey: undefined,
    profileSession,
  }, context.wiring);
}
