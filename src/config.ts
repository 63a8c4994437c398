/**
 * Profiles: named services kept in `$XDG_CONFIG_HOME/latchkey/config.json`.
 *
 * @module
 */

import { join } from "./fs/path.ts";
import { AuthError } from "./errors.ts";
import { ensurePrivateDir, readIfExists, withFileLock, writeFileAtomic } from "./fs/secure.ts";
import { configDir } from "./paths.ts";
import { parseJsonObject } from "./util/json_object.ts";
import type { StoreName } from "./store/names.ts";
import { checkKey } from "./store/types.ts";

/** A named service. No secret is ever kept here. */
export interface Profile {
  /** The OpenID issuer URL. */
  issuer?: string;
  /** The OAuth client id. */
  clientId?: string;
  /** The scope to ask for. */
  scope?: string;
  /** The audience (resource indicator) to ask for. */
  audience?: string;
  /** The only origins that ever receive this profile's token. */
  apiOrigins?: string[];
  /** Where its credential rests (`auto` is settled to a concrete store at login). */
  store?: StoreName;
  /** The preset that made the profile, if any. */
  preset?: string;
  /** A preset's host or domain, if any. */
  host?: string;
  /**
   * DPoP (RFC 9449): `true` proves a key with every token request and API
   * call, and takes a bearer token from a provider that does not bind one
   * (with a warning); `"required"` refuses such a token.
   */
  dpop?: boolean | "required";
}

/** The content of `config.json`. */
export interface LatchkeyConfig {
  /** The profile used when none is named. */
  default?: string;
  /** Profiles by name. */
  profiles: Record<string, Profile>;
}

/**
 * The path of `config.json`.
 *
 * @returns `$XDG_CONFIG_HOME/latchkey/config.json`.
 *
 * @example
 * ```ts
 * import { configPath } from "./config.ts";
 * Deno.env.set("XDG_CONFIG_HOME", "/tmp/example-config");
 * if (!(configPath() === "/tmp/example-config/latchkey/config.json")) {
 *   throw new Error("Expected configPath() === \"/tmp/example-config/latchkey/config.json\"");
 * }
 * ```
 */
export function configPath(): string {
  return join(configDir(), "config.json");
}

/**
 * Reads `config.json`; an absent file is an empty configuration.
 *
 * @returns The configuration.
 * @throws {AuthError} `CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * import { readConfig } from "@latchkey/latchkey";
 * const config = await readConfig();
 * if (!(typeof config.profiles === "object")) {
 *   throw new Error("Expected typeof config.profiles === \"object\"");
 * }
 * ```
 */
export async function readConfig(): Promise<LatchkeyConfig> {
  const path = configPath();
  const file = await readIfExists(path, { what: "config file", code: "CONFIG_INVALID" });
  if (!file) return { profiles: {} };
  let json: Record<string, unknown>;
  try {
    json = parseJsonObject(file.text, path);
  } catch (error) {
    throw new AuthError("CONFIG_INVALID", `Cannot read config "${path}": not a JSON object`, {
      cause: error,
    });
  }
  const profiles = json.profiles ?? {};
  if (typeof profiles !== "object" || profiles === null || Array.isArray(profiles)) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Cannot read config "${path}": "profiles" is not an object`,
    );
  }
  return {
    ...(typeof json.default === "string" ? { default: json.default } : {}),
    profiles: profiles as Record<string, Profile>,
  };
}

async function updateConfig(change: (config: LatchkeyConfig) => void): Promise<void> {
  const dir = configDir();
  await ensurePrivateDir(dir);
  await withFileLock(join(dir, "config.lock"), async () => {
    const config = await readConfig();
    change(config);
    await writeFileAtomic(configPath(), JSON.stringify(config, null, 2) + "\n");
  });
}

/**
 * Saves (merges) a profile into `config.json`, written 0600.
 *
 * @param name The profile name.
 * @param profile The settings to save; `undefined` fields are left as they were.
 *
 * @example
 * ```ts
 * import { readConfig, saveProfile } from "@latchkey/latchkey";
 * Deno.env.set("XDG_CONFIG_HOME", await Deno.makeTempDir());
 * await saveProfile("work", { issuer: "https://id.example.org", clientId: "cli" });
 * if (!((await readConfig()).profiles.work?.clientId === "cli")) {
 *   throw new Error("Expected (await readConfig()).profiles.work?.clientId === \"cli\"");
 * }
 * ```
 */
export async function saveProfile(name: string, profile: Profile): Promise<void> {
  checkKey(name);
  await updateConfig((config) => {
    const merged: Record<string, unknown> = { ...config.profiles[name] };
    for (const [key, value] of Object.entries(profile)) {
      if (value !== undefined) merged[key] = value;
    }
    config.profiles[name] = merged as Profile;
  });
}

/**
 * Removes a profile from `config.json`.
 *
 * @param name The profile name.
 *
 * @example
 * ```ts
 * import { readConfig, removeProfile, saveProfile } from "@latchkey/latchkey";
 * Deno.env.set("XDG_CONFIG_HOME", await Deno.makeTempDir());
 * await saveProfile("old", { issuer: "https://id.example.org" });
 * await removeProfile("old");
 * if (!(!("old" in (await readConfig()).profiles))) {
 *   throw new Error("Expected !(\"old\" in (await readConfig()).profiles)");
 * }
 * ```
 */
export async function removeProfile(name: string): Promise<void> {
  await updateConfig((config) => {
    delete config.profiles[name];
    if (config.default === name) delete config.default;
  });
}

/**
 * Makes a profile the default one (`latchkey profiles use NAME`).
 *
 * @param name The profile name; it must exist.
 * @throws {AuthError} `CONFIG_INVALID` when there is no such profile.
 *
 * @example
 * ```ts
 * import { readConfig, saveProfile, setDefaultProfile } from "@latchkey/latchkey";
 * Deno.env.set("XDG_CONFIG_HOME", await Deno.makeTempDir());
 * await saveProfile("work", { issuer: "https://id.example.org", clientId: "cli" });
 * await setDefaultProfile("work");
 * if (!((await readConfig()).default === "work")) {
 *   throw new Error("Expected (await readConfig()).default === \"work\"");
 * }
 * ```
 */
export async function setDefaultProfile(name: string): Promise<void> {
  await updateConfig((config) => {
    if (!config.profiles[name]) {
      throw new AuthError("CONFIG_INVALID", `Cannot switch profile: no profile "${name}"`, {
        hint: "run `latchkey profiles` to list them",
      });
    }
    config.default = name;
  });
}
