// Shared set-up for the OAuth tests: an isolated HOME per test file, and an
// Auth wired to a mock provider with an onPrompt that approves like a person.
import { Auth, type AuthOptions, Credential, FileStore, type LoginPrompt } from "../../mod.ts";
import type { MockProvider } from "../../testing.ts";

/** Points HOME and XDG_CONFIG_HOME at a fresh temporary folder; clears LATCHKEY_*. */
export async function isolateHome(): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "latchkey-oauth-" });
  Deno.env.set("HOME", home);
  Deno.env.set("XDG_CONFIG_HOME", `${home}/.config`);
  for (const name of Object.keys(Deno.env.toObject())) {
    if (name.startsWith("LATCHKEY_")) Deno.env.delete(name);
  }
  return home;
}

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
export async function seedProfile(provider: MockProvider, profile: string, ttl?: number) {
  const t = await provider.issueTokens({ ttl, scope: "openid offline_access" });
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
    }),
  );
  return t;
}
