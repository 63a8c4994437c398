/**
 * Presets: one namespace per Python auth client Latchkey replaces, each
 * mirroring that client's documented names in TypeScript form, speaking its
 * service's wire protocol, and reading and writing the same files, keys and
 * variables, so an existing login keeps working.
 *
 * - `cave` — CAVEclient's `AuthClient` (`~/.cloudvolume/secrets/cave-secret.json`)
 * - `chunkedgraph` — FrameworkClient's `AuthClient` (`chunkedgraph-secret.json`)
 * - `descarteslabs` — Descartes Labs' `Auth` (`~/.descarteslabs/token_info.json`)
 * - `freva` — freva-client's `authenticate` (`~/.cache/freva/auth-token.json`)
 * - `anaconda` — anaconda-cloud-auth's `login`, `logout` and `clientFactory`
 *
 * @example
 * ```ts
 * import { cave, descarteslabs } from "@latchkey/latchkey/presets";
 * const auth = new cave.AuthClient({ token: "abcdef1234567890" });
 * if (!((await auth.token()) === "abcdef1234567890")) {
 *   throw new Error("Expected (await auth.token()) === \"abcdef1234567890\"");
 * }
 * if (!(new descarteslabs.Auth().domain === "https://accounts.descarteslabs.com")) {
 *   throw new Error("Expected new descarteslabs.Auth().domain === \"https://accounts.descartes…");
 * }
 * ```
 *
 * @module
 */

export * as anaconda from "./src/presets/anaconda.ts";
export * as cave from "./src/presets/cave.ts";
export * as chunkedgraph from "./src/presets/chunkedgraph.ts";
export * as descarteslabs from "./src/presets/descarteslabs.ts";
export * as freva from "./src/presets/freva.ts";
