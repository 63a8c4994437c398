/**
 * The options of the CAVEclient and FrameworkClient presets (`cave`,
 * `chunkedgraph`): what tells the two apart, and what their constructors,
 * `saveToken` and `getNewToken` take.
 *
 * @module
 */

/** What tells one secret-file client from the other. */
export interface SecretFilePreset {
  /** The default file's name in `~/.cloudvolume/secrets`, e.g. `cave-secret.json`. */
  fileName: string;
  /** Whether `<host>-<fileName>` is preferred when it exists (CAVEclient). */
  serverFile: boolean;
  /** Older names read (with a warning) when the default file is missing. */
  deprecatedFileNames: readonly string[];
  /** The server path of the page that hands out a new token. */
  tokenPagePath: string;
  /** The instructions, given the page's URL. */
  instructions(url: string): string;
}

/** Options of the secret-file clients (`cave.AuthClient`, `chunkedgraph.AuthClient`). */
export interface SecretFileClientOptions {
  /**
   * The global server (the auth service). A bare host name means `https:`;
   * `http:` is accepted on loopback only.
   *
   * @default {"https://global.daf-apis.com"}
   */
  serverAddress?: string | undefined;
  /**
   * The secret JSON file. `~` is expanded.
   *
   * @default {"~/.cloudvolume/secrets/cave-secret.json" (cave) or "~/.cloudvolume/secrets/chunkedgraph-secret.json" (chunkedgraph)}
   */
  tokenFile?: string | undefined;
  /**
   * The key that holds the token in the file.
   *
   * @default {"token"}
   */
  tokenKey?: string | undefined;
  /** A token to use as is; it overrides the file. */
  token?: string | undefined;
  /**
   * Origins of the client's services that receive the token too (the server's
   * own origin always does).
   *
   * @default {[]}
   */
  apiOrigins?: readonly string[] | undefined;
  /** A `User-Agent` for requests made with `fetch`. */
  userAgent?: string | undefined;
  /**
   * The underlying fetch.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch | undefined;
}

/** Options of `saveToken`. */
export interface SaveTokenOptions {
  /**
   * The file to write. `~` is expanded; missing folders are created.
   *
   * @default {the client's token file}
   */
  tokenFile?: string | undefined;
  /**
   * The key to write the token under.
   *
   * @default {the client's token key ("token" unless chosen)}
   */
  tokenKey?: string | undefined;
  /**
   * Replace the key when the file already holds it.
   *
   * @default {false}
   */
  overwrite?: boolean | undefined;
  /**
   * Make the client use the saved token, file and key from now on.
   *
   * @default {true}
   */
  switchToken?: boolean | undefined;
}

/** Options of `getNewToken`. */
export interface GetNewTokenOptions {
  /**
   * Also open the token page in a browser.
   *
   * @default {false}
   */
  open?: boolean | undefined;
  /**
   * Print the steps on stdout (a CLI that keeps stdout for results passes
   * `false` and shows the returned text on stderr).
   *
   * @default {true}
   */
  print?: boolean | undefined;
}
