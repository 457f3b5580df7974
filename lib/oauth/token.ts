// POST /connect/token: parse once, authenticate the client, check its
// permissions, hand over to the grant, answer with no-store.
import { authenticateClient } from "./clientAuthentication";
import { OAuthError, withOAuthErrors } from "./errors";
import { jsonResponse, readFormBody, requireMethod, withCors, type FormParameters } from "./http";
import { authorizationCodeGrant, type AuthorizationCodeDeps } from "./grants/authorizationCode";
import { clientCredentialsGrant, type ClientCredentialsDeps, type TokenResponseBody } from "./grants/clientCredentials";
import { refreshTokenGrant, type RefreshTokenDeps } from "./grants/refreshToken";
import { Permissions, hasPermission } from "./permissions";
import type { ClientRecord, ClientStore } from "./ports";

export interface TokenEndpointDeps extends ClientCredentialsDeps, AuthorizationCodeDeps, RefreshTokenDeps {
  clients: ClientStore;
}

type GrantHandler = (deps: TokenEndpointDeps, client: ClientRecord, form: FormParameters) => Promise<TokenResponseBody>;

/** Grants this server implements; the discovery document lists exactly these. */
export const grantHandlers: Record<string, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  client_credentials: clientCredentialsGrant,
  refresh_token: refreshTokenGrant,
};


export const SUPPORTED_GRANT_TYPES = Object.keys(grantHandlers);

export function createTokenEndpoint(deps: TokenEndpointDeps): (request: Request) => Promise<Response> {
  const endpoint = withOAuthErrors(async (request) => {
    requireMethod(request, ["POST"]);
    const form = await readFormBody(request);
    const grantType = form.require("grant_type", `Use one of: ${SUPPORTED_GRANT_TYPES.join(", ")}.`);
    const grant = Object.hasOwn(grantHandlers, grantType) ? grantHandlers[grantType] : undefined;
    if (!grant) {
      throw new OAuthError(
        "unsupported_grant_type",
        `The grant type '${grantType}' is not supported here; supported: ${SUPPORTED_GRANT_TYPES.join(", ")}.`,
      );
    }
    const { client } = await authenticateClient(request.headers, form, deps.clients);
    if (!hasPermission(client, Permissions.endpoint.token)) {
      throw new OAuthError("unauthorized_client", `The client '${client.clientId}' is not permitted to use the token endpoint.`);
    }
    if (!hasPermission(client, Permissions.grantType(grantType))) {
      throw new OAuthError(
        "unauthorized_client",
        `The client '${client.clientId}' is not permitted to use the ${grantType} grant; an administrator can grant it the permission.`,
      );
    }
    const body = await grant(deps, client, form);
    return jsonResponse(body, { noStore: true });
  });
  return withCors(endpoint, { methods: ["POST"] });
}
