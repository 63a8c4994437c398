/**
 * The options of the Descartes Labs preset's `Auth`, as Descartes Labs'
 * `Auth(...)` takes them, and the claims of its access tokens.
 *
 * @module
 */

import type { JwtPayload } from "../jwt.ts";
import type { RetryPolicy } from "./descarteslabs_token.ts";

/** Options of {@linkcode Auth}, as Descartes Labs' `Auth(...)` takes them. */
export interface AuthOptions {
  /**
   * The accounts server. A bare host name means `https:`; `http:` only on loopback.
   *
   * @default {"https://accounts.descarteslabs.com"}
   */
  domain?: string | undefined;
  /** The JWT fields to ask for (sent space-separated as `scope`). */
  scope?: string | readonly string[] | undefined;
  /**
   * Seconds before expiry at which the access token is renewed.
   *
   * @default {500}
   */
  leeway?: number | undefined;
  /**
   * The token_info JSON file; `null` never reads (or writes) one. When not
   * given, `DESCARTESLABS_TOKEN_INFO_PATH` or `~/.descarteslabs/token_info.json`
   * is read, but only when no client id and secret (and no access token) come
   * from the options or the environment. Given together with a client id and
   * secret, those are written to it.
   *
   * @default {"~/.descarteslabs/token_info.json"}
   */
  tokenInfoPath?: string | null | undefined;
  /** The client id (beats `DESCARTESLABS_CLIENT_ID`, which beats the file). */
  clientId?: string | undefined;
  /** The client secret, which is the refresh token (beats `DESCARTESLABS_CLIENT_SECRET`). */
  clientSecret?: string | undefined;
  /** A short-lived access token (beats `DESCARTESLABS_TOKEN`); used until it expires. */
  jwtToken?: string | undefined;
  /** Identical to `clientSecret`; when both are given and differ, this one wins (with a warning). */
  refreshToken?: string | undefined;
  /**
   * Retries of the refresh request: a number, or a policy.
   *
   * @default {5 retries, random backoff between 1 and 10 s}
   */
  retries?: number | RetryPolicy | undefined;
  /**
   * The underlying fetch.
   *
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch | undefined;
}

/** The claims of a Descartes Labs access token. */
export interface TokenPayload extends JwtPayload {
  /** The name of the user. */
  name?: string;
  /** Groups to which the user belongs. */
  groups?: string[];
  /** The organization to which the user belongs. */
  org?: string;
  /** The email address of the user. */
  email?: string;
  /** Whether the user's email has been verified. */
  email_verified?: boolean;
}
