/**
 * The syntax a token must have to be sent: a header value of visible ASCII
 * (0x21–0x7E) without spaces — RFC 6750's `b64token` and every character
 * real providers put in opaque tokens (`.`, `_`, `-`, `~`, `+`, `/`, `=`,
 * `:`, `|`, `!`…). A token read from anywhere (an option, the environment,
 * `.env`, a token file, a store, a provider's answer) is checked where it is
 * read, so a stray newline or space is refused with the source named, never
 * sent, and never quoted back by the runtime's `Invalid header value` error.
 *
 * @module
 */

import type { Credential } from "./credential.ts";
import { MalformedTokenError, type TokenOrigin } from "./errors.ts";
import type { Secret } from "./secret.ts";

/** What kind of secret is checked, for messages. */
export type TokenKind = "access token" | "refresh token" | "ID token" | "client secret";

/** Visible ASCII, no space: what a header value may hold as a token. */
const TOKEN = /^[\x21-\x7E]+$/;
/** RFC 6749's VSCHAR (a client secret may hold a space; it is form-encoded, never a header). */
const VSCHAR = /^[\x20-\x7E]+$/;

/** The first character a token may not hold, described without the value. */
function offence(value: string, allowSpace: boolean): string | undefined {
  if ((allowSpace ? VSCHAR : TOKEN).test(value)) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const at = `at character ${i + 1}`;
    if (c === 0x0a || c === 0x0d) return `a line break ${at}`;
    if (c === 0x09) return `a tab ${at}`;
    if (c === 0x20 && !allowSpace) return `a space ${at}`;
    if (c === 0x00) return `a NUL character ${at}`;
    if (c < 0x20 || c === 0x7f) return `a control character ${at}`;
    if (c > 0x7e) return `a non-ASCII character ${at}`;
  }
  return undefined;
}

/**
 * Refuses a token that cannot be sent as a header value. The message names
 * the source and what is wrong (e.g. "a line break at character 41"), never
 * the value.
 *
 * @param value The token.
 * @param source Where it was read, for the message: `environment variable
 * "LATCHKEY_TOKEN"`, `token file "t.json"`, `the provider's token response`.
 * @param options What the token is and where it came from.
 * @returns The value, when it is well formed.
 * @throws {MalformedTokenError} `MALFORMED_TOKEN`.
 *
 * @example
 * ```ts
 * import { MalformedTokenError } from "@latchkey/latchkey";
 * import { checkTokenSyntax } from "./token_syntax.ts";
 * checkTokenSyntax("eyJhbGciOi.J9x_-~+/=", 'environment variable "LATCHKEY_TOKEN"');
 * try {
 *   checkTokenSyntax("abc\n", 'environment variable "LATCHKEY_TOKEN"');
 *   throw new Error("a newline is refused");
 * } catch (error) {
 *   if (!(error instanceof MalformedTokenError)) throw error;
 * }
 * ```
 */
export function checkTokenSyntax(
  value: string,
  source: string,
  options: { kind?: TokenKind; origin?: TokenOrigin } = {},
): string {
  const kind = options.kind ?? "access token";
  const problem = offence(value, kind === "client secret");
  if (problem === undefined) return value;
  const origin = options.origin ?? "input";
  throw new MalformedTokenError(
    `Refusing the ${kind} from ${source}: it holds ${problem}`,
    origin,
    {
      hint: origin === "provider"
        ? "the provider sent a token that cannot be used in a header; report it to its operator"
        : origin === "store"
        ? "log in again to replace it"
        : "remove the stray characters (a trailing newline?) and try again",
    },
  );
}

function checkSecret(
  value: Secret | undefined,
  source: string,
  kind: TokenKind,
  origin: TokenOrigin,
): void {
  if (value !== undefined) checkTokenSyntax(value.reveal(), source, { kind, origin });
}

/**
 * Refuses a credential whose access or refresh token (or client secret)
 * cannot be sent: {@linkcode checkTokenSyntax} on each.
 *
 * @param credential The credential just read.
 * @param source Where it was read, for the message.
 * @param origin Where it came from.
 * @returns The credential, when it is well formed.
 * @throws {MalformedTokenError} `MALFORMED_TOKEN`.
 *
 * @example
 * ```ts
 * import { Credential } from "@latchkey/latchkey";
 * import { checkCredentialSyntax } from "./token_syntax.ts";
 * const credential = new Credential({ accessToken: "t0ken", refreshToken: "r3fresh" });
 * if (checkCredentialSyntax(credential, "the example", "input") !== credential) throw new Error("kept");
 * ```
 */
export function checkCredentialSyntax(
  credential: Credential,
  source: string,
  origin: TokenOrigin = "input",
): Credential {
  checkSecret(credential.accessToken, source, "access token", origin);
  checkSecret(credential.refreshToken, source, "refresh token", origin);
  checkSecret(credential.clientSecret, source, "client secret", origin);
  return credential;
}
