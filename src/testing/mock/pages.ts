/**
 * The HTML pages a person (or Playwright) uses: device code entry, sign-in and consent, results
 * and errors. Every value is escaped.
 *
 * @module
 */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const STYLE =
  `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.5rem;box-sizing:border-box}
.buttons{display:flex;gap:.5rem;margin-top:1rem}button{flex:1;padding:.6rem}
.error{color:#a00}.hint{color:#555}`;

/**
 * A complete HTML document.
 *
 * @param title The page title and heading.
 * @param body The inner HTML, already escaped.
 * @returns The document.
 */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function errorLine(error: string | undefined): string {
  return error === undefined ? "" : `<p class="error" role="alert">${escapeHtml(error)}</p>`;
}

function credentials(username: string): string {
  return `<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="${escapeHtml(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">`;
}

/**
 * The device verification page (RFC 8628 §3.3): user code, credentials, Approve and Deny.
 *
 * @param options The prefilled user code and username, and an error to show.
 * @returns The document.
 */
export function devicePage(
  options: { userCode?: string; username?: string; error?: string } = {},
): string {
  return page(
    "Sign in a device",
    `${errorLine(options.error)}
<p class="hint">Enter the code shown on your device, then sign in to approve it.</p>
<form method="post" action="/device">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters"
 value="${escapeHtml(options.userCode ?? "")}">
${credentials(options.username ?? "")}
<div class="buttons">
<button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
}

/**
 * The sign-in and consent page of the authorization endpoint. The request parameters travel
 * in hidden fields and are checked again when the form is posted.
 *
 * @param options The request parameters, the client and scope to show, and an error.
 * @returns The document.
 */
export function authorizePage(options: {
  params: URLSearchParams;
  clientId: string;
  scope: string;
  username?: string;
  error?: string;
}): string {
  const hidden = [...options.params]
    .filter(([name]) => !["username", "password", "decision"].includes(name))
    .map(([name, value]) =>
      `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`
    ).join("\n");
  const scopes = options.scope.split(" ").filter((value) => value !== "")
    .map((value) => `<li>${escapeHtml(value)}</li>`).join("");
  return page(
    "Sign in",
    `${errorLine(options.error)}
<p><strong>${escapeHtml(options.clientId)}</strong> asks for access to:</p>
<ul id="scopes">${scopes}</ul>
<form method="post" action="/authorize">
${hidden}
${credentials(options.username ?? "")}
<div class="buttons">
<button id="allow" type="submit" name="decision" value="allow">Allow</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>`,
  );
}

/**
 * A page with one message, e.g. the result of a device decision.
 *
 * @param title The heading.
 * @param message The message.
 * @param isError Whether the message reports an error.
 * @returns The document.
 */
export function messagePage(title: string, message: string, isError = false): string {
  return page(
    title,
    `<p id="message"${isError ? ' class="error" role="alert"' : ""}>${escapeHtml(message)}</p>`,
  );
}
