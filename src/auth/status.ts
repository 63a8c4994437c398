/**
 * What `status()` reports, computed from the context and the credential it
 * holds: no I/O here, and never a secret in the result.
 *
 * @module
 */

import type { Credential } from "../credential.ts";
import type { ContextParts } from "./context.ts";
import type { AuthStatus, CredentialSource } from "./options.ts";

/**
 * The status of a context holding a credential (or none). A store-held
 * credential reports the store that holds it (with `auto`, the file or the
 * keychain, known only once read).
 *
 * @param context The settings, the session in use and where its credential comes from.
 * @param credential What the session holds, read from local state.
 * @returns The status.
 *
 * @example
 * ```ts
 * import { buildContext } from "./context.ts";
 * import { statusOf } from "./status.ts";
 * const context = await buildContext({
 *   options: { token: "t0k3n", dotenv: false, envPrefix: [], store: "memory" },
 *   loginToken: () => Promise.reject(new Error("no login here")),
 *   noOrigins() {},
 * });
 * const status = statusOf(context, await context.session.peek());
 * if (status.source !== "option" || !status.loggedIn) throw new Error(JSON.stringify(status));
 * if (JSON.stringify(status).includes("t0k3n")) throw new Error("a secret in the status");
 * ```
 */
export function statusOf(
  context: Pick<ContextParts, "resolution" | "session" | "source">,
  credential: Credential | undefined,
): AuthStatus {
  const { resolution: r, session, source } = context;
  const c = credential;
  const renewable = session.renewable;
  const usable = c?.accessToken !== undefined && !c.isExpired();
  const expiresIn = c?.accessToken ? c.expiresIn() : undefined;
  const kind = session.store.kind;
  const held: CredentialSource = !c && !renewable
    ? "none"
    : source === "file" || source === kind
    ? kind
    : source;
  return {
    profile: r.profile,
    issuer: r.issuer ?? c?.issuer ?? null,
    clientId: r.clientId ?? c?.clientId ?? null,
    source: held,
    path: kind === "file" || kind === "token-file"
      ? session.store.location(session.key) ?? null
      : null,
    loggedIn: usable || renewable,
    expiresAt: c?.accessToken && c.expiresAt !== undefined
      ? new Date(c.expiresAt * 1000).toISOString()
      : null,
    expiresIn: expiresIn ?? null,
    scope: c?.scope ?? r.scope ?? null,
    subject: c?.subject ?? null,
    refreshable: renewable,
    dpop: c?.tokenType === "DPoP" && c.dpopKey !== undefined,
    apiOrigins: [...r.apiOrigins],
  };
}
