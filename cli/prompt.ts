/**
 * How the CLI shows a login prompt (device code or browser URL) on stderr,
 * and the spinner that runs while it waits for the person.
 *
 * @module
 */

import { defaultPrompt, type LoginPrompt, promptText } from "../mod.ts";
import type { Output } from "./output.ts";

/** A prompt handler and the way to stop its spinner. */
export interface Prompter {
  /** Shows the prompt on stderr, then a spinner (on a terminal). */
  onPrompt(prompt: LoginPrompt): Promise<void>;
  /** Stops the spinner, if one runs. */
  stop(): void;
}

/**
 * The prompt handler of `login`: the library's prompt (with a QR code on a
 * colour terminal), or the URL and code alone under `NO_COLOR`, then a
 * spinner until {@linkcode Prompter.stop}.
 *
 * @param out The writer.
 * @returns The handler.
 */
export function loginPrompter(out: Output): Prompter {
  let spinner: { stop(): void } | undefined;
  return {
    async onPrompt(prompt) {
      // The library's terminal QR code is drawn with colours: under NO_COLOR (or TERM=dumb) on a
      // terminal, the URL and the code alone.
      if (Deno.stderr.isTerminal() && !out.color) out.prompt(promptText(prompt) + "\n");
      else await defaultPrompt(prompt);
      spinner?.stop();
      spinner = out.spinner(
        prompt.kind === "device"
          ? "Waiting for you to approve the code…"
          : "Waiting for the browser…",
      );
    },
    stop() {
      spinner?.stop();
    },
  };
}
