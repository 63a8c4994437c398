// The presets' terminal question (`ask`, anaconda's password prompt) reads a secret with the one
// no-echo reader of src/util/terminal_secret.ts, on a pseudo terminal from util-linux `script`.
import { assert } from "./helpers.ts";
import { inTerminal } from "../support/terminal.ts";

async function hasProgram(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(name, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return out.success;
  } catch {
    return false; // not installed: Deno.Command throws
  }
}

const ROOT = new URL("../../", import.meta.url);

Deno.test({
  name:
    "ask({ secret: true }) reads without echo: Backspace drops a whole UTF-8 character, Ctrl-U starts again",
  ignore: !(await hasProgram("script")),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const child = `${dir}/ask.ts`;
      const terminal = new URL("src/presets/terminal.ts", ROOT).href;
      await Deno.writeTextFile(
        child,
        `import { ask } from ${JSON.stringify(terminal)};\n` +
          `console.log("answer=" + JSON.stringify(await ask("Secret: ", { secret: true })));\n`,
      );
      const command = [Deno.execPath(), "run", "-q", "--no-prompt", "--no-lock", child];
      const [script, ...args] = inTerminal(command);
      const proc = new Deno.Command(script!, {
        args,
        cwd: ROOT.pathname,
        env: { TERM: "dumb", SHELL: "/bin/sh" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let output = "";
      while (!output.includes("Secret: ")) {
        const { value, done } = await reader.read();
        if (done) break;
        output += value;
      }
      assert.ok(output.includes("Secret: "), output);
      const writer = proc.stdin.getWriter();
      // "xé", Backspace (both bytes of é), Ctrl-U, "pw-é", Backspace, "1", Enter
      await writer.write(new TextEncoder().encode("x\u00e9\x7f\x15pw-\u00e9\x7f1\r"));
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        output += value;
      }
      await writer.close().catch(() => {});
      await proc.status;
      await proc.stderr.cancel();
      assert.ok(output.includes('answer="pw-1"'), output);
      assert.equal(output.split("pw-").length, 2, `the secret was echoed: ${output}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
