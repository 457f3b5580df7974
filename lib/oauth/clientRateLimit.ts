// Limits on clients at the token, introspection and revocation endpoints:
// failed client authentications per (client_id, address) and per client_id,
// and authenticated requests per client. The core declares what it needs (a
// port); lib/server/clientRateLimiter.ts implements it in memory, per process,
// so the success path costs no database round trip
// (docs/decisions/0012-proxies-client-limits-cors.md).
import { OAuthError } from "./errors";

export interface RequestRate {
  /** Requests allowed per window; 0 disables the limit. */
  points: number;
  /** The window, in seconds. */
  seconds: number;
}

/** What the limits are (lib/settings.ts reads them from the environment). */
export interface ClientLimits {
  /** Authenticated requests per client (GATEHOUSE_CLIENT_RATE_LIMIT). */
  requests: RequestRate;
  /** Failed authentications per minute per (client_id, address) before a lockout that grows with each repeat; 0 disables. */
  failuresPerAddress: number;
  /**
   * Failed authentications per minute per client_id, from every address together; beyond it, only
   * addresses the client recently authenticated from may try. 0 disables.
   */
  failuresPerClient: number;
}

/** A refusal: which limit, and how long until the client may try again. */
export interface Throttle {
  limit: "failures" | "requests";
  retryAfterSeconds: number;
}

/** The port: what the endpoints ask before and after authenticating a client. */
export interface ClientRateLimiter {
  /** Before a secret is checked: whether (client_id, address) may try to authenticate now. */
  checkAuthentication(clientId: string, address: string | null): Promise<Throttle | null>;
  /** After a failed authentication (invalid_client) that named `clientId`. */
  recordAuthenticationFailure(clientId: string, address: string | null): Promise<void>;
  /** After a successful authentication: counts the request against the client's budget; refuses beyond it. */
  admitAuthenticatedRequest(clientId: string, address: string | null): Promise<Throttle | null>;
}

/** What an endpoint that authenticates clients needs to apply the limits. */
export interface ClientLimitDeps {
  /** Without it nothing is limited (e.g. unit tests of other rules). */
  limiter?: ClientRateLimiter;
}

/**
 * RFC 6585 §4: 429 Too Many Requests with Retry-After. OAuth has no error code
 * for it; temporarily_unavailable (RFC 6749 §4.1.2.1: "unable to handle the
 * request due to a temporary overloading") is the registered code whose
 * meaning a client can act on: wait and retry. The decision says why not
 * invalid_request or slow_down.
 */
export function tooManyRequests(throttle: Throttle, clientId: string): OAuthError {
  const wait = `retry after ${throttle.retryAfterSeconds} s`;
  // A presented client_id is the caller's text: named only while it is short.
  const client = clientId.length <= 100 ? `the client '${clientId}'` : "this client";
  const description =
    throttle.limit === "failures"
      ? `Too many failed authentications of ${client} from this address; ${wait}.`
      : `${client[0]!.toUpperCase()}${client.slice(1)} sent more requests than this server allows; ${wait}.`;
  return new OAuthError("temporarily_unavailable", description, {
    status: 429,
    headers: { "Retry-After": String(throttle.retryAfterSeconds) },
  });
}

/** Whether an error is a 429 from these limits (throttled requests are not audited one by one). */
export function isThrottleRefusal(error: OAuthError): boolean {
  return error.status === 429;
}
