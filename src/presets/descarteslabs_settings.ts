/**
 * Which credentials, files and token the Descartes Labs preset uses, decided
 * as the Python client decides them: the options, then the `DESCARTESLABS_*`
 * variables, then the token_info file. Pure: the caller reads and writes the
 * file and logs the notes, in the order given; nothing here does I/O.
 *
 * @module
 */

import { decodeJwt } from "../jwt.ts";
import { stringField } from "../util/json_fields.ts";
import type { AuthOptions } from "./descarteslabs_options.ts";

/** Where the documentation explains the ways to authenticate. */
export const AUTHENTICATION_DOCS = "https://docs.descarteslabs.com/authentication.html";

/** What the cache knows: the credentials, its files, and the token to start from. */
export interface CacheSettings {
  /** The client id. */
  clientId: string | undefined;
  /** The client secret (the refresh token). */
  secret: string | undefined;
  /** The file whose `jwt_token` is kept up to date, if any. */
  tokenInfoPath: string | undefined;
  /** The per-client cache file, when no token_info file is in use. */
  cachePath: string | undefined;
  /** Whether the per-client cache file may be read (`DESCARTESLABS_NO_JWT_CACHE`). */
  readCache: boolean;
  /** The access token to start from. */
  jwt: string | undefined;
}

/** A line to log, in order, once a step is done. */
export interface Note {
  /** The logger level. */
  level: "warn" | "debug";
  /** The line. */
  message: string;
}

/** The credential options of `descarteslabs.Auth`. */
export type CredentialOptions = Pick<
  AuthOptions,
  "clientId" | "clientSecret" | "refreshToken" | "jwtToken" | "tokenInfoPath"
>;

/** Reads `DESCARTESLABS_<name>`; `undefined` when unset. */
export type EnvReader = (name: string) => string | undefined;

/**
 * The one value of a client secret and a refresh token, which are the same
 * thing: the refresh token when both are given, with a note when they differ.
 *
 * @param secret The client secret.
 * @param refresh The refresh token.
 * @param names What each is called, for the note.
 * @param notes Where the note goes.
 * @returns The value, if any.
 */
export function oneSecret(
  secret: string | undefined,
  refresh: string | undefined,
  names: [string, string],
  notes: Note[],
): string | undefined {
  if (secret && refresh && secret !== refresh) {
    notes.push({
      level: "warn",
      message: `${names[0]} and ${names[1]} differ: they are the same thing, using ${names[1]}`,
    });
  }
  return refresh ?? secret;
}

/**
 * Why an access token is not usable, if it is not: it must be a JWT with an
 * expiry, issued to `clientId` when one is known.
 *
 * @param token The token.
 * @param clientId The client id in use.
 * @returns The reason (for a debug line), or `undefined` when the token is usable.
 *
 * @example
 * ```ts
 * import { jwtRejection } from "./descarteslabs_settings.ts";
 * const reason = jwtRejection("not-a-jwt", undefined);
 * if (reason !== "discarded an access token that is not a JWT with an expiry") throw new Error(reason);
 * ```
 */
export function jwtRejection(token: string, clientId: string | undefined): string | undefined {
  const payload = decodeJwt(token)?.payload;
  if (payload?.exp === undefined) {
    return "discarded an access token that is not a JWT with an expiry";
  }
  if (clientId !== undefined) {
    const aud = payload.aud;
    const matches = Array.isArray(aud) ? aud.includes(clientId) : aud === clientId;
    if (!matches) return `discarded an access token issued to another client than "${clientId}"`;
  }
  return undefined;
}

function usable(token: string | undefined, clientId: string | undefined, notes: Note[]) {
  if (!token) return undefined;
  const reason = jwtRejection(token, clientId);
  if (reason === undefined) return token;
  notes.push({ level: "debug", message: reason });
  return undefined;
}

