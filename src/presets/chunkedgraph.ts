/**
 * FrameworkClient's `AuthClient` (the predecessor of CAVEclient), on Latchkey:
 * the token under the key `token` of
 * `~/.cloudvolume/secrets/chunkedgraph-secret.json`, the same instructions,
 * and one shared `fetch` for the client's services.
 *
 * @example
 * ```ts
 * import { chunkedgraph } from "@latchkey/latchkey/presets";
 *
 * const home = await Deno.makeTempDir();
 * const file = `${home}/chunkedgraph-secret.json`;
 * const auth = new chunkedgraph.AuthClient({ tokenFile: file });
 * await auth.saveToken("fake_token_123");
 * if (!((await auth.token()) === "fake_token_123")) {
 *   throw new Error("Expected (await auth.token()) === \"fake_token_123\"");
 * }
 * await Deno.remove(home, { recursive: true });
 * ```
 *
 * @module
 */

import {
  SecretFileClient,
  type SecretFileClientOptions,
  type SecretFilePreset,
} from "./secret_file.ts";

export type {
  GetNewTokenOptions,
  SaveTokenOptions,
  SecretFileClient,
  SecretFileClientOptions,
} from "./secret_file.ts";

/** Options of {@linkcode AuthClient}: `serverAddress`, `tokenFile`, `tokenKey`, `token`, `apiOrigins`. */
export type AuthClientOptions = SecretFileClientOptions;

/** The page that hands out a new token, relative to the server. */
export const TOKEN_PAGE_PATH = "/auth/api/v1/refresh_token";

const PRESET: SecretFilePreset = {
  fileName: "chunkedgraph-secret.json",
  serverFile: false,
  deprecatedFileNames: [],
  tokenPagePath: TOKEN_PAGE_PATH,
  instructions: (url) =>
    `New tokens need to be acquired by hand. Please follow the following steps:
  1) Go to: ${url} to create a new token.
  2) Log in with your Google credentials and copy the token shown afterward.
  3) Save it to your computer with: await client.saveToken("PASTE_YOUR_TOKEN_HERE")
Note: If you need to save or load multiple tokens, please read the documentation for details.
Warning! Creating a new token by finishing step 2 will invalidate the previous token!`,
};

/**
 * FrameworkClient's auth client: loads the saved token, prints how to get a
 * new one, saves it, and authenticates requests to the server and the
 * client's services with one shared `fetch`.
 *
 * @example
 * ```ts
 * import { chunkedgraph } from "@latchkey/latchkey/presets";
 * const auth = new chunkedgraph.AuthClient({ token: "another_fake_token_678" });
 * if (!((await auth.token()) === "another_fake_token_678")) {
 *   throw new Error("Expected (await auth.token()) === \"another_fake_token_678\"");
 * }
 * ```
 */
export class AuthClient extends SecretFileClient {
  /**
   * Makes a client; the token file is read on first use.
   *
   * @param options Server, token file and key, or a token. Defaults: server
   * `https://global.daf-apis.com`, file `~/.cloudvolume/secrets/chunkedgraph-secret.json`,
   * key `token`.
   */
  constructor(options: AuthClientOptions = {}) {
    super(PRESET, options);
  }
}
