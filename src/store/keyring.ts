/**
 * The OS keychain as a credential store: the Secret Service through
 * `secret-tool` on Linux, the login keychain through `security` on macOS. One
 * item per profile holds the whole credential as OAuth token JSON, with the
 * attributes `service=latchkey`, `profile=<name>` and `issuer=<issuer>`.
 * {@linkcode Keychain} also speaks Python `keyring`'s layout (attributes
 * `service` and `username`, the raw value on macOS), which the anaconda
 * preset uses.
 *
 * Every keychain call runs a subprocess that is killed after 3 s, so a
 * locked, missing or hanging keychain never hangs the program. Also here:
 * {@linkcode AutoStore}, the `auto` store (keyring when it answers, else the
 * file store with one warning).
 *
 * @module
 */

import { join } from "../fs/path.ts";
import { type Credential, credentialFromTokenJson, credentialToTokenJson } from "../credential.ts";
import { AuthError } from "../errors.ts";
import { ensurePrivateDir, FILE_MODE } from "../fs/secure.ts";
import { logger } from "../log.ts";
import { FileStore } from "./file.ts";
import * as linux from "./keyring_linux.ts";
import * as macos from "./keyring_macos.ts";
import { checkKey, type CredentialStore } from "./types.ts";

/** Seconds a keychain call may take before its subprocess is killed. */
export const KEYRING_TIMEOUT = 3;

/** Options of {@linkcode Keychain}. */
export interface KeychainOptions {
  /**
   * Seconds each call may take; then the tool is killed and the keychain
   * counts as unavailable.
   *
   * @default {3}
   */
  timeout?: number;
  /**
   * The tool to run.
   *
   * @default {"secret-tool" on Linux, "security" on macOS}
   */
  command?: string;
  /**
   * The platform whose keychain is spoken to.
   *
   * @default {Deno.build.os}
   */
  os?: typeof Deno.build.os;
  /**
   * The `service` attribute of the items.
   *
   * @default {"latchkey"}
   */
  service?: string;
  /**
   * The Secret Service attribute that holds an item's account (on macOS the
   * account is always the item's own account field). Python's `keyring`
   * uses `username`.
   *
   * @default {"profile"}
   */
  accountAttribute?: string;
  /**
   * How the secret rests in the macOS keychain: `packed` (`lk1:` + base64 of
   * raw DEFLATE, so a whole credential fits one `security -i` line) or `raw`
   * (the value itself, as Python's `keyring` reads it; it must be a bare word
   * such as base64). The Secret Service always holds the value itself.
   *
   * @default {"packed"}
   */
  macosEncoding?: "packed" | "raw";
  /**
   * How to do without the keychain, the last advice of every hint.
   *
   * @default {"use --store file"}
   */
  fallbackHint?: string;
}

/** What is written with an item besides its secret. */
export interface KeychainItemOptions {
  /** The label keyring managers show. @default {"Latchkey: <account>"} */
  label?: string | undefined;
  /**
   * The issuer, kept as an attribute (Linux) or the comment (macOS); without
   * it the item has no `issuer` attribute and an empty comment.
   */
  issuer?: string | undefined;
}

/**
 * Runs a keychain tool with a deadline. On timeout the child is killed and
 * its pipes are abandoned, so a grandchild holding them open cannot stall us.
 *
 * @param call The program, arguments and stdin.
 * @param timeoutMs The deadline in milliseconds.
 * @returns Its exit code and output, or `"timeout"`.
 */
