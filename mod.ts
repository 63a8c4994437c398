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
  configPath,
  type LatchkeyConfig,
  type Profile,
  readConfig,
  removeProfile,
  saveProfile,
  setDefaultProfile,
} from "./src/config.ts";
export {
  Credential,
  credentialFromStoredJson,
  credentialFromTokenJson,
  type CredentialInit,
  credentialToStoredJson,
  credentialToTokenJson,
} from "./src/credential.ts";
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
export { assertAllowedOrigin, type AuthFetchOptions, createAuthFetch } from "./src/fetch.ts";
export { backoffDelay, type BackoffOptions, parseRetryAfter } from "./src/http/retry.ts";
export { type Challenge, parseWwwAuthenticate } from "./src/http/www_authenticate.ts";
export { ENV_KEYS, type EnvKey, type EnvSnapshot, type EnvValue } from "./src/env.ts";
export { type DecodedJwt, decodeJwt, type JwtPayload } from "./src/jwt.ts";
export { type Logger, setLogger } from "./src/log.ts";
export { openBrowser } from "./src/open.ts";
export { defaultPrompt, type LoginPrompt, type PromptHandler, promptText } from "./src/prompt.ts";
export {
  type DirectMaterial,
  type Resolution,
  type ResolverInput,
  resolveSettings,
} from "./src/resolve.ts";
export { redact, Secret } from "./src/secret.ts";
export { hideSecretEnvironment, secretEnvGet } from "./src/secret_env.ts";
export { checkCredentialSyntax, checkTokenSyntax, type TokenKind } from "./src/token_syntax.ts";
export { type Renewer, Session, type SessionOptions, type TokenRequest } from "./src/session.ts";
export { FileStore, type FileStoreOptions } from "./src/store/file.ts";
export {
  Keychain,
  type KeychainItemOptions,
  type KeychainOptions,
  KEYRING_TIMEOUT,
} from "./src/store/keychain.ts";
export {
  AutoStore,
  type AutoStoreOptions,
  keyringAnswers,
  KeyringStore,
  type KeyringStoreOptions,
} from "./src/store/keyring.ts";
export { MemoryStore } from "./src/store/memory.ts";
export { TokenFileStore, type TokenFileStoreOptions } from "./src/store/token_file.ts";
export { STORE_NAMES, type StoreKind, type StoreName } from "./src/store/names.ts";
export type { CredentialStore, DeleteOptions, WriteOptions } from "./src/store/types.ts";
export {
  detectTokenFile,
  type TokenFileData,
  type TokenFileFormat,
  type TokenFileMaterial,
  tokenFileMaterial,
  type TokenFileOptions,
  updateTokenFile,
} from "./src/token_file.ts";
