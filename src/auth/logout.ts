/**
 * `auth.logout()`: revokes the tokens where the provider allows (RFC 7009),
 * then forgets the credential locally — even if revocation failed.
 *
 * @module
 */

import type { Context } from "./context.ts";
import type { LogoutResult } from "./options.ts";
import { providerFor } from "./renewer.ts";

/**
 * Revokes the session's tokens at the provider, when an issuer and a client
 * id are known (at most 10 s by default, one retry), then forgets the
 * credential.
 *
 * @param context The context of the `Auth`.
 * @returns What was done; a revocation that failed is a warning, not an error.
 *
 * @example Nothing to revoke without an issuer
 * ```ts
 * import { Credential } from "../credential.ts";
 * import { buildContext } from "./context.ts";
 * import { logout } from "./logout.ts";
 * const context = await buildContext({
 *   options: { dotenv: false, envPrefix: [], store: "memory" },
 *   loginToken: () => Promise.reject(new Error("no login here")),
 *   noOrigins() {},
 * });
 * await context.session.save(new Credential({ accessToken: "a" }));
 * const done = await logout(context);
 * if (done.revoked || !done.deleted) throw new Error(JSON.stringify(done));
 * ```
 */
export async function logout(context: Context): Promise<LogoutResult> {
  const { resolution: r, session, clientSecret: given, wiring: { options: o } } = context;
  const c = await session.peek().catch(() => undefined);
  const clientSecret = given ?? c?.clientSecret;
  let revoked = false;
  let warning: string | undefined;
  const issuer = r.issuer ?? c?.issuer;
  const clientId = r.clientId ?? c?.clientId;
  if (c && issuer && clientId) {
    try {
      const provider = await providerFor({ issuer, clientId, clientSecret }, {
        fetch: o.fetch,
        timeout: o.timeout ?? 10,
        retries: 1,
      });
      const { revoke } = await import("../oauth/grants.ts");
      revoked = await revoke(provider, c);
      if (!revoked) {
        warning = "the provider has no revocation endpoint; tokens stay valid until they expire";
      }
    } catch (error) {
      warning = `revocation failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const deleted = await session.forget();
  return { revoked, deleted, warning };
}
