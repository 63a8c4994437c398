/**
 * {@linkcode Keychain}: one OS keychain — the Secret Service on Linux, the
 * login keychain on macOS — with get, set, delete, list and probe. It picks
 * the platform's commands (`linux.ts`, `macos.ts`), runs them through
 * `runner.ts` (a subprocess killed after 3 s, the secret on stdin), and turns
 * what they answer into a value or an `AuthError` `KEYRING_UNAVAILABLE` with
 * a hint, so a locked, missing or hanging keychain never hangs the program.
 * It speaks Latchkey's item layout (`service=latchkey`, `profile=<name>`) and
 * Python `keyring`'s (`service` and `username`, the raw value on macOS). The
 * credential store on top of it is `../keyring.ts`.
 *
 * @module
 */

import { AuthError } from "../../errors.ts";
import * as linux from "./linux.ts";
import * as macos from "./macos.ts";
import { type Outcome, runTool, type ToolCall, type ToolResult } from "./runner.ts";

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
 * One OS keychain, spoken to through its command-line tool. Every method
 * either answers within the timeout or throws `AuthError`
 * `KEYRING_UNAVAILABLE` with a hint; none hangs and none puts a secret in
 * argv.
 *
 * @example
 * ```ts ignore
 * import { Keychain } from "./keychain.ts";
 * const keychain = new Keychain();
 * await keychain.set("work", "{}", { issuer: "https://id.example.org" });
 * if ((await keychain.get("work")) !== "{}") throw new Error("the item was not read back");
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

  async #run(call: ToolCall, action: string): Promise<ToolResult> {
    if (this.#os !== "linux" && this.#os !== "darwin") {
      throw this.#unavailable(action, `no keychain support on ${this.#os}`, this.#fallback);
    }
    let result: ToolResult | "timeout";
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

  #check(outcome: Outcome, action: string): boolean {
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

/**
 * Why a keychain call failed (without the action), for the `auto` store's
 * one-line warning.
 *
 * @param error An error a {@linkcode Keychain} threw.
 * @returns The reason, if the keychain recorded one.
 */
export function failureReason(error: AuthError): string | undefined {
  return reasons.get(error);
}
