/**
 * The redirect rule of `Auth.fetch`, over generated chains: statuses 301/302/303/307/308,
 * methods GET/POST/PUT, several loopback origins (two API origins, an alias of the first under
 * `localhost`, an unlisted port, and `https:` on the API's host and port), Locations absolute,
 * root-relative or scheme-relative, and Locations of other schemes (`file:`, `data:`, `ftp:`,
 * `javascript:`, `blob:`, `about:`, `ws:`, `mailto:`, and one the server made up out of the token).
 *
 * The rule: credentials — the injected token, the caller's own `Authorization` and `Cookie` — go
 * only on the hops before the first departure from the first origin, whatever origins later hops
 * reach; the token only when that first origin is an API origin; a Location that is not
 * `http:`/`https:` is a `TypeError` with no further request and no secret in it. Methods and
 * bodies change as `fetch` changes them.
 *
 * Run against a recording underlying fetch (fast, `https:` included) and against real loopback
 * servers through the runtime's own fetch (what is on the wire, and what the runtime would read).
 */

import { fc } from "../test_deps.ts";
import { assert, assertEquals } from "../support/assert.ts";
import { Auth } from "../../mod.ts";
import { errorText, fuzzRuns, leaksIn } from "./helpers.ts";
import { serve } from "../support/server.ts";
import { CANARIES, CANARY, canaryFile } from "../support/canary.ts";

/** A prefix no other test sets: other test files share this process's environment. */
const envPrefix = `LKREDIRPROP${Deno.pid}_`;

const OWN_AUTHORIZATION = `Bearer ${CANARY.envToken}`;
const OWN_COOKIE = `sid=${CANARY.password}`;

/** Where a redirect goes: an origin of the network (by index), or a URL of another scheme. */
type Target =
  | { kind: "http"; origin: number; form: "absolute" | "root" | "scheme-relative" }
  | { kind: "other"; scheme: number };

interface Step {
  status: 301 | 302 | 303 | 307 | 308;
  target: Target;
}

interface Case {
  start: number;
  method: "GET" | "POST" | "PUT";
  ownAuthorization: boolean;
  ownCookie: boolean;
  steps: Step[];
}

/** What one request looked like when it left (or arrived). */
interface Sent {
  url: string;
  method: string;
  authorization: string | null;
  cookie: string | null;
  body: string;
}

/** The origins of a network: the first two are the API origins. */
interface Network {
  origins: string[];
  apiOrigins: string[];
}

/** Locations of other schemes; the first reads a file holding a canary. */
function otherLocations(canaryPath: string, origin: string): string[] {
  return [
    `file://${canaryPath}`,
    `data:text/plain,${CANARY.fileRefresh}`,
    "ftp://127.0.0.1/secret",
    "javascript:alert(1)",
    `blob:${origin}/00000000-0000-0000-0000-000000000000`,
    "about:blank",
    `ws://${new URL(origin).host}/socket`,
    "mailto:someone@example.org",
    `${CANARY.token}:x`,
  ];
}

function arbitraryCase(origins: number, others: number): fc.Arbitrary<Case> {
  const target: fc.Arbitrary<Target> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("http" as const),
        origin: fc.nat(origins - 1),
        form: fc.constantFrom("absolute" as const, "root" as const, "scheme-relative" as const),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("other" as const), scheme: fc.nat(others - 1) }),
    },
  );
  return fc.record({
    start: fc.nat(origins - 1),
    method: fc.constantFrom("GET" as const, "POST" as const, "PUT" as const),
    ownAuthorization: fc.boolean(),
    ownCookie: fc.boolean(),
    steps: fc.array(
      fc.record({
        status: fc.constantFrom(301, 302, 303, 307, 308) as fc.Arbitrary<Step["status"]>,
        target,
      }),
      { maxLength: 6 },
    ),
  });
}

/** The Location a step's server answers with, from the hop at `from`. */
function locationOf(step: Step, from: URL, next: number, network: Network, others: string[]) {
  const target = step.target;
  if (target.kind === "other") return others[target.scheme]!;
  const to = new URL(`/hop/${next}`, network.origins[target.origin]);
  // A relative form only where it resolves to the same URL.
  if (target.form === "root" && to.origin === from.origin) return to.pathname;
  if (target.form === "scheme-relative" && to.protocol === from.protocol) {
    return `//${to.host}${to.pathname}`;
  }
  return to.href;
}

/** The answer to the hop numbered `index` of a case. */
function answer(c: Case, index: number, url: URL, network: Network, others: string[]): Response {
  const step = c.steps[index];
  if (step === undefined) return new Response("ok");
  return new Response("moved", {
    status: step.status,
    headers: { location: locationOf(step, url, index + 1, network, others) },
  });
}

/** What the rule says the hops are, and whether the chain ends in a refused Location. */
function expected(c: Case, network: Network, others: string[]): { hops: Sent[]; refused: boolean } {
  const hops: Sent[] = [];
  let url = new URL("/hop/0", network.origins[c.start]);
  const first = url.origin;
  let method: string = c.method;
  let body = c.method === "GET" ? "" : "payload";
  let departed = false;
  for (let i = 0;; i++) {
    departed ||= url.origin !== first;
    const authorization = departed
      ? null
      : c.ownAuthorization
      ? OWN_AUTHORIZATION
      : network.apiOrigins.includes(first)
      ? `Bearer ${CANARY.token}`
      : null;
    hops.push({
      url: url.href,
      method,
      authorization,
      cookie: !departed && c.ownCookie ? OWN_COOKIE : null,
      body,
    });
    const step = c.steps[i];
    if (step === undefined) return { hops, refused: false };
    const next = new URL(locationOf(step, url, i + 1, network, others), url);
    if (next.protocol !== "http:" && next.protocol !== "https:") return { hops, refused: true };
    if (
      step.status === 303 && method !== "GET" && method !== "HEAD" ||
      (step.status === 301 || step.status === 302) && method === "POST"
    ) {
      method = "GET";
      body = "";
    }
    url = next;
  }
}

