/**
 * How `Auth` reaches its provider and renews a credential with it: one
 * {@linkcode providerFor} for every call that needs the provider (renewal,
 * login, logout), and the OAuth renewer (a refresh grant, else client
 * credentials). The OAuth modules load only when a provider is needed.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import type { ClientKeySource, Provider } from "../oauth/discovery.ts";
import type { ProviderFetchOptions } from "../oauth/http.ts";
import type { Resolution } from "../resolve.ts";
import type { Secret } from "../secret.ts";
import type { Renewer } from "../session.ts";
import type { TokenFileStore } from "../store/token_file.ts";
import type { AuthOptions } from "./options.ts";

/** The provider and client a call talks to. */
export interface ProviderTarget {
  /** The issuer URL. */
  issuer: string;
  /** The client id. */
  clientId: string;
  /** The client secret of a confidential client, if any. */
  clientSecret: Secret | undefined;
  /** The client key of a confidential client (`private_key_jwt`), if any. */
  clientKey?: ClientKeySource | undefined;
}

/**
 * The provider of an issuer, discovered once per process (see `discover`),
 * with the fetch policy of the call.
 *
 * @param target The issuer and client.
 * @param policy The underlying fetch, retries and timeout of the provider calls.
 * @returns The provider.
 * @throws {AuthError} When neither discovery document can be read.
 *
 * @example
 * ```ts
 * import { providerFor } from "./renewer.ts";
 * const document = {
 *   issuer: "https://id.example.org",
 *   token_endpoint: "https://id.example.org/token",
 * };
 * const provider = await providerFor(
 *   { issuer: "https://id.example.org", clientId: "cli", clientSecret: undefined },
 *   { fetch: () => Promise.resolve(Response.json(document)), retries: 0 },
 * );
 * if (provider.options.clientId !== "cli") throw new Error("the client");
 * ```
 */
export async function providerFor(
  target: ProviderTarget,
  policy: ProviderFetchOptions,
): Promise<Provider> {
  const { discover } = await import("../oauth/discovery.ts");
  return await discover({
    issuer: target.issuer,
    clientId: target.clientId,
    clientSecret: target.clientSecret,
    clientKey: target.clientKey,
    fetch: policy.fetch,
    timeout: policy.timeout,
    retries: policy.retries,
  });
}

/** What {@linkcode renewerFor} builds a renewer from, beside the resolution. */
export interface RenewerSetup {
  /** The options of the `Auth`: its own renewer, if any, and the provider's fetch policy. */
  options: Pick<AuthOptions, "renewer" | "fetch" | "timeout" | "retries">;
  /** A client secret given on every call (not kept with the credential). */
  clientSecret?: Secret | undefined;
  /** A client key given on every call (not kept with the credential). */
  clientKey?: ClientKeySource | undefined;
  /** The token file in use, whose client id counts when the settings name none. */
  tokenFile?: TokenFileStore | undefined;
}

/**
 * The renewer of a session: the `renewer` option when given (presets), else
 * OAuth — a refresh grant when the credential has a refresh token, else the
 * client credentials grant. It can renew once an issuer, a client id and a
 * refresh token or client secret are known (from the settings, the token
 * file or the credential itself).
 *
 * @param resolution The settled settings.
 * @param setup The options, and the material given beside the credential.
 * @returns The renewer.
 *
 * @example
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { renewerFor } from "./renewer.ts";
 * const settings = {
 *   profile: "default",
 *   issuer: "https://id.example.org",
 *   clientId: "cli",
 *   scope: undefined,
 *   audience: undefined,
 *   dpop: false,
 * };
 * const renewer = renewerFor(settings, { options: {} });
 * if (renewer.canRenew(new Credential({ accessToken: "a" }))) throw new Error("nothing to renew with");
 * if (!renewer.canRenew(new Credential({ refreshToken: "r" }))) throw new Error("a refresh token");
 * ```
 */
export function renewerFor(
  resolution: Pick<Resolution, "profile" | "issuer" | "clientId" | "scope" | "audience" | "dpop">,
  setup: RenewerSetup,
): Renewer {
  const { options: o, clientSecret, clientKey, tokenFile } = setup;
  if (o.renewer) return o.renewer;
  const r = resolution;
  const clientIdOf = (c: Credential | undefined) =>
    r.clientId ?? tokenFile?.clientId ?? c?.clientId;
  const issuerOf = (c: Credential | undefined) => r.issuer ?? c?.issuer;
  // A service login keeps its secret with the credential; one given on every call does not.
  const secretOf = (c: Credential | undefined) => clientSecret ?? c?.clientSecret;
  // A key login keeps the key file's path (never the key); one given on every call wins.
  const keyOf = (c: Credential | undefined): ClientKeySource | undefined =>
    clientKey ?? (c?.clientKeyFile ? { key: c.clientKeyFile, kid: c.clientKeyId } : undefined);
  return {
    missing: (c) => {
      const issuer = issuerOf(c) !== undefined;
      const client = clientIdOf(c) !== undefined;
      if (issuer && client) return undefined;
      return {
        reason: !issuer && !client
          ? "neither an issuer nor a client id is set to get one with"
          : `no ${issuer ? "client id" : "issuer"} is set to get one with`,
        hint: "log in once: `latchkey login --issuer URL --client-id ID`; or give both to every " +
          "call (the issuer and clientId options, or LATCHKEY_ISSUER and LATCHKEY_CLIENT_ID)",
      };
    },
    canRenew: (c) =>
      issuerOf(c) !== undefined && clientIdOf(c) !== undefined &&
      (c?.refreshToken !== undefined || secretOf(c) !== undefined || keyOf(c) !== undefined),
    renew: async (c) => {
      const provider = await providerFor({
        issuer: issuerOf(c)!,
        clientId: clientIdOf(c)!,
        clientSecret: secretOf(c),
        clientKey: keyOf(c),
      }, o);
      const grants = await import("../oauth/grants.ts");
      // A bound credential proves its key, whatever this process's settings say (a fleet's
      // other machine); a DPoP profile's client credentials renewal makes one.
      const dpop = c?.dpopKey || (r.dpop && !c?.refreshToken)
        ? await (await import("../oauth/dpop.ts")).dpopGrant(provider.config, c?.dpopKey, {
          profile: r.profile,
          mode: r.dpop,
          issuer: issuerOf(c)!,
        })
        : undefined;
      const granted = c?.refreshToken
        ? await grants.refreshGrant(provider, c, { dpop: dpop?.handle })
        : await grants.clientCredentialsGrant(provider, {
          scope: r.scope,
          audience: r.audience,
          dpop: dpop?.handle,
        });
      const next = dpop ? dpop.bind(granted) : granted;
      // What a service login renews with stays with the credential.
      return c?.clientSecret || c?.clientKeyFile
        ? next.with({
          clientSecret: c.clientSecret,
          clientKeyFile: c.clientKeyFile,
          clientKeyId: c.clientKeyId,
        })
        : next;
    },
  };
}
