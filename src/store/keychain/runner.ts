/**
 * Running a keychain tool (`secret-tool`, `security`) as a subprocess with a
 * deadline: what a call is, what it answered, and {@linkcode runTool}, which
 * kills a tool that does not answer in time. The secret always goes through
 * stdin, never argv, and the tool gets no secret variable in its environment
 * (`src/secret_env.ts`). The commands themselves are built by `linux.ts` and
 * `macos.ts`; `keychain.ts` picks the platform and reads the outcome.
 *
 * @module
 */

import { childEnvironment } from "../../secret_env.ts";

/** One run of a keychain tool: the program, its arguments and what goes to its stdin. */
export interface ToolCall {
  /** The program. */
  command: string;
  /** Its arguments (never a secret). */
  args: string[];
  /** Written to its stdin, then stdin is closed (this is where a secret goes). */
  stdin?: string;
  /** Whether stdout is read (`false` sends it to /dev/null). @default {true} */
  stdout?: boolean;
}

/** What a keychain tool answered. */
export interface ToolResult {
  /** Its exit code. */
  code: number;
  /** Its stdout (empty when not read). */
  stdout: string;
  /** Its stderr. */
  stderr: string;
}

/**
 * How a keychain tool's run ended: done, nothing matched (`missing`), or a
 * failure of the keychain with a one-line reason.
 */
export type Outcome =
  | { ok: true }
  | { ok: false; missing: true }
  | { ok: false; missing: false; reason: string };

/**
 * Runs a keychain tool with a deadline. On timeout the child is killed and
 * its pipes are abandoned, so a grandchild holding them open cannot stall us.
 *
 * @param call The program, arguments and stdin.
 * @param timeoutMs The deadline in milliseconds.
 * @returns Its exit code and output, or `"timeout"`.
 * @throws {Deno.errors.NotFound} When the program is not installed (and
 * whatever else spawning it throws, such as `Deno.errors.NotCapable`).
 *
 * @example The secret goes on stdin; a tool that hangs is killed at the deadline
 * ```ts
 * import { runTool } from "./runner.ts";
 * const echoed = await runTool({ command: "cat", args: [], stdin: "on stdin" }, 5_000);
 * if (echoed === "timeout" || echoed.code !== 0 || echoed.stdout !== "on stdin") {
 *   throw new Error("cat did not echo its stdin");
 * }
 * if ((await runTool({ command: "sleep", args: ["5"] }, 100)) !== "timeout") {
 *   throw new Error("sleep was not stopped at the deadline");
 * }
 * ```
 */
export async function runTool(
  call: ToolCall,
  timeoutMs: number,
): Promise<ToolResult | "timeout"> {
  const child = new Deno.Command(call.command, {
    args: call.args,
    stdin: call.stdin === undefined ? "null" : "piped",
    stdout: call.stdout === false ? "null" : "piped",
    stderr: "piped",
    ...childEnvironment({ LC_ALL: "C" }), // messages we classify, in English; no secret
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
