// Reading request parameters: one reader for every endpoint, one set of rules.
//
// - A GET carries its parameters in the query; a POST in an
//   application/x-www-form-urlencoded body (RFC 6749 §3.1, §3.2; RFC 7009 §2.1,
//   RFC 7662 §2.1, RFC 6750 §2.2). Another body type is invalid_request (400).
// - A body is at most MAX_BODY_BYTES (64 KiB) of UTF-8 (RFC 6749 Appendix B):
//   a longer one is invalid_request with 413 (RFC 9110 §15.5.14), read no
//   further; bytes that are not UTF-8 are invalid_request (400).
// - "Parameters sent without a value MUST be treated as if they were omitted
//   from the request" (RFC 6749 §3.1, §3.2): an empty value is dropped.
// - "Request and response parameters MUST NOT be included more than once"
//   (§3.1, §3.2): invalid_request (400). The JSON endpoints refuse at once
//   (readFormBody); the authorization endpoint first makes sure of the client
//   and its redirect_uri, so it keeps the repeats to judge (readParameters).
// - An authorization request's values are at most MAX_PARAMETER_BYTES each
//   (checkParameterSize): that request is carried while the user signs in.
//
// Every refusal is an OAuthError: the JSON endpoints answer it as such
// (oauthErrorResponse: 400 or 413, Cache-Control: no-store), the authorization
// and logout endpoints with their own pages.
import { OAuthError, noStoreHeaders } from "./errors";

/** The largest body any endpoint reads (lib/server/webBridge.ts buffers no more). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The longest value one authorization request parameter may have, in UTF-8
 * bytes. RFC 6749 §3.1 and RFC 9700 set no size; this bound is ours
 * (docs/decisions/0010-bounded-storage-and-purge.md): it keeps what an
 * anonymous request can make the server carry small, and is well above what
 * real clients send (a state or nonce of a few hundred bytes).
 */
export const MAX_PARAMETER_BYTES = 2048;

/**
 * Parameters allowed more than MAX_PARAMETER_BYTES, with their own limit.
 * id_token_hint is an ID token this server signed (its nonce alone may be up to
 * 2 KiB, plus claims and signature); it is verified, never stored.
 */
export const LARGER_PARAMETER_LIMITS: Readonly<Record<string, number>> = { id_token_hint: 8192 };

/** The byte limit for a parameter's value. */
export function parameterByteLimit(name: string): number {
  return LARGER_PARAMETER_LIMITS[name] ?? MAX_PARAMETER_BYTES;
}

function fitsInBytes(value: string, limit: number): boolean {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: count only when the length alone cannot decide.
  if (value.length * 3 <= limit) return true;
  if (value.length > limit) return false;
  return Buffer.byteLength(value, "utf8") <= limit;
}

/**
 * The size rule for one authorization request parameter: null when `value`
 * fits its limit, else the invalid_request error naming the parameter and the limit.
 */
export function checkParameterSize(name: string, value: string): OAuthError | null {
  const limit = parameterByteLimit(name);
  if (fitsInBytes(value, limit)) return null;
  const shown = /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : "A";
  return new OAuthError(
    "invalid_request",
    `${shown === "A" ? "A parameter" : `The ${shown} parameter`} is longer than ${limit} bytes, the limit for each authorization request parameter.`,
  );
}

/**
 * A request's parameters as sent, empty values left out (RFC 6749 §3.1). A name
 * sent once maps to its value, a repeated one to all of its values.
 */
export class FormParameters {
  private constructor(
    private readonly values: ReadonlyMap<string, string | string[]>,
    /** Whether any name was sent more than once. */
    private readonly anyRepeated: boolean,
  ) {}

  /** Every parameter, repeats kept for the caller to judge. */
  static collect(params: URLSearchParams): FormParameters {
    const values = new Map<string, string | string[]>();
    let anyRepeated = false;
    for (const [name, value] of params) {
      if (value === "") continue; // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
      const previous = values.get(name);
      if (previous === undefined) values.set(name, value);
      else if (typeof previous === "string") values.set(name, [previous, value]);
      else previous.push(value);
      anyRepeated ||= previous !== undefined;
    }
    return new FormParameters(values, anyRepeated);
  }

