// POST /connect/introspect (RFC 7662): a confidential client with the
// introspection permission asks whether a token is active: one of our access
// tokens (JWTs, by jti) or one of its own refresh tokens (opaque, by value
// hash). Anything else — unknown, expired, revoked, rotated, another client's —
// is exactly {"active":false}: no hint about why (RFC 7662 §2.2).
import { looksLikeJwt, validateAccessToken, type BearerDeps, type ValidAccessToken } from "./bearer";
import type { ClientAddressReader } from "./audit";
import { authenticateClient } from "./clientAuthentication";
import type { ClientLimitDeps } from "./clientRateLimit";
import { OAuthError, withOAuthErrors } from "./errors";
import { jsonResponse, readFormBody, requireMethod } from "./http";
import { Permissions, hasPermission } from "./permissions";
import type { ClientRecord, ClientStore } from "./ports";
import { hashOpaqueValue } from "./secrets";

export interface IntrospectionDeps extends BearerDeps, ClientLimitDeps {
  clients: ClientStore;
  /** The address the limits are keyed by (none in unit tests). */
  clientAddress?: ClientAddressReader;
}

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      client_id: string;
      scope?: string;
      sub: string;
      iss: string;
      exp: number;
      iat: number;
      /** Not a bearer token type: refresh tokens are only ever presented to the token endpoint. */
      token_type: "refresh_token";
    }
  | {
      active: true;
      client_id: string;
      scope?: string;
      sub: string;
      iss: string;
      exp: number;
      iat: number;
      token_type: "Bearer";
      aud: string | string[];
      jti: string;
    };

const INACTIVE = { active: false } as const;

/**
 * Who may see a token: the client it was issued to, or a client named in its
 * audience (a resource server registered under its resource identifier).
 */
export function mayIntrospect(caller: ClientRecord, token: ValidAccessToken): boolean {
  return token.applicationId === caller.id || token.audiences.includes(caller.clientId);
}

/**
 * A refresh token is active while its row is valid (not rotated, not revoked),
 * unexpired, its grant root not revoked and its client enabled. Only the client
 * it was issued to may see it: refresh tokens are never meant for a resource server.
 */
async function introspectRefreshToken(deps: BearerDeps, caller: ClientRecord, value: string): Promise<IntrospectionResponse> {
  const record = value.length <= 512 ? await deps.tokens.findTokenByValueHash(hashOpaqueValue(value)) : null;
  const nowMs = deps.now?.() ?? Date.now();
  if (!record || record.kind !== "refresh_token" || record.applicationId !== caller.id) return INACTIVE;
  if (record.status !== "valid" || record.grantRevoked || !record.clientEnabled || record.expiresAt.getTime() <= nowMs) return INACTIVE;
  return {
    active: true,
    client_id: caller.clientId,
    ...(record.scopes.length > 0 ? { scope: record.scopes.join(" ") } : {}),
    sub: record.subject,
    iss: deps.config.issuer,
    exp: Math.floor(record.expiresAt.getTime() / 1000),
    iat: Math.floor(record.createdAt.getTime() / 1000),
    token_type: "refresh_token",
  };
}

export async function introspectToken(deps: BearerDeps, caller: ClientRecord, value: string): Promise<IntrospectionResponse> {
  if (!looksLikeJwt(value)) return introspectRefreshToken(deps, caller, value);
  const check = await validateAccessToken(deps, value);
  if (!check.active || !mayIntrospect(caller, check.token)) return INACTIVE;
  const { token } = check;
  return {
    active: true,
    client_id: token.clientId,
    ...(token.scopes.length > 0 ? { scope: token.scopes.join(" ") } : {}),
    sub: token.subject,
    iss: token.payload.iss!,
    exp: token.expiresAt,
    iat: token.issuedAt,
    token_type: "Bearer",
    aud: token.payload.aud ?? token.audiences,
    jti: token.jti,
  };
}

export function createIntrospectionEndpoint(deps: IntrospectionDeps): (request: Request) => Promise<Response> {
  return withOAuthErrors(async (request) => {
    requireMethod(request, ["POST"]);
    const form = await readFormBody(request);
    const { client } = await authenticateClient(request.headers, form, deps.clients, {
      limiter: deps.limiter,
      address: deps.clientAddress?.(request) ?? null,
    });
    if (client.clientType === "public") {
      throw new OAuthError(
        "invalid_client",
        `The client '${client.clientId}' is a public client; introspection needs a confidential client that authenticates with its secret (RFC 7662 §2.1).`,
      );
    }
    if (!hasPermission(client, Permissions.endpoint.introspection)) {
      throw new OAuthError(
        "unauthorized_client",
        `The client '${client.clientId}' is not permitted to use the introspection endpoint; an administrator can grant it the permission.`,
      );
    }
    const token = form.require("token", "Send the token to introspect in the 'token' parameter (RFC 7662 §2.1).");
    // token_type_hint is only a hint (RFC 7662 §2.1): whatever its value, the same search runs.
    return jsonResponse(await introspectToken(deps, client, token), { noStore: true });
  });
}
