/**
 * How a device code or a login URL is shown to a person: rich output in a
 * Deno Jupyter kernel, text and a QR code on a terminal, plain text otherwise.
 *
 * @module
 */

/** What a login asks a person to do. */
export type LoginPrompt =
  | {
    /** A device authorization (RFC 8628). */
    kind: "device";
    /** Where to enter the code. */
    verificationUri: string;
    /** The code to enter. */
    userCode: string;
    /** A URL that carries the code, when the provider gives one. */
    verificationUriComplete: string | undefined;
    /** Seconds until the code expires. */
    expiresIn: number;
  }
  | {
    /** A browser login (authorization code + PKCE). */
    kind: "browser";
    /** The URL to open. */
    url: string;
  };

/** Shows a {@linkcode LoginPrompt}. */
export type PromptHandler = (prompt: LoginPrompt) => void | Promise<void>;

function jupyter(): typeof Deno.jupyter | undefined {
  try {
    return typeof Deno.jupyter?.display === "function" ? Deno.jupyter : undefined;
  } catch {
    return undefined; // Deno.jupyter throws outside `deno jupyter`
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The text lines of a prompt, as printed on stderr.
 *
 * @param prompt The prompt.
 * @returns The message.
 *
 * @example
 * ```ts
 * import { promptText } from "@latchkey/latchkey";
 * const text = promptText({ kind: "device", verificationUri: "https://id.example.org/device", userCode: "WDJB-MJHT", verificationUriComplete: undefined, expiresIn: 600 });
 * if (!(text.includes("WDJB-MJHT"))) throw new Error("Expected text.includes(\"WDJB-MJHT\")");
 * ```
 */
export function promptText(prompt: LoginPrompt): string {
  if (prompt.kind === "browser") {
    return `To sign in, open this URL in a browser:\n  ${prompt.url}`;
  }
  const lines = [
    `To sign in, visit ${prompt.verificationUri} and enter the code: ${prompt.userCode}`,
  ];
  if (prompt.verificationUriComplete) {
    lines.push(`or open ${prompt.verificationUriComplete}`);
  }
  return lines.join("\n");
}

/**
 * The default {@linkcode PromptHandler}: in a Deno Jupyter kernel, an HTML
 * link, the code and a QR image; on a terminal, text and a QR code on
 * stderr; otherwise plain text on stderr.
 *
 * @param prompt The prompt.
 *
 * @example
 * ```ts
 * import { defaultPrompt } from "@latchkey/latchkey";
 * await defaultPrompt({ kind: "browser", url: "https://id.example.org/authorize?client_id=cli" });
 * ```
 */
export async function defaultPrompt(prompt: LoginPrompt): Promise<void> {
  const link = prompt.kind === "browser"
    ? prompt.url
    : prompt.verificationUriComplete ?? prompt.verificationUri;
  const kernel = jupyter();
  if (kernel) {
    const { toDataURL } = await import("qrcode");
    const qr = await toDataURL(link, { margin: 1, width: 180 });
    const code = prompt.kind === "device"
      ? `<p>Code: <code style="font-size:1.4em">${escapeHtml(prompt.userCode)}</code></p>`
      : "";
    const html = `<div class="latchkey-login"><p>To sign in, open <a href="${
      escapeHtml(link)
    }" target="_blank">${escapeHtml(link)}</a></p>${code}<img alt="QR code" src="${qr}"></div>`;
    await kernel.display({ "text/html": html, "text/plain": promptText(prompt) }, { raw: true });
    return;
  }
  let text = promptText(prompt);
  if (Deno.stderr.isTerminal() && !Deno.noColor) { // the QR code is drawn with colours
    const { toString } = await import("qrcode");
    text += "\n" + await toString(link, { type: "terminal", small: true });
  }
  console.error(text);
}
