// A stand-in for a person at a browser, started by `xdg-open` through `$BROWSER`: it signs in at
// the mock provider (its `/_mock/authorize` hook does what the sign-in page does) and follows
// the redirect to the CLI's loopback callback, as a browser would.
const url = new URL(Deno.args[0]!);
const answer = await fetch(`${url.origin}/_mock/authorize`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ url: url.href }),
});
const { location, error } = await answer.json();
if (!location) throw new Error(`the mock refused the authorization URL: ${error}`);
const callback = await fetch(location);
await callback.body?.cancel();
if (!callback.ok) Deno.exit(1);
