// OAuth errors are values: an RFC error code, the HTTP status it travels with,
// and a description that tells a developer what to change.

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "access_denied"
  | "unsupported_response_type"
  | "server_error"
  | "temporarily_unavailable"
  | "invalid_token"
  | "insufficient_scope"
  | "unsupported_token_type"
  | "login_required"
  | "consent_required"
  | "interaction_required"
  | "request_not_supported"
  | "request_uri_not_supported";

const defaultStatus: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  /** Extra response headers, e.g. WWW-Authenticate for a failed Basic authentication. */
  readonly headers: Record<string, string>;

  constructor(
    code: OAuthErrorCode,
    description: string,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(description);
    this.name = "OAuthError";
    this.code = code;
    this.status = options.status ?? defaultStatus[code] ?? 400;
    this.headers = options.headers ?? {};
  }

  get description(): string {
    return this.message;
  }
}

/** RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
export function sanitizeErrorDescription(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, (ch) => (ch === '"' ? "'" : ch === "\\" ? "/" : "?"));
}

export const noStoreHeaders = {
  "Cache-Control": "no-store",
  Pragma: "no-cache",
} as const;

export function oauthErrorResponse(error: OAuthError): Response {
  return new Response(
    JSON.stringify({ error: error.code, error_description: sanitizeErrorDescription(error.description) }),
    {
      status: error.status,
      headers: { "Content-Type": "application/json", ...noStoreHeaders, ...error.headers },
    },
  );
}

/**
 * Wraps an endpoint so that an OAuthError becomes its RFC response and anything
 * unexpected becomes a generic server_error: never a stack trace on the wire.
 */
export function withOAuthErrors<Extra extends unknown[] = []>(
  handler: (request: Request, ...extra: Extra) => Promise<Response>,
  log: ErrorLog = logUnexpectedError,
): (request: Request, ...extra: Extra) => Promise<Response> {
  return async (request, ...extra) => {
    try {
      return await handler(request, ...extra);
    } catch (error) {
      return oauthErrorResponse(asOAuthError(error, request, log));
    }
  };
}

export type ErrorLog = (error: unknown, request: Request) => void;

/** The refusal to send for `error`: itself when it is an OAuthError, else a logged, generic server_error. */
export function asOAuthError(error: unknown, request: Request, log: ErrorLog = logUnexpectedError): OAuthError {
  if (error instanceof OAuthError) return error;
  log(error, request);
  return new OAuthError("server_error", "The server met an unexpected condition; the request can be retried.");
}

export function logUnexpectedError(error: unknown, request: Request) {
  console.error(`[gatehouse] unexpected error on ${request.method} ${new URL(request.url).pathname}:`, error);
}
