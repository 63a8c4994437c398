/**
 * The three token file formats users already have, detected from content,
 * read, and written back in their own format with unknown keys kept:
 *
 * - OAuth token JSON (freva style): `access_token`, `refresh_token`, expiry…
 * - secret JSON (CAVE / CloudVolume style): `{"token": "…"}` under a key.
 * - token_info JSON (Descartes Labs style): `client_id`, `client_secret` or
 *   `refresh_token`, cached `jwt_token`.
 *
 * @module
 */

import { Credential } from "./credential.ts";
import { credentialFromTokenJson, credentialToTokenJson } from "./credential_json.ts";
import { AuthError } from "./errors.ts";
import { checkCredentialSyntax } from "./token_syntax.ts";
import { stringField } from "./util/json_fields.ts";

/** The formats a token file may have. */
export type TokenFileFormat = "oauth" | "secret" | "token_info";

/** A parsed token file: its format and all its keys, known or not. */
export interface TokenFileData {
  /** The detected format. */
  format: TokenFileFormat;
  /** Every key of the file, as read. */
  data: Record<string, unknown>;
  /** The key that holds the token in a secret JSON file. */
  tokenKey: string;
}

/** Options for reading a token file. */
export interface TokenFileOptions {
  /**
   * The key holding the token in a secret JSON file.
   *
   * @default {"token"}
   */
  tokenKey?: string | undefined;
}

/**
 * Detects the format of a parsed token file.
 *
 * @param data The file's JSON object.
 * @param path The file, for messages.
 * @param options The secret JSON key.
 * @returns The format, data and key.
 * @throws {AuthError} `BAD_TOKEN_FILE` naming the file and the key, never a value.
 *
 * @example
 * ```ts
 * import { detectTokenFile } from "./token_formats.ts";
 * const formats = [
 *   detectTokenFile({ token: "abc" }, "cave-secret.json").format,
 *   detectTokenFile({ refresh_token: "r" }, "t.json").format,
 *   detectTokenFile({ client_id: "c", jwt_token: "j" }, "i.json").format,
 * ].join();
 * if (formats !== "secret,oauth,token_info") throw new Error(`detected ${formats}`);
 * ```
 */
export function detectTokenFile(
  data: Record<string, unknown>,
  path: string,
  options: TokenFileOptions = {},
): TokenFileData {
  const tokenKey = options.tokenKey ?? "token";
  const bad = (detail: string) =>
    new AuthError("BAD_TOKEN_FILE", `Cannot read token file "${path}": ${detail}`);
  const isInfo = "jwt_token" in data || "client_secret" in data ||
    ("client_id" in data && "refresh_token" in data && !("access_token" in data));
  if (isInfo) {
    for (const key of ["client_id", "client_secret", "refresh_token", "jwt_token"]) {
      if (key in data && data[key] !== null && typeof data[key] !== "string") {
        throw bad(`key "${key}" must be a string`);
      }
    }
    if (
      stringField(data.jwt_token) === undefined && stringField(data.client_secret) === undefined &&
      stringField(data.refresh_token) === undefined
    ) {
      throw bad(`key "client_secret", "refresh_token" or "jwt_token" is missing`);
    }
    return { format: "token_info", data, tokenKey };
  }
  if ("access_token" in data || "refresh_token" in data) {
    for (const key of ["access_token", "refresh_token", "id_token", "token_type", "scope"]) {
      if (key in data && data[key] !== null && typeof data[key] !== "string") {
        throw bad(`key "${key}" must be a string`);
      }
    }
    for (const key of ["expires_at", "expires", "expires_in", "issued_at"]) {
      if (key in data && data[key] !== null && typeof data[key] !== "number") {
        throw bad(`key "${key}" must be a number of seconds`);
      }
    }
    if (
      stringField(data.access_token) === undefined && stringField(data.refresh_token) === undefined
    ) {
      throw bad(`key "access_token" or "refresh_token" must be a non-empty string`);
    }
    return { format: "oauth", data, tokenKey };
  }
  if (tokenKey in data) {
    if (stringField(data[tokenKey]) === undefined) {
      throw bad(`key "${tokenKey}" must be a non-empty string`);
    }
    return { format: "secret", data, tokenKey };
  }
  throw bad(
    `no "access_token", "refresh_token", "${tokenKey}" or "jwt_token" key (not a known token file format)`,
  );
}

