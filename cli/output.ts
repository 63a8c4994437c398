/**
 * Where the CLI writes: results on stdout, human messages on stderr (colour
 * only on a terminal and without `NO_COLOR`), a spinner only on a terminal.
 *
 * @module
 */

const encoder = new TextEncoder();

/** How the output behaves. */
export interface OutputOptions {
  /** Print only results, prompts and errors. @default {false} */
  quiet?: boolean;
  /** Debug level: 0 none, 1 or more shows debug lines. @default {0} */
  verbose?: number;
  /** Colour on stderr. @default {whether stderr is a terminal and NO_COLOR/TERM=dumb are unset} */
  color?: boolean;
  /** Animations on stderr. @default {whether stderr is a terminal and TERM is not dumb} */
  animate?: boolean;
}

/** A running spinner. */
export interface Spinner {
  /** Stops it and clears its line. */
  stop(): void;
}

/**
 * Whether colour and animation suit stderr: a terminal, `NO_COLOR` unset or
 * empty, `TERM` not `dumb`.
 *
 * @returns `{ color, animate }`.
 */
export function terminalStyle(): { color: boolean; animate: boolean } {
  const tty = Deno.stderr.isTerminal();
  const noColor = (Deno.env.get("NO_COLOR") ?? "") !== "";
  const dumb = Deno.env.get("TERM") === "dumb";
  return { color: tty && !noColor && !dumb, animate: tty && !dumb };
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
}

/**
 * Formats seconds as a short duration: `45 s`, `12 min`, `3 h 5 min`, `2 d`.
 *
 * @param seconds A duration.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./output.ts";
 * if (!(formatDuration(3700) === "1 h 1 min")) {
 *   throw new Error("Expected formatDuration(3700) === \"1 h 1 min\"");
 * }
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 2 * 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ""}`;
  }
  return `${Math.floor(s / 86400)} d`;
}

/** The CLI's writer. */
export class Output {
  readonly quiet: boolean;
  readonly verbose: number;
  readonly color: boolean;
  readonly animate: boolean;

  /** @param options Quiet, verbose, colour, animation. */
  constructor(options: OutputOptions = {}) {
    this.quiet = options.quiet ?? false;
    this.verbose = options.verbose ?? 0;
    const style = options.color === undefined || options.animate === undefined
      ? terminalStyle()
      : undefined;
    this.color = options.color ?? style!.color;
    this.animate = options.animate ?? style!.animate;
  }

  #paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** Bold, when colour is on. */
  bold(text: string): string {
    return this.#paint("1", text);
  }

  /** Dim, when colour is on. */
  dim(text: string): string {
    return this.#paint("2", text);
  }

  /** Green, when colour is on. */
  green(text: string): string {
    return this.#paint("32", text);
  }

  /** Writes a line on stdout: the command's result. */
  result(text: string): void {
    writeAll(Deno.stdout, text.endsWith("\n") ? text : text + "\n");
  }

  /** Writes a value as JSON on stdout. */
  json(value: unknown): void {
    this.result(JSON.stringify(value, null, 2));
  }

  /** Writes raw text on stderr, whatever the verbosity (prompts). */
  prompt(text: string): void {
    writeAll(Deno.stderr, text);
  }

  /** A human message on stderr, unless quiet. */
  info(text: string): void {
    if (!this.quiet) writeAll(Deno.stderr, text + "\n");
  }

  /** A one-line warning on stderr, unless quiet. */
  warn(text: string): void {
    if (!this.quiet) writeAll(Deno.stderr, `${this.#paint("33", "latchkey: warning:")} ${text}\n`);
  }

  /** A debug line on stderr, only with `-v`. */
  debug(text: string): void {
    if (this.verbose > 0) writeAll(Deno.stderr, this.dim(`latchkey: debug: ${text}`) + "\n");
  }

  /** An error on stderr, always; the hint goes on a second line. */
  error(text: string, hint?: string): void {
    let out = `${this.#paint("31", "latchkey: error:")} ${text}\n`;
    if (hint) out += `${this.dim("latchkey: hint:")} ${hint}\n`;
    writeAll(Deno.stderr, out);
  }

  /** A one-line usage error on stderr, always. */
  usage(text: string): void {
    writeAll(Deno.stderr, `${this.#paint("31", "latchkey:")} ${text}\n`);
  }

  /**
   * Shows `label` and the elapsed seconds on stderr until stopped; only on a
   * terminal and when not quiet (otherwise it does nothing).
   *
   * @param label What is being waited for.
   * @returns The spinner.
   */
  spinner(label: string): Spinner {
    if (!this.animate || this.quiet) return { stop() {} };
    const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    const started = Date.now();
    let i = 0;
    const draw = () => {
      const elapsed = formatDuration((Date.now() - started) / 1000);
      writeAll(
        Deno.stderr,
        `\r\x1b[2K${frames[i++ % frames.length]} ${label} ${this.dim(elapsed)}`,
      );
    };
    draw();
    const timer = setInterval(draw, 100);
    let stopped = false;
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        writeAll(Deno.stderr, "\r\x1b[2K");
      },
    };
  }
}
