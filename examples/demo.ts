/**
 * `deno task demo`: a whole Latchkey session, offline, in a few seconds.
 *
 * Starts the embedded mock provider on loopback with a throwaway HOME, signs
 * in with the device flow (the mock approves the code the way a person would
 * in a browser), prints `status`, calls the demo API through `auth.fetch`,
 * waits past the access token's expiry and shows the silent refresh.
 */
import { Auth, type LoginPrompt, promptText } from "../mod.ts";
import { startMockProvider } from "../testing.ts";

const home = await Deno.makeTempDir({ prefix: "latchkey-demo-" });
Deno.env.set("HOME", home);
Deno.env.set("XDG_CONFIG_HOME", `${home}/.config`);

const accessTtl = 4;
await using provider = await startMockProvider({ accessTokenTtl: accessTtl });
// bold on a terminal only, and never under NO_COLOR (https://no-color.org)
const bold = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
const say = (text: string) => console.log(bold ? `\n\x1b[1m▶ ${text}\x1b[0m` : `\n▶ ${text}`);

say(`Mock provider running at ${provider.issuer} (access tokens live ${accessTtl} s)`);

const auth = new Auth({
  issuer: provider.issuer,
  clientId: "latchkey-cli",
  scope: "openid profile offline_access",
  apiOrigins: [provider.issuer],
  dotenv: false,
  store: "file",
  onPrompt: (prompt: LoginPrompt) => {
    console.log(promptText(prompt));
    if (prompt.kind === "device") {
      console.log(
        `(a person would now open the page and approve; the demo approves ${prompt.userCode})`,
      );
      setTimeout(() => provider.approveDevice(prompt.userCode), 1500);
    }
  },
});

say('auth.login({ flow: "device" })');
await auth.login({ flow: "device", openBrowser: false, timeout: 30 });

say("auth.status()  — never shows a secret");
console.log(await auth.status());

say(`auth.fetch("${provider.apiUrl}/hello")`);
let res = await auth.fetch(`${provider.apiUrl}/hello`);
console.log(res.status, await res.json());

const before = provider.counts.token.refresh_token ?? 0;
say(`Waiting ${accessTtl} s, past the access token's expiry…`);
await new Promise((r) => setTimeout(r, accessTtl * 1000 + 200));

say("auth.fetch again: the token is refreshed silently first");
res = await auth.fetch(`${provider.apiUrl}/hello`);
console.log(res.status, await res.json());
const after = provider.counts.token.refresh_token ?? 0;
console.log(`refresh requests seen by the provider: ${after - before}`);
console.log(`new expiry: ${(await auth.status()).expiresAt}`);

await Deno.remove(home, { recursive: true });
say("Done.");