/** The credentials from the options and the environment, and the file to read next. */
export interface GivenSettings {
  /** The client id. */
  clientId: string | undefined;
  /** The client secret. */
  secret: string | undefined;
  /** The access token given. */
  jwt: string | undefined;
  /** Whether both a client id and a secret were given. */
  complete: boolean;
  /**
   * The token_info file to read (`~` not yet expanded): the given one, else
   * `DESCARTESLABS_TOKEN_INFO_PATH` or `defaultPath`, when nothing complete
   * came from the options and the environment.
   */
  path: string | undefined;
  /** Lines to log. */
  notes: Note[];
}

/**
 * The first step: credentials from the options, then the environment.
 *
 * @param options The credential options.
 * @param env Reads a `DESCARTESLABS_` variable.
 * @param defaultPath The default token_info file.
 * @returns The given settings.
 *
 * @example
 * ```ts
 * import { givenSettings } from "./descarteslabs_settings.ts";
 * const env = (name: string) => ({ CLIENT_ID: "env-id", CLIENT_SECRET: "s" })[name];
 * const given = givenSettings({ clientId: "id", refreshToken: "r" }, env, "/t.json");
 * if (given.clientId !== "id" || given.secret !== "r" || given.path !== undefined) {
 *   throw new Error("the options beat the environment, and no file is read");
 * }
 * ```
 */
export function givenSettings(
  options: CredentialOptions,
  env: EnvReader,
  defaultPath: string,
): GivenSettings {
  const notes: Note[] = [];
  const variable = (name: string) => stringField(env(name));
  const paramSecret = oneSecret(
    stringField(options.clientSecret),
    stringField(options.refreshToken),
    ["clientSecret", "refreshToken"],
    notes,
  );
  const envSecret = oneSecret(variable("CLIENT_SECRET"), variable("REFRESH_TOKEN"), [
    "DESCARTESLABS_CLIENT_SECRET",
    "DESCARTESLABS_REFRESH_TOKEN",
  ], notes);
  const clientId = stringField(options.clientId) ?? variable("CLIENT_ID");
  const secret = paramSecret ?? envSecret;
  const jwt = stringField(options.jwtToken) ?? variable("TOKEN");
  const complete = clientId !== undefined && secret !== undefined;
  let path: string | undefined;
  if (typeof options.tokenInfoPath === "string") path = options.tokenInfoPath;
  else if (options.tokenInfoPath === undefined && !complete && jwt === undefined) {
    path = variable("TOKEN_INFO_PATH") ?? defaultPath;
  }
  return { clientId, secret, jwt, complete, path, notes };
}

/** What reading the token_info file gave. */
export type FileRead =
  | { data: Record<string, unknown> | undefined; error?: undefined }
  | { data?: undefined; error: unknown };

/** The credentials once the token_info file is read, and what to write to it. */
export interface FileSettings {
  /** The client id. */
  clientId: string | undefined;
  /** The client secret. */
  secret: string | undefined;
  /** The access token in the file. */
  fileJwt: string | undefined;
  /** The file in use. */
  tokenInfoPath: string | undefined;
  /** What to write to the file first (given credentials it does not hold). */
  rewrite: Record<string, unknown> | undefined;
  /** Lines to log. */
  notes: Note[];
}

/**
 * The second step: the given credentials merged with the token_info file.
 * Given complete credentials go to the given file: reused when it holds
 * them, overwritten otherwise. Else the file fills in what is missing, unless
 * it holds another client id.
 *
 * @param given The first step.
 * @param path The file read (expanded), if one was.
 * @param read What reading it gave.
 * @returns The file settings.
 *
 * @example
 * ```ts
 * import { fileSettings, givenSettings } from "./descarteslabs_settings.ts";
 * const given = givenSettings({}, () => undefined, "/t.json");
 * const merged = fileSettings(given, "/t.json", { data: { client_id: "id", refresh_token: "r" } });
 * if (merged.clientId !== "id" || merged.secret !== "r" || merged.tokenInfoPath !== "/t.json") {
 *   throw new Error("the file fills in the credentials");
 * }
 * ```
 */