  /** The parameters, refused when one is repeated (RFC 6749 §3.1, §3.2). */
  static fromSearchParams(params: URLSearchParams): FormParameters {
    return FormParameters.collect(params).rejectRepeated();
  }

  /** RFC 6749 §3.1, §3.2: no parameter may be included more than once. */
  rejectRepeated(): this {
    if (this.anyRepeated) {
      throw new OAuthError("invalid_request", `Each parameter may appear only once; repeated: ${this.repeatedNames().join(", ")}.`);
    }
    return this;
  }

  /** Names sent more than once, in order of first appearance. */
  repeatedNames(): string[] {
    const names: string[] = [];
    if (this.anyRepeated) for (const [name, value] of this.values) if (typeof value !== "string") names.push(name);
    return names;
  }

  /** The value of a parameter sent exactly once. */
  get(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === "string" ? value : undefined;
  }

  /** How many values a parameter was sent with (0: omitted). */
  count(name: string): number {
    const value = this.values.get(name);
    return value === undefined ? 0 : typeof value === "string" ? 1 : value.length;
  }

  require(name: string, hint = ""): string {
    const value = this.get(name);
    if (value === undefined) {
      throw new OAuthError("invalid_request", `The '${name}' parameter is missing.${hint ? ` ${hint}` : ""}`);
    }
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** How many distinct names were sent. */
  get size(): number {
    return this.values.size;
  }

  /** Each name with each of its values, in order. */
  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of this.values) {
      if (typeof value === "string") yield [name, value];
      else for (const each of value) yield [name, each];
    }
  }
}

export function requireMethod(request: Request, allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new OAuthError("invalid_request", `This endpoint accepts ${allowed.join(" and ")} only.`, {
      status: 405,
      headers: { Allow: allowed.join(", ") },
    });
  }
}

/** Whether a request's body is declared application/x-www-form-urlencoded (parameters and case ignored). */
export function isFormBody(request: Request): boolean {
  return mediaTypeOf(request.headers.get("content-type")) === "application/x-www-form-urlencoded";
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * The one parameter reader: the query of a GET, the form body of a POST (the
 * rules at the top of this file). Repeated parameters are kept for the caller.
 */
export async function readParameters(request: Request): Promise<FormParameters> {
  if (request.method !== "POST") return FormParameters.collect(new URL(request.url).searchParams);
  return FormParameters.collect(new URLSearchParams(await readFormText(request)));
}

/** readParameters for the endpoints that answer in JSON: a repeated parameter is refused at once. */
export async function readFormBody(request: Request): Promise<FormParameters> {
  return (await readParameters(request)).rejectRepeated();
}

/** An application/x-www-form-urlencoded body as text: its type, size and encoding checked. */
async function readFormText(request: Request): Promise<string> {
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== "application/x-www-form-urlencoded") {
    throw new OAuthError(
      "invalid_request",
      `The request body must be application/x-www-form-urlencoded${contentType ? `, not ${mediaType || contentType}` : " (no Content-Type was sent)"}.`,
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw bodyTooLarge();
  const bytes = await readBounded(request, MAX_BODY_BYTES);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new OAuthError("invalid_request", "The request body is not valid UTF-8.");
  }
}

function bodyTooLarge(): OAuthError {
  return new OAuthError("invalid_request", `The request body is larger than ${MAX_BODY_BYTES} bytes.`, { status: 413 });
}

async function readBounded(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw bodyTooLarge();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function jsonResponse(
  body: unknown,
  init: { status?: number; headers?: Record<string, string>; noStore?: boolean } = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: {
      "Content-Type": "application/json",
      ...(init.noStore ? noStoreHeaders : {}),
      ...init.headers,
    },
  });
}
