/**
 * anaconda-cloud-auth, on Latchkey: `login` (browser login, or the deprecated
 * password flow) that mints an API key and keeps it where anaconda's `keyring`
 * looks (service `Anaconda Cloud`, user = the auth domain, value = base64 of
 * `{"api_key", "username", "domain"}`), `logout`, and `clientFactory` for a
 * client that loads the key on every request. Settings come from the
 * `ANACONDA_CLOUD_` variables and a `.env` in the current folder, so one
 * login serves both clients.
 *
 * @example
 * ```ts ignore
 * import { anaconda } from "@latchkey/latchkey/presets";
 * await anaconda.login();                 // no action while a valid key exists
 * const Client = anaconda.clientFactory("my-app/1.0");
 * const response = await new Client().get("/api/account");
 * console.log(await response.json());
 * ```
 *
 * @module
 */

export {
  AutoKeyring,
  FileKeyring,
  type Keyring,
  SystemKeyring,
  type SystemKeyringOptions,
} from "./anaconda_keyring.ts";
export {
  API_KEY_SCOPES,
  type Config,
  type ConfigOptions,
  DEFAULT_API_DOMAIN,
  DEFAULT_AUTH_DOMAIN,
  DEFAULT_CLIENT_ID,
  DEFAULT_REDIRECT_URI,
  type KeyOptions,
  KEYRING_NAME,
  type KeyringChoice,
  loadConfig,
  loadTokenInfo,
  LOGIN_SCOPE,
  type TokenInfo,
} from "./anaconda_config.ts";
export { login, type LoginOptions, logout } from "./anaconda_login.ts";
export {
  BaseClient,
  clientFactory,
  type ClientOptions,
  type ClientRequestInit,
} from "./anaconda_client.ts";