async function record(url: string, init: RequestInit | undefined): Promise<Sent> {
  const headers = new Headers(init?.headers);
  const body = init?.body === undefined || init.body === null
    ? ""
    : await new Response(init.body).text();
  return {
    url,
    method: init?.method ?? "GET",
    authorization: headers.get("authorization"),
    cookie: headers.get("cookie"),
    body,
  };
}

/** Sends a case through `auth` and checks what `sent` saw against the rule. */
async function check(
  auth: Auth,
  c: Case,
  network: Network,
  others: string[],
  sent: Sent[],
  secrets: string[],
): Promise<void> {
  sent.length = 0;
  const headers: Record<string, string> = {};
  if (c.ownAuthorization) headers.authorization = OWN_AUTHORIZATION;
  if (c.ownCookie) headers.cookie = OWN_COOKIE;
  const want = expected(c, network, others);
  const label = JSON.stringify(c);
  let outcome: { response: string } | { error: unknown };
  try {
    const response = await auth.fetch(new URL("/hop/0", network.origins[c.start]), {
      method: c.method,
      headers,
      ...(c.method === "GET" ? {} : { body: "payload" }),
    });
    outcome = { response: `${response.status} ${await response.text()}` };
  } catch (error) {
    outcome = { error };
  }
  if (want.refused) {
    assert("error" in outcome, `expected a TypeError, got ${JSON.stringify(outcome)}: ${label}`);
    const error = outcome.error;
    assert(
      error instanceof TypeError && error.constructor === TypeError,
      `expected a TypeError, got ${String(error)}: ${label}`,
    );
    assert(error.message.startsWith("Fetch failed: "), `${error.message}: ${label}`);
    assertEquals(leaksIn(errorText(error), secrets), [], label);
  } else {
    assertEquals(outcome, { response: "200 ok" }, label);
  }
  assertEquals(sent, want.hops, label);
}

Deno.test("property: credentials only before a chain first leaves its origin, and only http(s) is followed (recorded fetch)", async () => {
  await using file = await canaryFile("latchkey-redirect-prop-");
  const network: Network = {
    origins: [
      "http://127.0.0.1:41001",
      "http://127.0.0.1:41002",
      "http://localhost:41001",
      "http://127.0.0.1:41003",
      "https://127.0.0.1:41001",
    ],
    apiOrigins: ["http://127.0.0.1:41001", "http://127.0.0.1:41002"],
  };
  const others = otherLocations(file.path, network.origins[0]!);
  const sent: Sent[] = [];
  let current: Case | undefined;
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: network.apiOrigins,
    dotenv: false,
    envPrefix,
    retries: 0,
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      sent.push(await record(url.href, init));
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return new Response(CANARY.fileRefresh); // what reading the file would give
      }
      return answer(current!, sent.length - 1, url, network, others);
    },
  });
  await fc.assert(
    fc.asyncProperty(arbitraryCase(network.origins.length, others.length), async (c) => {
      current = c;
      await check(auth, c, network, others, sent, [...CANARIES, file.path]);
    }),
    { numRuns: fuzzRuns(1000, 200) },
  );
});

Deno.test("property: credentials only before a chain first leaves its origin, and only http(s) is followed (loopback servers)", async () => {
  await using file = await canaryFile("latchkey-redirect-prop-");
  const sent: Sent[] = [];
  // Filled in once the servers listen (their ports make the origins).
  const state: { case?: Case; network?: Network; others: string[] } = { others: [] };
  // The servers record what arrived on the wire; the port tells which origin was meant, so
  // `localhost:<api port>` and `127.0.0.1:<api port>` are told apart by the Host header.
  const handler = async (request: Request) => {
    const host = request.headers.get("host")!;
    const url = new URL(new URL(request.url).pathname, `http://${host}`);
    sent.push(
      await record(url.href, {
        method: request.method,
        headers: request.headers,
        body: await request.text(),
      }),
    );
    return answer(state.case!, sent.length - 1, url, state.network!, state.others);
  };
  await using api = serve(handler);
  await using api2 = serve(handler);
  await using unlisted = serve(handler);
  const network: Network = {
    origins: [api.origin, api2.origin, `http://localhost:${api.port}`, unlisted.origin],
    apiOrigins: [api.origin, api2.origin],
  };
  const others = otherLocations(file.path, api.origin);
  Object.assign(state, { network, others });
  const auth = new Auth({
    token: CANARY.token,
    apiOrigins: network.apiOrigins,
    dotenv: false,
    envPrefix,
    retries: 0,
  });
  await fc.assert(
    fc.asyncProperty(arbitraryCase(network.origins.length, others.length), async (c) => {
      state.case = c;
      await check(auth, c, network, others, sent, [...CANARIES, file.path]);
    }),
    { numRuns: fuzzRuns(1000, 200) },
  );
});
