// The npm packages only the tests use, pinned here rather than in deno.json's imports: `deno task`
// installs every package of the import map before it runs any task, so a newcomer's first
// `deno task demo` would otherwise download the property-test and browser tools too.
export { default as fc } from "npm:fast-check@^4.10.2";

/** Chromium's driver, loaded only by the browser tests. */
export async function loadPlaywright(): Promise<typeof import("npm:playwright-core@^1.57.0")> {
  return await import("npm:playwright-core@^1.57.0");
}
