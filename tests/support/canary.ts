/**
 * Canary secrets: distinctive strings that must never show up where secrets do not belong (an
 * argv, an output, an error, a log, a file they were not written to). {@linkcode canary} makes a
 * fresh one per test; {@linkcode CANARY} is a fixed set whose values the fuzzed properties and
 * the leak scenarios share across processes; {@linkcode canaryFile} is a file that holds one.
 *
 * @module
 */

/** A random canary secret that must never be printed. */
export function canary(label: string): string {
  return `canary-${label}-${crypto.randomUUID().replaceAll("-", "")}`;
}

/** Canary secrets: distinctive strings that must never show up where secrets do not belong. */
export const CANARY = {
  token: "cnry-access-7f3a9c1e",
  refresh: "cnry-refresh-52bd08e4",
  clientSecret: "cnry-client-secret-c4e1",
  password: "cnry-password-9d27ab",
  envToken: "cnry-env-token-0b6f3d",
  envSecret: "cnry-env-secret-a81c",
  dotenvToken: "cnry-dotenv-token-e5d2",
  fileToken: "cnry-file-token-3a7c90",
  fileRefresh: "cnry-file-refresh-61f4",
  deviceCode: "cnry-device-code-8e2b",
} as const;

/** The canary values. */
export const CANARIES: readonly string[] = Object.values(CANARY);

/**
 * A temporary file holding a canary refresh token (`refresh_token=…`), removed on disposal: what
 * a redirect to a `file:` URL must never read.
 *
 * @param prefix The file name's prefix.
 * @returns The file.
 */
export async function canaryFile(
  prefix = "latchkey-canary-",
): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempFile({ prefix });
  await Deno.writeTextFile(path, `refresh_token=${CANARY.fileRefresh}\n`);
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path).catch(() => {}) };
}
