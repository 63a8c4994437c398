/**
 * The tests' assertions, std-like names over `node:assert` (JSR's `@std/assert` cannot be
 * installed here): conditions, deep equality, text that must or must not appear, and rejections
 * and throws of exactly one error class and code (`assertRejectsWith`, `assertThrowsWith`).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";
import { AuthError, type AuthErrorCode } from "../../mod.ts";

/** Asserts that a condition holds. */
export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Asserts deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** Asserts that `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  nodeAssert.ok(
    text.includes(part),
    message ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/**
 * Asserts that `text` does not contain `needle`.
 *
 * @param text The text under test.
 * @param needle What must not appear.
 * @param what What the text is, for the failure message.
 */
export function assertExcludes(text: string, needle: string, what = "text"): void {
  if (text.includes(needle)) {
    throw new nodeAssert.AssertionError({ message: `${what} contains "${needle}": ${text}` });
  }
}

/** Asserts that a promise rejects with an instance of `ErrorClass`, and returns the error. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  message?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    nodeAssert.ok(
      error instanceof ErrorClass,
      message ??
        `expected ${ErrorClass.name}, got ${
          error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        }`,
    );
    return error as E;
  }
  throw new nodeAssert.AssertionError({
    message: message ?? `expected a rejection with ${ErrorClass.name}`,
  });
}

/** Asserts that a function throws an instance of `ErrorClass`, and returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
): E {
  try {
    fn();
  } catch (error) {
    nodeAssert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${String(error)}`);
    return error as E;
  }
  throw new nodeAssert.AssertionError({ message: `expected a throw of ${ErrorClass.name}` });
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E> = new (...args: any[]) => E;

function checkError<E extends Error>(
  error: unknown,
  errorClass: ErrorClass<E>,
  code: AuthErrorCode | undefined,
): E {
  if (!(error instanceof Error) || error.constructor !== errorClass) {
    throw new nodeAssert.AssertionError({
      message: `expected exactly ${errorClass.name}, got ${
        error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)
      }`,
    });
  }
  if (code !== undefined) {
    nodeAssert.ok(error instanceof AuthError, `${errorClass.name} is not an AuthError`);
    nodeAssert.equal(error.code, code, `error code of: ${error.message}`);
  }
  return error as E;
}

/**
 * Asserts that a promise rejects with exactly this error class (not a subclass) and code.
 *
 * @param fn The call under test.
 * @param errorClass The exact class expected.
 * @param code The expected `code` (for an `AuthError`).
 * @returns The error, for further checks.
 */
export async function assertRejectsWith<E extends Error>(
  fn: () => Promise<unknown>,
  errorClass: ErrorClass<E>,
  code?: AuthErrorCode,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, errorClass, code);
  }
  throw new nodeAssert.AssertionError({ message: `expected a rejection with ${errorClass.name}` });
}

/**
 * Asserts that a call throws exactly this error class and code.
 *
 * @param fn The call under test.
 * @param errorClass The exact class expected.
 * @param code The expected `code` (for an `AuthError`).
 * @returns The error, for further checks.
 */
export function assertThrowsWith<E extends Error>(
  fn: () => unknown,
  errorClass: ErrorClass<E>,
  code?: AuthErrorCode,
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, errorClass, code);
  }
  throw new nodeAssert.AssertionError({ message: `expected ${errorClass.name} to be thrown` });
}
