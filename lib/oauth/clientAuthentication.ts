// Client authentication at the token endpoint (RFC 6749 §2.3): exactly one
// method per request. client_secret_basic, client_secret_post, or — for
// public clients only — none (client_id alone).
import { tooManyRequests, type ClientRateLimiter } from "./clientRateLimit";
import { OAuthError } from "./errors";
import type { FormParameters } from "./http";
import type { ClientRecord, ClientStore } from "./ports";
import { clientSecretMatches } from "./secrets";

export type ClientAuthenticationMethod = "client_secret_basic" | "client_secret_post" | "none";

/** Methods a confidential client can use here (advertised in discovery). */
export const CLIENT_AUTHENTICATION_METHODS = ["client_secret_basic", "client_secret_post"];

export interface AuthenticatedClient {
  client: ClientRecord;
  method: ClientAuthenticationMethod;
}

const VSCHARS = /^[\x20-\x7E]+$/;

const BASIC_CHALLENGE = { "WWW-Authenticate": 'Basic realm="gatehouse", charset="UTF-8"' };

interface PresentedCredentials {
  method: ClientAuthenticationMethod;
  clientId: string;
  secret?: string;
}

/** RFC 6749 Appendix B: Basic credentials are form-urlencoded before base64. */
function decodeBasicPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch {
    throw new OAuthError("invalid_request", "The Basic credentials are not correctly form-urlencoded (RFC 6749 §2.3.1).");
  }
}

function parseBasicHeader(header: string): { clientId: string; secret: string } | null {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+=*)[ ]*$/i.exec(header);
  if (!match) {
    if (/^Basic(\s|$)/i.test(header)) {
      throw new OAuthError("invalid_request", "The Authorization header is not valid Basic credentials (base64 of client_id:client_secret).");
    }
    return null;
  }
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) {
    throw new OAuthError("invalid_request", "The Basic credentials must be base64 of client_id:client_secret.");
  }
  const clientId = decodeBasicPart(decoded.slice(0, colon));
  const secret = decodeBasicPart(decoded.slice(colon + 1));
  if (!clientId) throw new OAuthError("invalid_request", "The Basic credentials carry an empty client_id.");
  return { clientId, secret };
}

export function readPresentedCredentials(headers: Headers, form: FormParameters): PresentedCredentials {
  const authorization = headers.get("authorization");
  const basic = authorization ? parseBasicHeader(authorization) : null;
  if (authorization && !basic) {
    throw new OAuthError("invalid_request", "Only the Basic scheme is accepted in the Authorization header at this endpoint.");
  }
  const bodyClientId = form.get("client_id");
  const bodySecret = form.get("client_secret");
  if (form.has("client_assertion") || form.has("client_assertion_type")) {
    throw new OAuthError(
      "invalid_client",
      "JWT client assertions are not supported; use client_secret_basic or client_secret_post.",
    );
  }
  if (basic) {
    if (bodySecret !== undefined) {
      throw new OAuthError(
        "invalid_request",
        "The client authenticated twice (Basic header and client_secret in the body); use exactly one method.",
      );
    }
    if (bodyClientId !== undefined && bodyClientId !== basic.clientId) {
      throw new OAuthError("invalid_request", "The client_id in the body differs from the one in the Basic credentials.");
    }
    return { method: "client_secret_basic", clientId: basic.clientId, secret: basic.secret };
  }
  if (bodyClientId === undefined) {
    throw new OAuthError(
      "invalid_client",
      "No client authentication was sent: use HTTP Basic (client_secret_basic), or client_id and client_secret in the body (client_secret_post).",
    );
  }
  if (bodySecret !== undefined) return { method: "client_secret_post", clientId: bodyClientId, secret: bodySecret };
  return { method: "none", clientId: bodyClientId };
}

/** The limits to apply while authenticating, and the address they are keyed by. */
export interface AuthenticationLimits {
  limiter?: ClientRateLimiter;
  address: string | null;
}

/**
 * Authenticates the client of a request, within the limits when given: a
 * (client_id, address) locked out by failures is refused with 429 before its
 * secret is even checked (so guessing stops), each invalid_client is counted,
 * and an authenticated request is counted against the client's request budget.
 */
export async function authenticateClient(
  headers: Headers,
  form: FormParameters,
  clients: ClientStore,
  limits?: AuthenticationLimits,
): Promise<AuthenticatedClient> {
  const presented = readPresentedCredentials(headers, form);
  const limiter = limits?.limiter;
  if (!limiter) return verifyClient(presented, clients);
  const address = limits.address;
  const locked = await limiter.checkAuthentication(presented.clientId, address);
  if (locked) throw tooManyRequests(locked, presented.clientId);
  let authenticated: AuthenticatedClient;
  try {
    authenticated = await verifyClient(presented, clients);
  } catch (error) {
    if (error instanceof OAuthError && error.code === "invalid_client") await limiter.recordAuthenticationFailure(presented.clientId, address);
    throw error;
  }
  const overBudget = await limiter.admitAuthenticatedRequest(authenticated.client.clientId, address);
  if (overBudget) throw tooManyRequests(overBudget, authenticated.client.clientId);
  return authenticated;
}

async function verifyClient(presented: PresentedCredentials, clients: ClientStore): Promise<AuthenticatedClient> {
  const challenge = presented.method === "client_secret_basic" ? BASIC_CHALLENGE : undefined;
  const fail = (description: string) => new OAuthError("invalid_client", description, { headers: challenge });

  // RFC 6749 Appendix A.1: client_id is VSCHAR (%x20-7E); nothing else can name a client.
  const client = VSCHARS.test(presented.clientId) ? await clients.findClientByClientId(presented.clientId) : null;
  if (!client || !client.enabled) {
    // Same answer for unknown and disabled clients: no hint about which ids exist.
    throw fail("Client authentication failed: unknown client, disabled client, or wrong secret.");
  }
  if (client.clientType === "public") {
    if (presented.method !== "none") {
      throw fail(
        `The client '${client.clientId}' is a public client and has no secret; send client_id alone and prove possession with PKCE.`,
      );
    }
    return { client, method: "none" };
  }
  if (presented.method === "none") {
    throw fail(
      `The client '${client.clientId}' is confidential and must authenticate with its client secret (HTTP Basic or client_secret in the body). ` +
        `A browser or mobile app cannot keep a secret: register it as a public client and use PKCE instead.`,
    );
  }
  if (!clientSecretMatches(presented.secret!, client.clientSecretHashes)) {
    throw fail("Client authentication failed: unknown client, disabled client, or wrong secret.");
  }
  return { client, method: presented.method };
}
