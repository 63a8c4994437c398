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
 * console.assert(status.loggedIn && status.source === "option");
 * ```
 *
 * @module
 */

export {
  Auth,
  type AuthOptions,
  type AuthStatus,
  getDefaultAuth,
  type LoginFlow,
  type LoginOptions,
  type LogoutResult,
  setDefaultAuth,
} from "./src/auth.ts";
export {
  configPath,
  type LatchkeyConfig,
  type Profile,
  readConfig,
  removeProfile,
  saveProfile,
  setDefaultProfile,
  STORE_NAMES,
  type StoreName,
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
  type CredentialSource,
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
} from "./src/store/keychain/keychain.ts";
export { AutoStore, type AutoStoreOptions, keyringAnswers } from "./src/store/auto.ts";
export { KeyringStore, type KeyringStoreOptions } from "./src/store/keyring.ts";
export { MemoryStore } from "./src/store/memory.ts";
export { TokenFileStore, type TokenFileStoreOptions } from "./src/store/token_file.ts";
export type { CredentialStore, DeleteOptions, StoreKind, WriteOptions } from "./src/store/types.ts";
export {
  detectTokenFile,
  type TokenFileData,
  type TokenFileFormat,
  type TokenFileMaterial,
  tokenFileMaterial,
  type TokenFileOptions,
  updateTokenFile,
} from "./src/token_formats.ts";
