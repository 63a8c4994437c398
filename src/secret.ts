/**
 * A wrapper that keeps a secret out of logs, `JSON.stringify` and
 * `Deno.inspect`.
 *
 * @module
 */

const REDACTED = "***";

/** The shortest value {@linkcode redactKnownSecrets} replaces: shorter ones are no real secret. */
const MIN_KNOWN = 8;
/** How many secret values the process remembers (the oldest are forgotten first). */
const MAX_KNOWN = 1024;
const known = new Set<string>();

/**
 * Holds a secret string. Every way of turning it into text — `String()`,
 * template literals, `JSON.stringify`, `Deno.inspect`, `console.log` —
 * shows `***`. Only {@linkcode Secret.prototype.reveal} returns the value.
 *
 * @example
 * ```ts
 * import { Secret } from "@latchkey/latchkey";
 * const s = new Secret("hunter2");
 * if (!(`${s}` === "***" && JSON.stringify({ s }) === '{"s":"***"}')) {
 *   throw new Error("Expected `${s}` === \"***\" && JSON.stringify({ s }) === '{\"s\":\"***\"}'");
 * }
 * if (!(s.reveal() === "hunter2")) throw new Error("Expected s.reveal() === \"hunter2\"");
 * ```
 */
export class Secret {
  #value: string;

  /**
   * Wraps a secret value.
   *
   * @param value The secret.
   */
  constructor(value: string) {
    this.#value = value;
    rememberSecret(value);
  }

  /**
   * Returns the secret itself. Call it only where the value leaves the
   * process on purpose (an `Authorization` header, a 0600 file, stdout of
   * `latchkey token`).
   *
   * @returns The secret value.
   */
  reveal(): string {
    return this.#value;
  }

  /**
   * Compares with another secret or string in constant time.
   *
   * @param other The value to compare with.
   * @returns Whether both hold the same value.
   */
  equals(other: Secret | string | undefined): boolean {
    if (other === undefined) return false;
    const a = new TextEncoder().encode(this.#value);
    const b = new TextEncoder().encode(typeof other === "string" ? other : other.reveal());
    let diff = a.length ^ b.length;
    for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
    return diff === 0;
  }

  /**
   * Shows `***`, never the secret.
   *
   * @returns `***`
   */
  toString(): string {
    return REDACTED;
  }

  /**
   * A JSON view without secrets.
   *
   * @returns `***`
   */
  toJSON(): string {
    return REDACTED;
  }

  /**
   * Shows `***` in template literals and concatenation.
   *
   * @returns `***`
   */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  /**
   * What `Deno.inspect` and `console.log` show: no secrets.
   *
   * @returns `Secret(***)`
   */
  [Symbol.for("Deno.customInspect")](): string {
    return `Secret(${REDACTED})`;
  }

  /**
   * What Node's `util.inspect` shows: no secret.
   *
   * @returns `Secret(***)`
   */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * Replaces every occurrence of the given secrets in a text with `***`. Used on
 * messages that quote a provider's answer, which may echo a token back.
 *
 * @param text The text to clean.
 * @param secrets The secrets that must not appear.
 * @returns The text without the secrets.
 *
 * @example
 * ```ts
 * import { Secret } from "@latchkey/latchkey";
 * import { redact } from "./secret.ts";
 * if (!(redact("token abcd1234 refused", [new Secret("abcd1234")]) === "token *** refused")) {
 *   throw new Error("Expected redact(\"token abcd1234 refused\", [new Secret(\"abcd1234\")])…");
 * }
 * ```
 */
export function redact(text: string, secrets: Iterable<Secret | string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    const value = typeof s === "string" ? s : s?.reveal();
    if (value && value.length >= 4) out = out.split(value).join(REDACTED);
  }
  return out;
}

/**
 * Remembers a secret value of this process, so that
 * {@linkcode redactKnownSecrets} takes it out of any text. Every
 * {@linkcode Secret} is remembered when made; the CLI adds the secret
 * variables of its environment. Values shorter than 8 characters are not
 * remembered, and only the latest 1024 are kept.
 *
 * @param value The secret.
 *
 * @example
 * ```ts
 * import { redactKnownSecrets, rememberSecret } from "./secret.ts";
 * rememberSecret("s3cr3t-value-for-the-example");
 * if (redactKnownSecrets("got s3cr3t-value-for-the-example") !== "got ***") throw new Error("redacted");
 * ```
 */
export function rememberSecret(value: string): void {
  if (value.length < MIN_KNOWN) return;
  known.delete(value);
  known.add(value);
  if (known.size > MAX_KNOWN) known.delete(known.values().next().value!);
}

/**
 * Replaces every secret value this process knows ({@linkcode rememberSecret},
 * every {@linkcode Secret} made) with `***`: the last line of defense for
 * messages Latchkey does not write itself, such as the runtime's
 * `Invalid header value: "Bearer …"`.
 *
 * @param text The text to clean.
 * @returns The text without any known secret.
 *
 * @example
 * ```ts
 * import { redactKnownSecrets, Secret } from "./secret.ts";
 * const token = new Secret("an-access-token-from-somewhere");
 * if (redactKnownSecrets(`sent ${token.reveal()}`) !== "sent ***") throw new Error("redacted");
 * ```
 */
export function redactKnownSecrets(text: string): string {
  if (known.size === 0 || text === "") return text;
  // the longest first, so a secret that contains another is replaced whole
  return redact(text, [...known].sort((a, b) => b.length - a.length));
}
