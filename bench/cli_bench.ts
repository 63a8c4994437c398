/**
 * `latchkey token` with a cached valid token vs `deno run` of an empty script
 * with the very same permission flags: the ratio of median wall times, both
 * sides measured alternately in one run.
 */
import { DENO_FLAGS } from "../cli/permissions.ts";
import { credentialFromTokenJson, FileStore } from "../mod.ts";
import { startMockProvider } from "../testing.ts";
import { DENO_DIR } from "../tests/support/deno_dir.ts";

/** Median wall times of both commands and their ratio. */
export interface CliBenchResult {
  tokenMs: number;
  emptyMs: number;
  ratio: number;
}

/**
 * Runs the benchmark.
 *
 * @param runs Runs of each command.
 * @returns The figures.
 */
export async function cliBench(runs = 15): Promise<CliBenchResult> {
  await using provider = await startMockProvider();
  const home = await Deno.makeTempDir({ prefix: "latchkey-bench-" });
  await Deno.mkdir(`${home}/.config/latchkey`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.config/latchkey/config.json`,
    JSON.stringify({
      profiles: {
        default: {
          issuer: provider.issuer,
          clientId: "latchkey-cli",
          apiOrigins: [provider.issuer],
          store: "file",
        },
      },
    }),
  );
  const tokens = await provider.issueTokens();
  await new FileStore({ dir: `${home}/.config/latchkey/credentials` }).write(
    "default",
    credentialFromTokenJson({ ...tokens, issuer: provider.issuer }),
  );
  const empty = `${home}/empty.ts`;
  await Deno.writeTextFile(empty, "");
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    PATH: Deno.env.get("PATH") ?? "",
    DENO_DIR, // the same Deno cache as this process: a fresh HOME would mean a fresh npm cache
  };
  const once = async (args: string[]) => {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...DENO_FLAGS, ...args],
      env,
      clearEnv: true,
      cwd: home,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return performance.now() - t0;
  };
  await once([cli, "token"]);
  await once([empty]);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await once([cli, "token"]));
    b.push(await once([empty]));
  }
  await Deno.remove(home, { recursive: true });
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const tokenMs = median(a);
  const emptyMs = median(b);
  return { tokenMs, emptyMs, ratio: tokenMs / emptyMs };
}

if (import.meta.main) {
  const r = await cliBench();
  console.log(
    `latchkey token / empty script: ${r.ratio.toFixed(2)} (target <= 1.5; ` +
      `${r.tokenMs.toFixed(0)} ms vs ${r.emptyMs.toFixed(0)} ms in this run)`,
  );
}