/** What a token file yields: a credential and, for token_info, the client id. */
export interface TokenFileMaterial {
  /** The credential read from the file. */
  credential: Credential;
  /** The client id named in the file, if any. */
  clientId: string | undefined;
}

/**
 * Reads the credential out of a parsed token file.
 *
 * @param file The parsed file.
 * @param path The file, for messages.
 * @param writtenAt The file's modification time, from which `expires_in` counts.
 * @returns The credential and client id.
 * @throws {AuthError} `CONFLICTING_CREDENTIALS` when a token_info file holds a
 * `client_secret` and a different `refresh_token`; `MALFORMED_TOKEN` when a
 * token cannot be sent (a line break, a space, a non-ASCII character).
 *
 * @example
 * ```ts
 * import { detectTokenFile, tokenFileMaterial } from "./token_formats.ts";
 * const file = detectTokenFile({ client_id: "c", refresh_token: "r" }, "token_info.json");
 * const { credential, clientId } = tokenFileMaterial(file, "token_info.json", Date.now() / 1000);
 * if (clientId !== "c" || credential.refreshToken?.reveal() !== "r") {
 *   throw new Error("the client id and refresh token were not read");
 * }
 * ```
 */
export function tokenFileMaterial(
  file: TokenFileData,
  path: string,
  writtenAt: number,
): TokenFileMaterial {
  const material = readMaterial(file, path, writtenAt);
  checkCredentialSyntax(material.credential, `token file "${path}"`, "input");
  return material;
}

function readMaterial(file: TokenFileData, path: string, writtenAt: number): TokenFileMaterial {
  const { data } = file;
  switch (file.format) {
    case "oauth":
      return {
        credential: credentialFromTokenJson(data, writtenAt),
        clientId: stringField(data.client_id),
      };
    case "secret":
      return {
        credential: new Credential({ accessToken: data[file.tokenKey] as string }),
        clientId: undefined,
      };
    case "token_info": {
      const secret = stringField(data.client_secret);
      const refresh = stringField(data.refresh_token);
      if (secret && refresh && secret !== refresh) {
        throw new AuthError(
          "CONFLICTING_CREDENTIALS",
          `Cannot read token file "${path}": keys "client_secret" and "refresh_token" hold different values`,
          { hint: "keep only one of them" },
        );
      }
      const clientId = stringField(data.client_id);
      return {
        credential: new Credential({
          accessToken: stringField(data.jwt_token),
          refreshToken: refresh ?? secret,
          clientId,
        }),
        clientId,
      };
    }
  }
}

/**
 * Returns the file's keys updated with a new credential, in the file's own
 * format, every other key kept.
 *
 * @param file The parsed file as last read.
 * @param credential The new credential.
 * @returns The new JSON object to write.
 *
 * @example
 * ```ts
 * import { Credential } from "@latchkey/latchkey";
 * import { detectTokenFile, updateTokenFile } from "./token_formats.ts";
 * const file = detectTokenFile({ token: "old", server: "x" }, "cave-secret.json");
 * const data = updateTokenFile(file, new Credential({ accessToken: "new" }));
 * if (data.token !== "new" || data.server !== "x") throw new Error("the token or a kept key is wrong");
 * ```
 */
export function updateTokenFile(
  file: TokenFileData,
  credential: Credential,
): Record<string, unknown> {
  const data = { ...file.data };
  const access = credential.accessToken?.reveal();
  const refresh = credential.refreshToken?.reveal();
  switch (file.format) {
    case "secret":
      if (access) data[file.tokenKey] = access;
      return data;
    case "token_info":
      if (access) data.jwt_token = access;
      if (refresh) {
        if ("client_secret" in data) data.client_secret = refresh;
        if ("refresh_token" in data || !("client_secret" in data)) data.refresh_token = refresh;
      }
      if (credential.clientId && !data.client_id) data.client_id = credential.clientId;
      return data;
    case "oauth": {
      const fresh = credentialToTokenJson(credential);
      const expiryKey = "expires" in data && !("expires_at" in data) ? "expires" : "expires_at";
      if (fresh.expires_at !== undefined && expiryKey === "expires") {
        fresh.expires = fresh.expires_at;
        delete fresh.expires_at;
      }
      if (!credential.refreshToken) delete data.refresh_token;
      // The old expiry belonged to the old access token: a new one without a
      // known expiry must not inherit it (it would read back as expired).
      for (const key of ["expires_at", "expires", "expires_in", "issued_at"]) {
        if (!(key in fresh)) delete data[key];
      }
      return { ...data, ...fresh };
    }
  }
}
