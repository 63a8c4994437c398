/**
 * `latchkey fetch`: an authenticated request, only to the profile's API
 * origins; the body goes to stdout.
 *
 * @module
 */

import { Auth, AuthError } from "../../mod.ts";
import { assertAllowedOrigin } from "../../src/url.ts";
import { expectPositionals, stringList, stringValue, usageError } from "../args.ts";
import type { Command } from "../command.ts";
import { readStdinBytes } from "../stdin.ts";

/**
 * The URL a `fetch` argument names: an absolute `http(s):` URL as is, a path
 * joined to the first API origin.
 *
 * @param target The argument.
 * @param apiOrigins The profile's API origins.
 * @returns The URL.
 * @throws {AuthError} `CONFIG_INVALID` when a path is given and there is no API origin.
 *
 * @example
 * ```ts
 * import { targetUrl } from "./fetch.ts";
 * const url = targetUrl("v1/me?x=1", ["https://api.example.org"]);
 * if (url.href !== "https://api.example.org/v1/me?x=1") throw new Error(url.href);
 * ```
 */
export function targetUrl(target: string, apiOrigins: readonly string[]): URL {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    try {
      return new URL(target);
    } catch {
      throw usageError(`"${target}" is not a valid URL`);
    }
  }
  const origin = apiOrigins[0];
  if (origin === undefined) {
    throw new AuthError(
      "CONFIG_INVALID",
      `Cannot resolve "${target}": the profile has no API origin`,
      {
        hint: "log in with --api ORIGIN, or pass a full URL",
      },
    );
  }
  return new URL(target.startsWith("/") ? target : `/${target}`, origin);
}

/**
 * Parses `-H 'Name: value'` arguments.
 *
 * @param lines The arguments.
 * @returns The headers.
 * @throws {AuthError} `USAGE` for a line without a name and a colon.
 */
export function parseHeaders(lines: readonly string[]): Headers {
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw usageError(`header "${line.slice(0, 40)}" is not "Name: value"`);
    }
    headers.append(name, line.slice(colon + 1).trim());
  }
  return headers;
}

async function body(data: string): Promise<Uint8Array | string> {
  if (data === "@-") return await readStdinBytes();
  if (data.startsWith("@")) {
    try {
      return await Deno.readFile(data.slice(1));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
        throw usageError(`cannot read "${data.slice(1)}" for -d: no such file`);
      }
      throw error;
    }
  }
  return data;
}

function looksLikeJson(data: Uint8Array | string): boolean {
  try {
    const text = typeof data === "string" ? data : new TextDecoder().decode(data);
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null;
  } catch {
    return false;
  }
}

export const command: Command = {
  name: "fetch",
  usage: "URL|PATH [-X METHOD] [-H 'Name: value']… [-d DATA|@FILE|@-] [-i]",
  summary: "Send an authenticated request to one of the profile's API origins.",
  description:
    `Anything but the profile's API origins is refused before sending (exit 2). A PATH is joined to
the first API origin. Redirects are followed only to http: and https: (anything else fails, exit
3), and no hop after the first one off the origin carries the token or your -H Authorization and
Cookie. The response body goes to stdout; an HTTP error status exits 1. With -d the
method defaults to POST and the content type to application/json when the data is JSON, else
application/x-www-form-urlencoded (as curl does).`,
  options: {
    request: {
      type: "string",
      short: "X",
      value: "METHOD",
      description: "the method (default GET)",
    },
    header: {
      type: "string",
      short: "H",
      value: "'Name: value'",
      multiple: true,
      description: "a request header",
    },
    data: {
      type: "string",
      short: "d",
      value: "DATA",
      description: "the body: text, @FILE or @- (stdin)",
    },
    include: {
      type: "boolean",
      short: "i",
      description: "print the status line and headers first",
    },
  },
  examples: [
    "latchkey fetch /v1/me",
    `latchkey fetch -X POST -H 'Content-Type: application/json' -d @body.json https://api.example.org/v1/items`,
  ],

  async run(ctx, args) {
    expectPositionals(args, "fetch", 1, 1);
    const v = args.values;
    if (ctx.json) {
      throw usageError("--json does not apply to fetch: the response body is printed as it came");
    }
    const auth = new Auth({ profile: ctx.profile });
    const { apiOrigins } = await auth.status();
    const url = targetUrl(args.positionals[0]!, apiOrigins);
    assertAllowedOrigin(url, apiOrigins);
    const headers = parseHeaders(stringList(v, "header"));
    const data = stringValue(v, "data");
    const payload = data === undefined ? undefined : await body(data);
    const method = (stringValue(v, "request") ?? (payload === undefined ? "GET" : "POST"))
      .toUpperCase();
    if (!/^[A-Z]+$/.test(method)) throw usageError(`"${method}" is not an HTTP method`);
    if (payload !== undefined && !headers.has("content-type")) {
      headers.set(
        "content-type",
        looksLikeJson(payload) ? "application/json" : "application/x-www-form-urlencoded",
      );
    }
    ctx.out.debug(`${method} ${url.origin}${url.pathname}`);
    const response = await auth.fetch(url, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload as BodyInit } : {}),
      signal: ctx.signal,
    });
    if (v.include === true) {
      let head = `HTTP/1.1 ${response.status} ${response.statusText}\r\n`;
      response.headers.forEach((value, name) => head += `${name}: ${value}\r\n`);
      ctx.out.result(head + "\r");
    }
    if (response.body) {
      await response.body.pipeTo(Deno.stdout.writable, { preventClose: true });
    }
    if (response.status >= 400) {
      ctx.out.info(`latchkey: HTTP ${response.status} ${response.statusText} from ${url.origin}`);
      return 1;
    }
    return 0;
  },
};
