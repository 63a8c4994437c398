/**
 * Runs a notebook headless on the Deno kernel: `deno jupyter --install` into a throwaway HOME,
 * then `jupyter nbconvert --execute`, for the notebook tests and journeys.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "../support/assert.ts";
import { type Probe, programs, PYTHON, pythonModules, run } from "./helpers.ts";

/** What a notebook run needs: Python with nbconvert and the kernel client, and xdg-open. */
export const NOTEBOOK_PARTS: Probe[] = [
  programs(PYTHON, "xdg-open"),
  pythonModules("nbconvert", "nbclient", "jupyter_client"),
];

/** One output of a cell. */
export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

/** One cell of an executed notebook. */
export interface Cell {
  id: string;
  cell_type: string;
  outputs?: Output[];
}

/** An executed notebook: its cells and its file's text. */
export interface Executed {
  cells: Cell[];
  text: string;
}

/** A multiline notebook field as one string. */
export function joinText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join("") : value ?? "";
}

/**
 * Installs the Deno kernelspec under `env`'s `XDG_DATA_HOME` and checks it names this Deno.
 *
 * @param env The child environment (a throwaway HOME's).
 */
export async function installDenoKernel(env: Record<string, string>): Promise<void> {
  const installed = await run(Deno.execPath(), ["jupyter", "--install", "--force"], { env });
  assertEquals(installed.code, 0, installed.stderr);
  const spec = join(env.XDG_DATA_HOME!, "jupyter", "kernels", "deno", "kernel.json");
  const argv: string[] = JSON.parse(await Deno.readTextFile(spec)).argv;
  assertEquals(await Deno.realPath(argv[0]!), await Deno.realPath(Deno.execPath()));
  assertEquals(argv.slice(1, 3), ["jupyter", "--kernel"]);
}

/**
 * Executes `notebook` with `jupyter nbconvert --execute` on the Deno kernel.
 *
 * @param notebook The notebook's path.
 * @param outDir Where the executed copy is written (`executed.ipynb`).
 * @param env The child environment.
 * @returns The executed cells and the file's text.
 */
export async function executeNotebook(
  notebook: string,
  outDir: string,
  env: Record<string, string>,
): Promise<Executed> {
  const ran = await run(PYTHON, [
    "-m",
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    "--ExecutePreprocessor.timeout=120",
    // After a cell's reply, nbclient waits for the cell's output (until the kernel says idle)
    // only 4 s by default, then drops what is still to come and goes on: under load the API
    // cell came back empty. Wait for it up to 60 s, and fail loudly past that.
    "--ExecutePreprocessor.iopub_timeout=60",
    "--ExecutePreprocessor.raise_on_iopub_timeout=True",
    "--ExecutePreprocessor.kernel_name=deno",
    "--output-dir",
    outDir,
    "--output",
    "executed",
    notebook,
  ], { env, timeoutMs: 200_000 });
  assertEquals(ran.code, 0, ran.stderr.slice(-4000));
  const text = await Deno.readTextFile(join(outDir, "executed.ipynb"));
  return { cells: JSON.parse(text).cells, text };
}