async function runTool(
  call: linux.ToolCall,
  timeoutMs: number,
): Promise<linux.ToolResult | "timeout"> {
  const child = new Deno.Command(call.command, {
    args: call.args,
    stdin: call.stdin === undefined ? "null" : "piped",
    stdout: call.stdout === false ? "null" : "piped",
    stderr: "piped",
    env: { LC_ALL: "C" }, // messages we classify, in English
  }).spawn();
  const stop = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    stop.abort();
  }, timeoutMs);
  try {
    const writing = call.stdin === undefined
      ? Promise.resolve()
      : writeAll(child.stdin, new TextEncoder().encode(call.stdin));
    const [stdout, stderr] = await Promise.all([
      call.stdout === false ? "" : collect(child.stdout, stop.signal),
      collect(child.stderr, stop.signal),
      writing,
    ]);
    const status = await child.status;
    if (timedOut) return "timeout";
    return { code: status.code, stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (timedOut) await child.status;
  }
}

async function writeAll(stream: WritableStream<Uint8Array>, bytes: Uint8Array): Promise<void> {
  const writer = stream.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // the tool exited (or was killed) without reading: its exit code tells
  }
}

async function collect(stream: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<string> {
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", cancel, { once: true });
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch {
    // cancelled on timeout
  } finally {
    signal.removeEventListener("abort", cancel);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return new TextDecoder().decode(out);
}

/**
 * One OS keychain, spoken to through its command-line tool. Every method
 * either answers within the timeout or throws `AuthError`
 * `KEYRING_UNAVAILABLE` with a hint; none hangs and none puts a secret in
 * argv.
 *
 * @example
 * ```ts ignore
 * import { Keychain } from "./keyring.ts";
 * const keychain = new Keychain();
 * await keychain.set("work", "{}", { issuer: "https://id.example.org" });
 * console.assert((await keychain.get("work")) === "{}");
 * ```
 */
export class Keychain {
  /** The `service` attribute of the items. */
  readonly service: string;
  #timeout: number;
  #command: string;
  #os: typeof Deno.build.os;
  #accountAttribute: string;
  #raw: boolean;
  #fallback: string;
  #down: AuthError | undefined;

  /**
   * Speaks to the keychain of this platform (or of `options.os`).
   *
   * @param options Timeout, tool, platform, service and item layout.
   * @throws {RangeError} When the timeout is not positive.
   */
  constructor(options: KeychainOptions = {}) {
    this.#os = options.os ?? Deno.build.os;
    this.#timeout = options.timeout ?? KEYRING_TIMEOUT;
    this.#command = options.command ?? (this.#os === "darwin" ? "security" : "secret-tool");
    this.service = options.service ?? "latchkey";
    this.#accountAttribute = options.accountAttribute ?? "profile";
    this.#raw = options.macosEncoding === "raw";
    this.#fallback = options.fallbackHint ?? "use --store file";
    if (!(this.#timeout > 0)) throw new RangeError(`Invalid keychain timeout: ${this.#timeout}`);
  }

  /**
   * Why the keychain stopped answering, once {@linkcode Keychain.prototype.markDown}
   * recorded it; the `auto` store then stops asking for the rest of the process.
   */
  get down(): AuthError | undefined {
    return this.#down;
  }

  /**
   * Records that the keychain did not answer.
   *
   * @param error The failure.
   * @returns `true` the first time (so the caller warns once).
   */
  markDown(error: AuthError): boolean {
    const first = this.#down === undefined;
    this.#down ??= error;
    return first;
  }

  /**
   * The secret of an item.
   *
   * @param account The profile name (or user).
   * @returns The secret, or `undefined` when there is no such item.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async get(account: string): Promise<string | undefined> {
    if (this.#os === "darwin") {
      const call = macos.findCall(this.#command, this.service, account);
      const result = await this.#run(call, "read");
      if (!this.#check(macos.outcome(result), "read")) return undefined;
      const stored = result.stdout.replace(/\n$/, "");
      return this.#raw ? stored : await macos.unpack(stored);
    }
    const result = await this.#run(linux.lookupCall(this.#command, this.#match(account)), "read");
    return this.#check(linux.outcome(result), "read") ? result.stdout : undefined;
  }

  /**
   * Saves an item, replacing the account's previous one (on Linux, also
   * items of the account whose other attributes differ, such as another
   * issuer, or Python `keyring`'s `application`).
   *
   * @param account The profile name (or user).
   * @param secret The secret (sent on stdin).
   * @param options Label and issuer.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async set(account: string, secret: string, options: KeychainItemOptions = {}): Promise<void> {
    const label = options.label ?? `Latchkey: ${account}`;
    if (this.#os === "darwin") {
      if (this.#raw && !macos.isBareWord(secret)) {
        throw this.#unavailable(
          "write to",
          'the value holds characters "security -i" cannot take as they are',
          this.#fallback,
        );
      }
      const call = macos.addCall(this.#command, {
        service: this.service,
        account,
        label,
        comment: options.issuer ?? "",
        password: this.#raw ? secret : await macos.pack(secret),
      });
      if (!call) {
        throw this.#unavailable(
          "write to",
          `the ${
            this.#raw ? "value" : "credential"
          } (${secret.length} bytes) is too large for "security -i"`,
          this.#fallback,
        );
      }
      this.#check(macos.outcome(await this.#run(call, "write to"), true), "write to");
      return;
    }
    const match = this.#match(account);
    const attributes: linux.Attributes = options.issuer === undefined
      ? match
      : { ...match, issuer: options.issuer };
    const stored = await this.#run(
      linux.storeCall(this.#command, label, attributes, secret),
      "write to",
    );
    this.#check(linux.outcome(stored), "write to");
    // An item with the same service and account but other attributes is a separate item to
    // the Secret Service: remove those after the new one exists (never before, so a failure
    // in between loses nothing).
    const found = await this.#run(linux.searchCall(this.#command, match), "write to");
    this.#check(linux.outcome(found), "write to");
    for (const [name, value] of linux.searchPairs(found.stderr)) {
      if (attributes[name] === value) continue;
      const call = linux.clearCall(this.#command, { ...match, [name]: value });
      this.#check(linux.outcome(await this.#run(call, "write to")), "write to");
    }
  }

  /**
   * Removes the account's item.
   *
   * @param account The profile name (or user).
   * @returns Whether there was one.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async delete(account: string): Promise<boolean> {
    const call = this.#os === "darwin"
      ? macos.deleteCall(this.#command, this.service, account)
      : linux.clearCall(this.#command, this.#match(account));
    const result = await this.#run(call, "delete from");
    return this.#check(
      this.#os === "darwin" ? macos.outcome(result) : linux.outcome(result),
      "delete from",
    );
  }

  /**
   * The profiles that have an item.
   *
   * @returns Profile names, sorted.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async list(): Promise<string[]> {
    let names: string[];
    if (this.#os === "darwin") {
      const result = await this.#run(macos.dumpCall(this.#command), "list");
      this.#check(macos.outcome(result), "list");
      names = macos.dumpAccounts(result.stdout, this.service);
    } else {
      const call = linux.searchCall(this.#command, { service: this.service });
      const result = await this.#run(call, "list");
      this.#check(linux.outcome(result), "list");
      names = linux.searchValues(result.stderr, this.#accountAttribute);
    }
    return names.filter((name) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name));
  }

  /**
   * Checks that the keychain answers and takes writes: saves a throwaway item
   * and removes it (a read alone succeeds on a keyring that is locked or has
   * no default collection, where a write would then fail).
   *
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async probe(): Promise<void> {
    const account = `.probe-${crypto.randomUUID()}`;
    if (this.#os === "darwin") {
      await this.set(account, "probe", { label: "Latchkey availability check" });
      await this.delete(account);
      return;
    }
    const attributes = { service: this.service, probe: account };
    const stored = linux.storeCall(this.#command, "Latchkey availability check", attributes, "-");
    this.#check(linux.outcome(await this.#run(stored, "write to")), "write to");
    const cleared = linux.clearCall(this.#command, attributes);
    this.#check(linux.outcome(await this.#run(cleared, "write to")), "write to");
  }

  #match(account: string): linux.Attributes {
    return { service: this.service, [this.#accountAttribute]: account };
  }

  async #run(call: linux.ToolCall, action: string): Promise<linux.ToolResult> {
    if (this.#os !== "linux" && this.#os !== "darwin") {
      throw this.#unavailable(action, `no keychain support on ${this.#os}`, this.#fallback);
    }
    let result: linux.ToolResult | "timeout";
    try {
      result = await runTool(call, this.#timeout * 1000);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw this.#unavailable(action, `"${this.#command}" is not installed`, undefined, error);
      }
      if (
        error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ) {
        throw this.#unavailable(
          action,
          `running "${this.#command}" is not allowed`,
          `allow it with --allow-run=${this.#command}, or ${this.#fallback}`,
          error,
        );
      }
      throw this.#unavailable(
        action,
        error instanceof Error ? error.message : String(error),
        undefined,
        error,
      );
    }
    if (result === "timeout") {
      throw this.#unavailable(
        action,
        `"${this.#command}" did not answer within ${this.#timeout} s (is the keyring locked?)`,
      );
    }
    return result;
  }

  #check(outcome: linux.Outcome, action: string): boolean {
    if (outcome.ok) return true;
    if (outcome.missing) return false;
    throw this.#unavailable(action, outcome.reason);
  }

  #unavailable(action: string, reason: string, hint?: string, cause?: unknown): AuthError {
    const defaultHint = this.#os === "darwin"
      ? `unlock the login keychain (security unlock-keychain), or ${this.#fallback}`
      : "install libsecret-tools (apt install libsecret-tools), start and unlock a keyring " +
        `(e.g. gnome-keyring), or ${this.#fallback}`;
    const error = new AuthError("KEYRING_UNAVAILABLE", `Cannot ${action} the keyring: ${reason}`, {
      hint: hint ?? defaultHint,
      cause,
    });
    reasons.set(error, reason);
    return error;
  }
}

/** Why a keychain call failed, without the action, for the `auto` store's warning. */
const reasons = new WeakMap<AuthError, string>();

let platformKeychain: Keychain | undefined;

/**
 * The process-wide keychain of this platform (3 s timeout, service
 * `latchkey`). It remembers, for the `auto` store, that it stopped answering.
 *
 * @returns The keychain.
 */
export function defaultKeychain(): Keychain {
  return platformKeychain ??= new Keychain();
}

/** Options of {@linkcode KeyringStore} and {@linkcode AutoStore}. */
export interface KeyringStoreOptions {
  /** The keychain. @default {defaultKeychain()} */
  keychain?: Keychain;
  /**
   * The folder of the lock files (shared with the file store, so a profile has
   * one lock whichever store holds it) and of the marker files that say which
   * profiles have a keychain item. No secret is ever written there.
   *
   * @default {"$XDG_CONFIG_HOME/latchkey/credentials"}
   */
  dir?: string;
}

/** Credentials whose save failed, kept for the life of the process (per keychain). */
const unsaved = new WeakMap<Keychain, Map<string, Credential>>();

function unsavedOf(keychain: Keychain): Map<string, Credential> {
  let map = unsaved.get(keychain);
  if (!map) unsaved.set(keychain, map = new Map());
  return map;
}

function markerPath(dir: string, key: string): string {
  return join(dir, `${key}.in-keyring`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function readItem(keychain: Keychain, key: string): Promise<Credential | undefined> {
  const text = await keychain.get(checkKey(key));
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new AuthError(
      "BAD_TOKEN_FILE",
      `Cannot read the keyring item of profile "${key}": it is not OAuth token JSON`,
      { hint: `remove it with \`latchkey logout --profile ${key}\` and log in again` },
    );
  }
  return credentialFromTokenJson(json as Record<string, unknown>);
}

async function writeItem(
  keychain: Keychain,
  dir: string,
  key: string,
  credential: Credential,
): Promise<void> {
  checkKey(key);
  // The marker first: a marker without an item costs one lookup; an item
  // without a marker would hide a conflict from the `auto` store.
  await ensurePrivateDir(dir);
  await Deno.writeFile(markerPath(dir, key), new Uint8Array(), { mode: FILE_MODE });
  await keychain.set(key, JSON.stringify(credentialToTokenJson(credential)), {
    issuer: credential.issuer ?? "",
  });
}

async function removeMarker(dir: string, key: string): Promise<void> {
  await Deno.remove(markerPath(dir, key)).catch(() => {});
}

function same(a: Credential, b: Credential): boolean {
  const eq = (x: Credential["accessToken"], y: Credential["accessToken"]) =>
    x === undefined ? y === undefined : x.equals(y);
  return eq(a.accessToken, b.accessToken) && eq(a.refreshToken, b.refreshToken);
}

/**
 * Keeps each profile's credential in the OS keychain: one item per profile
 * holding the whole credential (access, refresh and ID tokens) as OAuth token
 * JSON. Linux: the Secret Service via `secret-tool`; macOS: `security`.
 *
 * A keychain that is missing, locked or hanging makes every method fail
 * within 3 s with `AuthError` `KEYRING_UNAVAILABLE` and a hint; nothing
 * hangs. A credential whose save failed is not lost: it stays in memory for
 * the rest of the process (reads return it, and the next read saves it again
 * once the keychain answers), and the error says so. Locking uses a lock file
 * next to the file store's, so refreshes are coordinated across processes.
 *
 * @example
 * ```ts ignore
 * import { Credential } from "../credential.ts";
 * import { KeyringStore } from "./keyring.ts";
 * const store = new KeyringStore();
 * await store.write("work", new Credential({ accessToken: "t", expiresAt: 2e9 }));
 * console.assert((await store.read("work"))?.accessToken?.reveal() === "t");
 * await store.delete("work");
 * ```
 */
export class KeyringStore implements CredentialStore {
  /** Always `keyring`. */
  readonly kind = "keyring" as const;
  #keychain: Keychain;
  #files: FileStore;

  /**
   * A store on the platform's keychain (or the given one).
   *
   * @param options The keychain and the folder of the lock files.
   */
  constructor(options: KeyringStoreOptions = {}) {
    this.#keychain = options.keychain ?? defaultKeychain();
    this.#files = new FileStore(options.dir === undefined ? {} : { dir: options.dir });
  }

  /**
   * Where an item lives, for `status`: nowhere a path could name.
   *
   * @returns `undefined`: a keychain item has no path.
   */
  location(): undefined {
    return undefined;
  }

  /**
   * Reads the profile's item (or the credential this process could not save).
   *
   * @param key The profile name.
   * @returns The credential, if any.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`, or `BAD_TOKEN_FILE` for an item that is not JSON.
   */
  async read(key: string): Promise<Credential | undefined> {
    const held = unsavedOf(this.#keychain).get(key);
    if (held) {
      try {
        await this.write(key, held); // the keychain may answer again
      } catch (error) {
        if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      }
      return held;
    }
    return await readItem(this.#keychain, key);
  }

  /**
   * Saves the credential as the profile's one item.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`; the credential then stays in
   * memory for this process.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const held = unsavedOf(this.#keychain);
    try {
      await writeItem(this.#keychain, this.#files.dir, key, credential);
      held.delete(key);
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      held.set(key, credential);
      throw new AuthError(
        "KEYRING_UNAVAILABLE",
        `${error.message}; the credential is kept in memory until this process exits`,
        { hint: error.hint, cause: error },
      );
    }
  }

  /**
   * Removes the profile's item.
   *
   * @param key The profile name.
   * @returns Whether there was an item (or an unsaved credential).
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async delete(key: string): Promise<boolean> {
    const held = unsavedOf(this.#keychain).delete(checkKey(key));
    const deleted = await this.#keychain.delete(key);
    await removeMarker(this.#files.dir, key);
    return deleted || held;
  }

  /**
   * Holds the profile's lock file (the file store's) while `fn` runs.
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#files.lock(key, fn);
  }

  /**
   * Lists the profiles that have an item.
   *
   * @returns The profile names, sorted.
   * @throws {AuthError} `KEYRING_UNAVAILABLE`.
   */
  async list(): Promise<string[]> {
    const names = new Set(await this.#keychain.list());
    for (const key of unsavedOf(this.#keychain).keys()) names.add(key);
    return [...names].sort();
  }
}

/** Options of {@linkcode AutoStore}. */
export interface AutoStoreOptions extends KeyringStoreOptions {
  /** The file store. @default {new FileStore()} */
  file?: FileStore;
}

/**
 * The `auto` store: the keychain when it answers within 3 s, else the file
 * store, with one warning line per process.
 *
 * - Reading tries the file first and returns it without running any keychain
 *   tool, unless a marker says the keychain also holds the profile; then the
 *   two are compared and different credentials are an `AuthError`
 *   `CONFLICTING_CREDENTIALS`. Without a file, the keychain is asked.
 * - Writing keeps a credential where it is (a refresh of a file credential
 *   stays in the file); a new one goes to the keychain, or, when that fails,
 *   to the file, so a credential being saved is never lost.
 * - `kind` (what `status` reports as the source) is where the credential was
 *   last found or saved.
 *
 * @example
 * ```ts ignore
 * import { AutoStore } from "./keyring.ts";
 * const store = new AutoStore();
 * const credential = await store.read("default"); // no subprocess when the file answers
 * console.log(store.kind); // "file" or "keyring"
 * ```
 */
export class AutoStore implements CredentialStore {
  #file: FileStore;
  #keychain: Keychain;
  #dir: string;
  #where = new Map<string, "file" | "keyring">();
  #last: "file" | "keyring" = "file";

  /**
   * The file store and the platform's keychain, together; does no I/O.
   *
   * @param options The keychain and the file store.
   */
  constructor(options: AutoStoreOptions = {}) {
    this.#file = options.file ??
      new FileStore(options.dir === undefined ? {} : { dir: options.dir });
    this.#keychain = options.keychain ?? defaultKeychain();
    this.#dir = options.dir ?? this.#file.dir;
  }

  /** Where the credential was last found or saved: `file` or `keyring`. */
  get kind(): "file" | "keyring" {
    return this.#last;
  }

  /**
   * Where the profile's credential lives, for `status`.
   *
   * @param key The profile name.
   * @returns The file's path, or `undefined` when the credential is in the keychain.
   */
  location(key: string): string | undefined {
    return this.#where.get(key) === "keyring" ? undefined : this.#file.location(key);
  }

  /**
   * Reads the profile's credential: the file first, then the keychain.
   *
   * @param key The profile name.
   * @returns The credential, from the file or the keychain.
   * @throws {AuthError} `CONFLICTING_CREDENTIALS` when both hold different ones.
   */
  async read(key: string): Promise<Credential | undefined> {
    const fromFile = await this.#file.read(key);
    if (fromFile) {
      if (await exists(markerPath(this.#dir, key))) {
        const answer = await this.#ask(() => readItem(this.#keychain, key));
        if (answer.answered && answer.value === undefined) await removeMarker(this.#dir, key);
        if (answer.value && !same(answer.value, fromFile)) {
          throw new AuthError(
            "CONFLICTING_CREDENTIALS",
            `Conflicting credentials for profile "${key}": the file "${
              this.#file.location(key)
            }" and the keyring hold different ones`,
            {
              hint:
                "choose one with --store file or --store keyring, or run `latchkey logout` and log in again",
            },
          );
        }
      }
      this.#at(key, "file");
      return fromFile;
    }
    const answer = await this.#ask(() => readItem(this.#keychain, key));
    if (answer.value) this.#at(key, "keyring");
    return answer.value;
  }

  /**
   * Saves the credential where the profile's credential is, else in the
   * keychain, else (with one warning) in the file.
   *
   * @param key The profile name.
   * @param credential The credential to save.
   */
  async write(key: string, credential: Credential): Promise<void> {
    const marker = markerPath(this.#dir, key);
    if (this.#where.get(key) !== "keyring" && await exists(this.#file.location(key))) {
      await this.#file.write(key, credential);
      this.#at(key, "file");
      if (await exists(marker)) {
        // the keychain's copy would now differ: keep one credential per profile
        const answer = await this.#ask(() => this.#keychain.delete(key));
        if (answer.answered) await removeMarker(this.#dir, key);
      }
      return;
    }
    const saved = await this.#ask(async () => {
      await writeItem(this.#keychain, this.#dir, key, credential);
      return true;
    });
    if (saved.answered) {
      this.#at(key, "keyring");
      await this.#file.delete(key); // a stale file would conflict with the new item
      return;
    }
    await this.#file.write(key, credential);
    await removeMarker(this.#dir, key); // the file is newer than any item left behind
    this.#at(key, "file");
  }

  /**
   * Removes the credential from the file and the keychain.
   *
   * @param key The profile name.
   * @returns Whether either held one.
   */
  async delete(key: string): Promise<boolean> {
    const inFile = await this.#file.delete(key);
    const answer = await this.#ask(() => this.#keychain.delete(key));
    if (answer.answered) {
      await removeMarker(this.#dir, key);
    } else if (await exists(markerPath(this.#dir, key))) {
      logger().warn(`the keyring item of profile "${key}" could not be removed; remove it later`);
    }
    this.#where.delete(key);
    return inFile || answer.value === true;
  }

  /**
   * Holds the profile's lock file (shared by the file and keyring stores).
   *
   * @param key The profile name.
   * @param fn The critical section.
   * @returns What `fn` returns.
   */
  lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#file.lock(key, fn);
  }

  /**
   * Lists the profiles with a credential in either place.
   *
   * @returns The profiles with a credential in the file store or the keychain, sorted.
   */
  async list(): Promise<string[]> {
    const names = new Set(await this.#file.list());
    const answer = await this.#ask(() => this.#keychain.list());
    for (const name of answer.value ?? []) names.add(name);
    return [...names].sort();
  }

  #at(key: string, where: "file" | "keyring"): void {
    this.#where.set(key, where);
    this.#last = where;
  }

  async #ask<T>(fn: () => Promise<T>): Promise<{ answered: boolean; value: T | undefined }> {
    if (this.#keychain.down) return { answered: false, value: undefined };
    try {
      return { answered: true, value: await fn() };
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
      warnFallback(this.#keychain, error);
      return { answered: false, value: undefined };
    }
  }
}

function warnFallback(keychain: Keychain, error: AuthError): void {
  if (keychain.markDown(error)) {
    const reason = reasons.get(error) ?? error.message;
    logger().warn(`the keyring is not available (${reason}); using the file store`);
  }
}

/**
 * Whether the keychain answers within 3 s and takes writes, for settling a
 * login with `auto`. When it does not, warns once (per process) that the file
 * store is used.
 *
 * @param keychain The keychain. @default {defaultKeychain()}
 * @returns `true` when the keychain can be used.
 *
 * @example
 * ```ts
 * import { Keychain, keyringAnswers } from "@latchkey/latchkey";
 * // A keychain tool that does not exist never answers: false, never an exception.
 * console.assert((await keyringAnswers(new Keychain({ command: "/nonexistent/secret-tool" }))) === false);
 * ```
 */
export async function keyringAnswers(keychain: Keychain = defaultKeychain()): Promise<boolean> {
  if (keychain.down) return false;
  try {
    await keychain.probe();
    return true;
  } catch (error) {
    if (!(error instanceof AuthError) || error.code !== "KEYRING_UNAVAILABLE") throw error;
    warnFallback(keychain, error);
    return false;
  }
}
