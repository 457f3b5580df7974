// Reading requests strictly: one content type, one value per parameter,
// a bounded body. Shared by every endpoint that takes a form post.
import { OAuthError, noStoreHeaders } from "./errors";

const MAX_FORM_BYTES = 64 * 1024;

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
 * The size rule for one parameter: null when `value` fits its limit, else the
 * invalid_request error naming the parameter and the limit (decision 0010).
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

/** Form parameters where each name may appear at most once (RFC 6749 §3.1, §3.2). */
export class FormParameters {
  private constructor(private readonly values: Map<string, string>) {}

  static fromSearchParams(params: URLSearchParams): FormParameters {
    const values = new Map<string, string>();
    const repeated = new Set<string>();
    for (const [name, value] of params) {
      // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
      if (value === "") continue;
      if (values.has(name)) repeated.add(name);
      values.set(name, value);
    }
    if (repeated.size > 0) {
      const names = [...repeated].join(", ");
      throw new OAuthError("invalid_request", `Each parameter may appear only once; repeated: ${names}.`);
    }
    return new FormParameters(values);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  require(name: string, hint = ""): string {
    const value = this.values.get(name);
    if (value === undefined) {
      throw new OAuthError("invalid_request", `The '${name}' parameter is missing.${hint ? ` ${hint}` : ""}`);
    }
    return value;
  }

  has(name: string): boolean {
    return this.values.has(name);
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

/** Reads an application/x-www-form-urlencoded body (RFC 6749 §3.2). */
export async function readFormBody(request: Request): Promise<FormParameters> {
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/x-www-form-urlencoded") {
    throw new OAuthError(
      "invalid_request",
      `The request body must be application/x-www-form-urlencoded${contentType ? `, not ${mediaType || contentType}` : " (no Content-Type was sent)"}.`,
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_FORM_BYTES) {
    throw new OAuthError("invalid_request", `The request body is larger than ${MAX_FORM_BYTES} bytes.`, { status: 413 });
  }
  const bytes = await readBounded(request, MAX_FORM_BYTES);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new OAuthError("invalid_request", "The request body is not valid UTF-8.");
  }
  return FormParameters.fromSearchParams(new URLSearchParams(text));
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
      throw new OAuthError("invalid_request", `The request body is larger than ${limit} bytes.`, { status: 413 });
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
