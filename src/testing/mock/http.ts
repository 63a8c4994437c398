/**
 * HTTP helpers shared by the endpoints: OAuth error responses (RFC 6749 §5.2), `no-store` JSON
 * and strict form parsing.
 *
 * @module
 */

/** An OAuth error to be answered as JSON; thrown by the endpoint code and caught at its edge. */
export class OAuthFailure extends Error {
  /** The OAuth `error` code, e.g. `invalid_grant`. */
  readonly error: string;
  /** The HTTP status of the response. */
  readonly status: number;
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  readonly headers: Record<string, string>;

  /**
   * @param error The OAuth `error` code.
   * @param description The `error_description`.
   * @param status The HTTP status.
   * @param headers Extra response headers.
   */
  constructor(error: string, description: string, status = 400, headers = {}) {
    super(description);
    this.name = "OAuthFailure";
    this.error = error;
    this.status = status;
    this.headers = headers;
  }
}

/**
 * A JSON response that must not be cached, as RFC 6749 §5.1 requires of token responses.
 *
 * @param body The JSON value.
 * @param status The HTTP status.
 * @param headers Extra headers.
 * @returns The response.
 */
export function jsonNoStore(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set("content-type", "application/json");
  response.headers.set("cache-control", "no-store");
  response.headers.set("pragma", "no-cache");
  return response;
}

/**
 * The JSON response for an {@linkcode OAuthFailure}.
 *
 * @param failure The failure.
 * @returns The response.
 */
export function failureResponse(failure: OAuthFailure): Response {
  return jsonNoStore(
    { error: failure.error, error_description: failure.message },
    failure.status,
    failure.headers,
  );
}

/**
 * Runs an endpoint, turning a thrown {@linkcode OAuthFailure} into its JSON response.
 *
 * @param handler The endpoint code.
 * @returns Its response, or the error response.
 */
export async function answer(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (error) {
    if (error instanceof OAuthFailure) return failureResponse(error);
    throw error;
  }
}

/** The media type of a request, lower case and without parameters. */
export function mediaType(headers: Headers): string {
  return (headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Parses an `application/x-www-form-urlencoded` body, refusing other media types and repeated
 * parameters (RFC 6749 §3.2).
 *
 * @param headers The request headers.
 * @param body The request body.
 * @returns The parameters.
 * @throws {OAuthFailure} `invalid_request` when the body is not a form or repeats a parameter.
 */
export function parseForm(headers: Headers, body: string): URLSearchParams {
  if (mediaType(headers) !== "application/x-www-form-urlencoded") {
    throw new OAuthFailure(
      "invalid_request",
      'The request body must be "application/x-www-form-urlencoded"',
    );
  }
  const form = new URLSearchParams(body);
  checkNoRepeats(form);
  return form;
}

/**
 * Refuses parameters that appear more than once.
 *
 * @param params The parameters.
 * @throws {OAuthFailure} `invalid_request` naming the repeated parameter.
 */
export function checkNoRepeats(params: URLSearchParams): void {
  for (const key of new Set(params.keys())) {
    if (params.getAll(key).length > 1) {
      throw new OAuthFailure("invalid_request", `Parameter "${key}" is repeated`);
    }
  }
}

/**
 * Reads a required parameter.
 *
 * @param form The parameters.
 * @param name The parameter name.
 * @returns Its value.
 * @throws {OAuthFailure} `invalid_request` when it is missing or empty.
 */
export function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === "") {
    throw new OAuthFailure("invalid_request", `Parameter "${name}" is missing`);
  }
  return value;
}
