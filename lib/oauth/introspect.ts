// POST /connect/introspect (RFC 7662): a confidential client with the
// introspection permission asks whether a token is active. Anything that is
// not a live access token of this server that the caller may see is exactly
// {"active":false}: no hint about why (RFC 7662 §2.2).
import { validateAccessToken, type BearerDeps, type ValidAccessToken } from "./bearer";
import { authenticateClient } from "./clientAuthentication";
import { OAuthError, withOAuthErrors } from "./errors";
import { jsonResponse, readFormBody, requireMethod } from "./http";
import { Permissions, hasPermission } from "./permissions";
import type { ClientRecord, ClientStore } from "./ports";

export interface IntrospectionDeps extends BearerDeps {
  clients: ClientStore;
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

export async function introspectToken(deps: BearerDeps, caller: ClientRecord, value: string): Promise<IntrospectionResponse> {
  // Opaque values (refresh tokens, once they exist) would be looked up by value hash here.
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
    const { client } = await authenticateClient(request.headers, form, deps.clients);
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
