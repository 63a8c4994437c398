/**
 * Latchkey gets a program or a person authenticated to a web service and
 * keeps them authenticated: one credential resolver (options → environment →
 * `.env` → token file → store → interactive login) and one authenticated
 * `fetch`, for any OpenID / OAuth 2 service.
 *
 * @example
 * ```ts
 * import { Auth } from "@latchkey/latchkey";
 * const auth = new Auth({ token: "example-token", dotenv: false, apiOrigins: ["https://api.example.org"] });
 * const status = await auth.status();
 * if (!status.loggedIn || status.source !== "option") throw new Error(JSON.stringify(status));
 * ```
 *
 * @module
 */

export { Auth } from "./src/auth.ts";
export type {
  AuthOptions,
  AuthStatus,
  CredentialSource,
  LoginFlow,
  LoginOptions,
  LogoutResult,
  TokenOptions,
} from "./src/auth/options.ts";
export { getDefaultAuth, setDefaultAuth } from "./src/auth/default.ts";
export {
  type LatchkeyConfig,
  type Profile,
  readConfig,
  removeProfile,
  saveProfile,
  setDefaultProfile,
} from "./src/config.ts";
export { Credential, type CredentialInit } from "./src/credential.ts";
export { credentialFromTokenJson, credentialToTokenJson } from "./src/credential_json.ts";
export {
  AUTH_ERROR_CODES,
  AuthError,
  type AuthErrorCode,
  type AuthErrorOptions,
  LoginRequiredError,
  MalformedTokenError,
  OAuthError,
  type OAuthErrorOptions,
  TokenExpiredError,
  type TokenOrigin,
} from "./src/errors.ts";
export type { JwtPayload } from "./src/jwt.ts";
export { type Logger, setLogger } from "./src/log.ts";
export { defaultPrompt, type LoginPrompt, type PromptHandler, promptText } from "./src/prompt.ts";
export { Secret } from "./src/secret.ts";
export { hideSecretEnvironment, secretEnvGet } from "./src/secret_env.ts";
export { type Renewer, Session, type SessionOptions, type TokenRequest } from "./src/session.ts";
export { FileStore, type FileStoreOptions } from "./src/store/file.ts";
export {
  Keychain,
  type KeychainItemOptions,
  type KeychainOptions,
} from "./src/store/keychain/keychain.ts";
export { AutoStore, type AutoStoreOptions } from "./src/store/auto.ts";
export { KeyringStore, type KeyringStoreOptions } from "./src/store/keyring.ts";
export { MemoryStore } from "./src/store/memory.ts";
export { TokenFileStore, type TokenFileStoreOptions } from "./src/store/token_file.ts";
export { STORE_NAMES, type StoreKind, type StoreName } from "./src/store/names.ts";
export type { CredentialStore, DeleteOptions, WriteOptions } from "./src/store/types.ts";
export type { TokenFileFormat } from "./src/token_formats.ts";
