// Shared set-up for the OAuth tests (an isolated HOME per test file comes from
// tests/support/home.ts): an Auth wired to a mock provider with an onPrompt that approves like a person.
import { Auth, type AuthOptions, Credential, FileStore, type LoginPrompt } from "../../mod.ts";
import type { MockProvider } from "../../testing.ts";
import { generateDpopKey } from "../../src/oauth/dpop.ts";

/** Prompts seen, and an onPrompt that approves device codes after `delayMs`. */
export function approvingPrompt(provider: MockProvider, delayMs = 50) {
  const prompts: LoginPrompt[] = [];
  const onPrompt = (prompt: LoginPrompt) => {
    prompts.push(prompt);
    if (prompt.kind === "device") {
      setTimeout(() => provider.approveDevice(prompt.userCode), delayMs);
    }
  };
  return { prompts, onPrompt };
}

/** An Auth for the mock's public client, with no .env and a given profile. */
export function publicAuth(provider: MockProvider, options: AuthOptions = {}): Auth {
  return new Auth({
    issuer: provider.issuer,
    clientId: "latchkey-cli",
    scope: "openid profile offline_access",
    apiOrigins: [provider.issuer],
    dotenv: false,
    ...options,
  });
}

/** Whether something listens on 127.0.0.1:port. */
export async function listening(port: number, hostname = "127.0.0.1"): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Saves a session minted by the mock as a profile's credential in the file
 * store of the current HOME.
 */
export async function seedProfile(
  provider: MockProvider,
  profile: string,
  ttl?: number,
  options: { dpop?: boolean } = {},
) {
  // With DPoP, the tokens are bound to a new key, which rests with the credential (as a
  // `login --dpop` leaves it).
  const key = options.dpop ? await generateDpopKey() : undefined;
  const t = await provider.issueTokens({ ttl, scope: "openid offline_access", jkt: key?.jkt });
  const now = Date.now() / 1000;
  await new FileStore().write(
    profile,
    new Credential({
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt: now + t.expires_in,
      issuedAt: now,
      issuer: provider.issuer,
      clientId: "latchkey-cli",
      tokenType: t.token_type,
      dpopKey: key?.jwk,
    }),
  );
  return t;
}

/** What one token_loop worker reports. */
export interface LoopResult {
  /** Successful `token()` calls. */
  calls: number;
  /** The errors seen, by code. */
  errors: string[];
}

/**
 * Runs `processes` token_loop workers on one profile for `seconds`, all
 * started together (each says `ready`, then all get `go`), so the window is
 * the same for every one of them.
 *
 * @returns Each worker's report and the span in seconds from the start signal.
 * @throws {Error} When a worker fails, with its stderr.
 */
export async function runTokenLoops(options: {
  issuer: string;
  profile: string;
  processes: number;
  seconds: number;
  home: string;
}): Promise<{ results: LoopResult[]; span: number }> {
  const worker = new URL("./fixtures/token_loop.ts", import.meta.url).pathname;
  const args = ["run", "-A", worker, options.issuer, String(options.seconds), options.profile];
  const env = { HOME: options.home, XDG_CONFIG_HOME: `${options.home}/.config` };
  const children = Array.from(
    { length: options.processes },
    () =>
      new Deno.Command(Deno.execPath(), {
        args,
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn(),
  );
  const readers = children.map((c) => c.stdout.pipeThrough(new TextDecoderStream()).getReader());
  for (const line of await Promise.all(readers.map((r) => r.read()))) {
    if (line.value?.trim() !== "ready") throw new Error(`a worker said ${line.value}`);
  }
  const startedAt = Date.now();
  await Promise.all(children.map(async (c) => {
    const w = c.stdin.getWriter();
    await w.write(new TextEncoder().encode("go\n"));
    await w.close();
  }));
  const results = await Promise.all(children.map(async (c, i) => {
    let out = "";
    for (let r = await readers[i]!.read(); !r.done; r = await readers[i]!.read()) out += r.value;
    const status = await c.status;
    const stderr = await new Response(c.stderr).text();
    if (!status.success) throw new Error(`a worker exited with ${status.code}: ${stderr}`);
    return JSON.parse(out) as LoopResult;
  }));
  return { results, span: (Date.now() - startedAt) / 1000 };
}
