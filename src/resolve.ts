/**
 * The credential resolver: where each setting and the credential come from,
 * first match wins — explicit options, environment, `.env`, a token file, the
 * profile's store, then (only when allowed) an interactive login.
 *
 * This module is pure: it decides from snapshots of the options, environment,
 * `.env` and config, so every rule is tested without touching the machine.
 *
 * @module
 */

import type { AuthOptions, CredentialSource } from "./auth/options.ts";
import type { LatchkeyConfig, Profile } from "./config.ts";
import type { EnvKey, EnvSnapshot } from "./env.ts";
import { AuthError } from "./errors.ts";
import type { ClientKeySource } from "./oauth/discovery.ts";
import { Secret } from "./secret.ts";
import { isStoreName, STORE_NAMES, type StoreName } from "./store/names.ts";
import { checkTokenSyntax, type TokenKind } from "./token_syntax.ts";
import { normalizeIssuer, normalizeOrigin } from "./url.ts";

/** The options the resolver reads: those of `AuthOptions`, with a store named. */
export type ResolverInput =
  & Pick<
    AuthOptions,
    | "profile"
    | "issuer"
    | "clientId"
    | "clientSecret"
    | "clientKey"
    | "clientKeyId"
    | "dpop"
    | "refreshToken"
    | "token"
    | "scope"
    | "audience"
    | "apiOrigins"
    | "tokenFile"
    | "redisUrl"
    | "kvPath"
  >
  & {
    /** The store name. */
    store?: StoreName | undefined;
  };

/** Secret material given directly (options, environment or `.env`). */
export interface DirectMaterial {
  /** The rank it came from. */
  source: Extract<CredentialSource, "option" | "env" | "dotenv">;
  /** An access token. */
  accessToken?: Secret;
  /** A refresh token. */
  refreshToken?: Secret;
  /** A client secret (for the client credentials grant). */
  clientSecret?: Secret;
  /** A client key (`private_key_jwt`), instead of a secret. */
  clientKey?: ClientKeySource;
}

/** Everything the resolver settled, before any file or store is read. */
export interface Resolution {
  /** The profile name. */
  profile: string;
  /** The profile's saved settings (empty when it is not saved). */
  saved: Profile;
  /** The issuer, normalised. */
  issuer: string | undefined;
  /** The client id. */
  clientId: string | undefined;
  /** The scope. */
  scope: string | undefined;
  /** The audience. */
  audience: string | undefined;
  /** The origins that receive the token. */
  apiOrigins: string[];
  /** DPoP: `false`, `true` (bearer fallback with a warning) or `"required"`. */
  dpop: boolean | "required";
  /** The store. */
  store: StoreName;
  /** Redis URL for the `redis` store. */
  redisUrl: string | undefined;
  /** Path or URL for the `kv` store. */
  kvPath: string | undefined;
  /** A token file to read (rank 4), with where its name came from. */
  tokenFile: { path: string; from: DirectMaterial["source"] } | undefined;
  /** Secret material from ranks 1–3, if any. */
  material: DirectMaterial | undefined;
  /** Where each setting came from, for `-v` output (never values). */
  origins: Partial<Record<string, CredentialSource | "profile">>;
}

/** The ranks that give secret material directly: options, environment, `.env`. */
type Rank = DirectMaterial["source"];

/** The rank a setting came from, when it came from one (not from the saved profile). */
function rankOf(origin: CredentialSource | "profile" | undefined): Rank | undefined {
  return origin === "option" || origin === "env" || origin === "dotenv" ? origin : undefined;
}

function asSecret(value: string | Secret | undefined): Secret | undefined {
  if (value === undefined || value === "") return undefined;
  return typeof value === "string" ? new Secret(value) : value;
}

/** The options that hold secret material, and what each holds. */
const OPTION_KINDS = [
  ["token", "access token"],
  ["refreshToken", "refresh token"],
  ["clientSecret", "client secret"],
] as const satisfies readonly (readonly [keyof ResolverInput, TokenKind])[];

/** Refuses an option's token that cannot be sent, naming the option, never the value. */
function checkOptions(options: ResolverInput): void {
  for (const [option, kind] of OPTION_KINDS) {
    const given = options[option];
    const value = typeof given === "string" ? given : given?.reveal();
    if (value) checkTokenSyntax(value, `the "${option}" option`, { kind, origin: "input" });
  }
}

