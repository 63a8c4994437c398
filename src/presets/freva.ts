/**
 * freva-client's `authenticate`, on Latchkey: the same token JSON, the same
 * files (the given token file and freva's default
 * `~/.cache/freva/auth-token.json`, or `FREVA_TOKEN_FILE`), the same
 * strategy (use the access token while it is valid beyond 60 s, else refresh,
 * else log in interactively where a person is present, else fail) and the
 * same wire protocol (a form POST of `refresh-token` to
 * `{host}/api/freva-nextgen/auth/v2/token`).
 *
 * @example Batch mode: refresh from a token file, without any prompt
 * ```ts ignore
 * import { freva } from "@latchkey/latchkey/presets";
 * const token = await freva.authenticate({ tokenFile: "~/.freva-login-token.json", host: "freva.example.org" });
 * console.log(token.access_token);
 * ```
 *
 * @module
 */

export {
  authenticate,
  type AuthenticateOptions,
  BATCH_VARIABLES,
  EXPIRY_BUFFER,
  isInteractive,
} from "./freva_client.ts";
export { AUTH_PATH } from "./freva_protocol.ts";
export { defaultTokenFile, loadToken, type Token } from "./freva_token_file.ts";
