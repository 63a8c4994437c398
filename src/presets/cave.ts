/**
 * CAVEclient's `AuthClient` (`client.auth`), on Latchkey: the same token file
 * (`~/.cloudvolume/secrets/cave-secret.json`, or `<host>-cave-secret.json`
 * when it exists, else the deprecated `chunkedgraph-secret.json`), the same
 * key, the same instructions, so an existing CAVE token keeps working.
 *
 * @example First use, then every use after
 * ```ts
 * import { cave } from "@latchkey/latchkey/presets";
 *
 * const home = await Deno.makeTempDir();
 * const file = `${home}/cave-secret.json`;
 * const auth = new cave.AuthClient({ tokenFile: file });
 * if (!((await auth.token()) === undefined)) {
 *   throw new Error("Expected (await auth.token()) === undefined");
 * }
 * await auth.saveToken("abcdef1234567890");
 * if (!((await new cave.AuthClient({ tokenFile: file }).token()) === "abcdef1234567890")) {
 *   throw new Error("Expected (await new cave.AuthClient({ tokenFile: file }).token()) === \"a…");
 * }
 * if (!(await Deno.readTextFile(file) === '{"token": "abcdef1234567890"}')) {
 *   throw new Error("Expected await Deno.readTextFile(file) === '{\"token\": \"abcdef123456789…");
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

/** The page that creates a new token, relative to the server. */
export const TOKEN_PAGE_PATH = "/auth/api/v1/create_token";

const PRESET: SecretFilePreset = {
  fileName: "cave-secret.json",
  serverFile: true,
  deprecatedFileNames: ["chunkedgraph-secret.json"],
  tokenPagePath: TOKEN_PAGE_PATH,
  instructions: (url) =>
    `New tokens need to be acquired by hand. Please follow the following steps:
  1) Go to: ${url} to create a new token.
  2) Log in with your Google credentials and copy the token shown afterward.
  3a) Save it to your computer with: await client.saveToken("PASTE_YOUR_TOKEN_HERE")
  or
  3b) Set it for the current session only with: new cave.AuthClient({ token: "PASTE_YOUR_TOKEN_HERE" })
Note: If you need to save or load multiple tokens, please read the documentation for details.
Warning! Creating a new token by finishing step 2 will invalidate the previous token!`,
};

/**
 * CAVEclient's auth client: loads the saved token, prints how to get a new
 * one, saves it, and authenticates requests to the server and the client's
 * services with one shared `fetch`.
 *
 * @example An explicit token overrides the saved one
 * ```ts
 * import { cave } from "@latchkey/latchkey/presets";
 * const auth = new cave.AuthClient({ token: "another_fake_token_678" });
 * if (!((await auth.token()) === "another_fake_token_678")) {
 *   throw new Error("Expected (await auth.token()) === \"another_fake_token_678\"");
 * }
 * if (!((await auth.requestHeader()).Authorization === "Bearer another_fake_token_678")) {
 *   throw new Error("Expected (await auth.requestHeader()).Authorization === \"Bearer another_…");
 * }
 * ```
 */
export class AuthClient extends SecretFileClient {
  /**
   * Makes a client; the token file is read on first use.
   *
   * @param options Server, token file and key, or a token. Defaults: server
   * `https://global.daf-apis.com`, file `~/.cloudvolume/secrets/cave-secret.json`, key `token`.
   */
  constructor(options: AuthClientOptions = {}) {
    super(PRESET, options);
  }
}