/**
 * Settles settings and secret material from options, environment, `.env` and
 * the saved config, following the contract's precedence.
 *
 * @param options Explicit options (rank 1).
 * @param env The environment (rank 2).
 * @param dotenv The `.env` file (rank 3).
 * @param config The saved profiles.
 * @returns The resolution.
 * @throws {AuthError} `CONFIG_INVALID`, `INSECURE_URL`, `MALFORMED_TOKEN` (a token
 * option that cannot be sent).
 *
 * @example Options beat the environment
 * ```ts
 * import { resolveSettings } from "./resolve.ts";
 * const r = resolveSettings(
 *   { token: "from-option" },
 *   { TOKEN: { value: "from-env", name: "LATCHKEY_TOKEN" } },
 *   {},
 *   { profiles: {} },
 * );
 * if (r.material?.source !== "option" || r.material.accessToken?.reveal() !== "from-option") {
 *   throw new Error("the option wins");
 * }
 * ```
 */
export function resolveSettings(
  options: ResolverInput,
  env: EnvSnapshot,
  dotenv: EnvSnapshot,
  config: LatchkeyConfig,
): Resolution {
  checkOptions(options);
  const origins: Resolution["origins"] = {};
  const pick = (key: EnvKey, option: string | undefined, saved?: string) => {
    const field = key.toLowerCase();
    if (option !== undefined && option !== "") {
      origins[field] = "option";
      return option;
    }
    if (env[key]) {
      origins[field] = "env";
      return env[key].value;
    }
    if (dotenv[key]) {
      origins[field] = "dotenv";
      return dotenv[key].value;
    }
    if (saved !== undefined) origins[field] = "profile";
    return saved;
  };

  const profile = pick("PROFILE", options.profile, config.default) ?? "default";
  const saved: Profile = config.profiles[profile] ?? {};
  const issuerText = pick("ISSUER", options.issuer, saved.issuer);
  const storeText = pick("STORE", options.store, saved.store) ?? "auto";
  if (!isStoreName(storeText)) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Invalid store "${storeText}": expected one of ${STORE_NAMES.join(", ")}`,
    );
  }
  const tokenFileText = pick("TOKEN_FILE", options.tokenFile);
  const tokenFileFrom = rankOf(origins.token_file);

  return {
    profile,
    saved,
    issuer: issuerText === undefined ? undefined : normalizeIssuer(issuerText),
    clientId: pick("CLIENT_ID", options.clientId, saved.clientId),
    scope: pick("SCOPE", options.scope, saved.scope),
    audience: options.audience ?? saved.audience,
    apiOrigins: (options.apiOrigins ?? saved.apiOrigins ?? []).map(normalizeOrigin),
    dpop: options.dpop ?? saved.dpop ?? false,
    store: storeText,
    redisUrl: pick("REDIS_URL", options.redisUrl),
    kvPath: pick("KV_PATH", options.kvPath),
    tokenFile: tokenFileText && tokenFileFrom
      ? { path: tokenFileText, from: tokenFileFrom }
      : undefined,
    material: directMaterial(options, env, dotenv),
    origins,
  };
}

/**
 * The secret material of the highest rank that has any. Secrets are not
 * mixed across ranks (an option's token never pairs with the environment's
 * refresh token); non-secret settings such as the client id are.
 */
function directMaterial(
  options: ResolverInput,
  env: EnvSnapshot,
  dotenv: EnvSnapshot,
): DirectMaterial | undefined {
  const ranks: [
    Rank,
    (string | Secret | undefined)[],
    string | CryptoKey | undefined,
    string | undefined,
  ][] = [
    [
      "option",
      [options.token, options.refreshToken, options.clientSecret],
      options.clientKey || undefined,
      options.clientKeyId,
    ],
    [
      "env",
      [env.TOKEN?.value, env.REFRESH_TOKEN?.value, env.CLIENT_SECRET?.value],
      env.CLIENT_KEY?.value || undefined,
      env.CLIENT_KEY_ID?.value,
    ],
    [
      "dotenv",
      [dotenv.TOKEN?.value, dotenv.REFRESH_TOKEN?.value, dotenv.CLIENT_SECRET?.value],
      dotenv.CLIENT_KEY?.value || undefined,
      dotenv.CLIENT_KEY_ID?.value,
    ],
  ];
  for (const [source, [token, refresh, secret], key, kid] of ranks) {
    const material: DirectMaterial = { source };
    const accessToken = asSecret(token);
    const refreshToken = asSecret(refresh);
    const clientSecret = asSecret(secret);
    if (accessToken) material.accessToken = accessToken;
    if (refreshToken) material.refreshToken = refreshToken;
    if (clientSecret) material.clientSecret = clientSecret;
    if (key !== undefined) material.clientKey = { key, kid: kid || undefined };
    if (accessToken || refreshToken || clientSecret || key !== undefined) return material;
  }
  return undefined;
}
