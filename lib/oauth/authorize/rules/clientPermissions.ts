// What a client may ask for at the authorization endpoint, by its permissions
// (OpenIddict's model, lib/oauth/permissions.ts): RFC 6749 §4.1.2.1
// unauthorized_client, and invalid_scope for a scope it may not use.
import { OAuthError } from "../../errors";
import { Permissions, hasPermission } from "../../permissions";
import type { ClientRecord } from "../../ports";
import { StandardScopes } from "../../scopes";

/** The authorization endpoint, the authorization_code grant and the code response type, all three. */
export function requireCodeFlowPermissions(client: ClientRecord): void {
  if (
    !hasPermission(client, Permissions.endpoint.authorization) ||
    !hasPermission(client, Permissions.grantType("authorization_code")) ||
    !hasPermission(client, Permissions.responseType("code"))
  ) {
    throw new OAuthError("unauthorized_client", `The client '${client.clientId}' is not permitted to use the authorization code flow.`);
  }
}

/** offline_access asks for a refresh token (OIDC Core §11): only for a client with the refresh_token grant. */
export function requireRefreshGrantForOfflineAccess(client: ClientRecord, scopes: readonly string[]): void {
  if (scopes.includes(StandardScopes.offlineAccess) && !hasPermission(client, Permissions.grantType("refresh_token"))) {
    throw new OAuthError("invalid_scope", `The client '${client.clientId}' may not request offline_access: it has no refresh_token grant.`);
  }
}
