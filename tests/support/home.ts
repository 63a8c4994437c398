/**
 * Temporary HOME folders, the one place each kind is made:
 *
 * - {@linkcode isolatedHome}: this process's HOME and XDG_CONFIG_HOME moved to a fresh folder,
 *   chosen variables cleared, put back by `restore()` (in-process `Auth`s, presets, benchmarks).
 * - {@linkcode makeHome}: a home for CLI child processes, with their whole environment (the
 *   Deno cache, a PATH with an `xdg-open` shim where there is none) and a working folder.
 * - {@linkcode tempHome}: a home with all its XDG folders for the real system parts (a Secret
 *   Service, Chromium, Jupyter) and the children that use them.
 *
 * @module
 */
import { join } from "node:path";
import { DENO_DIR } from "./deno_dir.ts";

/** This process's home moved to a temporary folder; `restore()` puts everything back. */
export interface IsolatedHome extends AsyncDisposable {
  /** The temporary HOME. */
  path: string;
  /** Joins a path below HOME. */
  at(...parts: string[]): string;
  /** Puts the environment (and the current folder) back and removes the folder. */
  restore(): Promise<void>;
}

/** Options of {@linkcode isolatedHome}. */
export interface IsolatedHomeOptions {
  /**
   * The folder name's prefix.
   *
   * @default {"latchkey-test-"}
   */
  prefix?: string;
  /**
   * The variables to delete while the home is in use.
   *
   * @default {/^LATCHKEY_/}
   */
  clear?: RegExp;
  /**
   * Also move the current folder into the home.
   *
   * @default {false}
   */
  chdir?: boolean;
}

/**
 * Points HOME and XDG_CONFIG_HOME at a fresh folder and clears the variables `clear` matches.
 * A test file that runs in its own process may keep it for good; `restore()` (or `await using`)
 * puts the environment and the current folder back as they were and removes the folder.
 *
 * @param options The prefix, the variables to clear, and whether to move into the home.
 * @returns The home.
 */
export async function isolatedHome(options: IsolatedHomeOptions = {}): Promise<IsolatedHome> {
  const { prefix = "latchkey-test-", clear = /^LATCHKEY_/, chdir = false } = options;
  const path = await Deno.makeTempDir({ prefix });
  const saved = Deno.env.toObject();
  const cwd = Deno.cwd();
  for (const name of Object.keys(saved)) if (clear.test(name)) Deno.env.delete(name);
  Deno.env.set("HOME", path);
  Deno.env.set("XDG_CONFIG_HOME", join(path, ".config"));
  if (chdir) Deno.chdir(path);
  const restore = async () => {
    if (chdir) Deno.chdir(cwd);
    for (const name of Object.keys(Deno.env.toObject())) {
      if (!(name in saved)) Deno.env.delete(name);
    }
    for (const [name, value] of Object.entries(saved)) Deno.env.set(name, value);
    await Deno.remove(path, { recursive: true }).catch(() => {});
  };
  return { path, at: (...parts) => join(path, ...parts), restore, [Symbol.asyncDispose]: restore };
}

/** A CLI child's home: HOME, XDG_CONFIG_HOME and a working folder. */
export interface Home extends AsyncDisposable {
  /** The HOME folder. */
  dir: string;
  /** `$HOME/.config`. */
  config: string;
  /** The working folder of the children. */
  cwd: string;
  /** The environment of the children. */
  env: Record<string, string>;
}

/** Finds a program on PATH. */
function onPath(program: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const path = `${dir}/${program}`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Makes a home for CLI children (`runCli`, `spawnCli` in tests/cli/helpers.ts). Without a real
 * `xdg-open`, a shim that does what xdg-open does on a machine without a desktop (run
 * `$BROWSER URL`) is put first on PATH.
 */
export async function makeHome(): Promise<Home> {
  const dir = await Deno.makeTempDir({ prefix: "latchkey-cli-" });
  const config = `${dir}/.config`;
  const cwd = `${dir}/work`;
  await Deno.mkdir(cwd);
  let path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  if (!onPath("xdg-open")) {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(`${dir}/bin/xdg-open`, '#!/bin/sh\nexec "$BROWSER" "$@"\n', {
      mode: 0o755,
    });
    path = `${dir}/bin:${path}`;
  }
  return {
    dir,
    config,
    cwd,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: config,
      PATH: path,
      DENO_DIR,
      DENO_NO_UPDATE_CHECK: "1",
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A throwaway HOME with its XDG folders; `env` points a child process at it. */
export interface TempHome extends AsyncDisposable {
  /** The folder. */
  path: string;
  /** `HOME`, `XDG_CONFIG_HOME`, `XDG_DATA_HOME`, `XDG_CACHE_HOME`, `XDG_RUNTIME_DIR`. */
  env: Record<string, string>;
  /** `$XDG_CONFIG_HOME/latchkey`. */
  configDir: string;
}

/** Makes a throwaway HOME, removed when disposed. */
export async function tempHome(prefix = "latchkey-real-"): Promise<TempHome> {
  const path = await Deno.makeTempDir({ prefix });
  const env = {
    HOME: path,
    XDG_CONFIG_HOME: join(path, ".config"),
    XDG_DATA_HOME: join(path, ".local", "share"),
    XDG_CACHE_HOME: join(path, ".cache"),
    XDG_RUNTIME_DIR: join(path, "run"),
  };
  await Deno.mkdir(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  return {
    path,
    env,
    configDir: join(env.XDG_CONFIG_HOME, "latchkey"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