export function fileSettings(
  given: GivenSettings,
  path: string | undefined,
  read: FileRead,
): FileSettings {
  const notes: Note[] = [];
  let { clientId, secret } = given;
  let fileJwt: string | undefined;
  let tokenInfoPath: string | undefined;
  let rewrite: Record<string, unknown> | undefined;
  const data = read.data;
  if (path !== undefined && given.complete) {
    const fileSecret = data
      ? stringField(data.refresh_token) ?? stringField(data.client_secret)
      : undefined;
    if (data?.client_id === clientId && fileSecret === secret) {
      fileJwt = stringField(data?.jwt_token) ?? stringField(data?.JWT_TOKEN);
    } else {
      rewrite = {
        client_id: clientId,
        client_secret: secret,
        refresh_token: secret,
        ...(usable(given.jwt, clientId, notes) ? { jwt_token: given.jwt } : {}),
      };
    }
    tokenInfoPath = path;
  } else if (path !== undefined) {
    if (!data) {
      const error = read.error;
      const reason = error === undefined || error instanceof Deno.errors.NotFound
        ? "no such file"
        : error instanceof Error
        ? error.message
        : String(error);
      notes.push({ level: "warn", message: `unable to read token_info from "${path}": ${reason}` });
    } else {
      const fileId = stringField(data.client_id);
      const fileSecret = oneSecret(
        stringField(data.client_secret),
        stringField(data.refresh_token),
        [`"client_secret" in "${path}"`, `"refresh_token"`],
        notes,
      );
      if (clientId === undefined || fileId === undefined || fileId === clientId) {
        clientId ??= fileId;
        secret ??= fileSecret;
        fileJwt = stringField(data.jwt_token) ?? stringField(data.JWT_TOKEN);
        tokenInfoPath = path;
      } else {
        notes.push({
          level: "debug",
          message: `ignored "${path}": it holds another client id than "${clientId}"`,
        });
      }
    }
  }
  return { clientId, secret, fileJwt, tokenInfoPath, rewrite, notes };
}

/**
 * The last step: the access token to start from (the given one, else the
 * file's, when usable) and whether the per-client cache file may be read.
 *
 * @param given The first step.
 * @param file The second step.
 * @param env Reads a `DESCARTESLABS_` variable.
 * @returns The cache settings without `cachePath` (the caller derives it from the secret),
 * and the lines to log.
 *
 * @example
 * ```ts
 * import { fileSettings, givenSettings, tokenSettings } from "./descarteslabs_settings.ts";
 * const env = (name: string) => ({ NO_JWT_CACHE: "1" })[name];
 * const given = givenSettings({ tokenInfoPath: null }, env, "/t.json");
 * const { settings, notes } = tokenSettings(given, fileSettings(given, undefined, { data: undefined }), env);
 * if (settings.readCache || settings.jwt !== undefined) throw new Error("no cache and no token");
 * if (notes[0]?.level !== "warn") throw new Error("no credentials at all is a warning");
 * ```
 */
export function tokenSettings(
  given: GivenSettings,
  file: FileSettings,
  env: EnvReader,
): { settings: Omit<CacheSettings, "cachePath">; notes: Note[] } {
  const notes: Note[] = [];
  const { clientId, secret, tokenInfoPath } = file;
  const noCache = /^(true|1|yes)$/i.test(stringField(env("NO_JWT_CACHE")) ?? "");
  const jwt = usable(given.jwt, clientId, notes) ?? usable(file.fileJwt, clientId, notes);
  if (jwt === undefined && secret === undefined) {
    notes.push({
      level: "warn",
      message: `no valid authentication info found: see ${AUTHENTICATION_DOCS}`,
    });
  }
  return { settings: { clientId, secret, tokenInfoPath, readCache: !noCache, jwt }, notes };
}
