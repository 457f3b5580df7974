// The management API's scope (docs/decisions/0020-management-api.md): one
// reserved scope, gatehouse:admin, that is not a row of the scopes table.
// Only clients an administrator marked (ClientRecord.managementApi) obtain
// it, only with client_credentials (RFC 6749 §4.4), and only alone, so the
// token's audience is the management API and nothing else (RFC 8707 §2:
// a token meant for one resource is not accepted by another).
import { endpointUrl, type OAuthServerConfig } from "./config";
import { OAuthError } from "./errors";
import type { ClientRecord } from "./ports";

export const MANAGEMENT_SCOPE = "gatehouse:admin";

/** Where the management API is served (lib/management), and the path part of its audience. */
export const MANAGEMENT_API_PATH = "/api/v1";

/** Scope names starting with this are the server's own; no administrator can create one. */
export const RESERVED_SCOPE_PREFIX = "gatehouse:";

/** The audience of a management token: `{issuer}/api/v1`. */
export function managementAudience(config: Pick<OAuthServerConfig, "issuer">): string {
  return endpointUrl(config, MANAGEMENT_API_PATH);
}

export function isReservedScopeName(name: string): boolean {
  return name.startsWith(RESERVED_SCOPE_PREFIX);
}

/**
 * The scopes of a client_credentials request that asks for gatehouse:admin:
 * refused unless it is the only scope asked for and the client is marked
 * (RFC 6749 §5.2 invalid_scope).
 */
export function checkManagementScopeRequest(client: ClientRecord, requested: readonly string[]): void {
  if (requested.length !== 1) {
    throw new OAuthError(
      "invalid_scope",
      `Request ${MANAGEMENT_SCOPE} alone: its token is meant for the management API only (audience ${MANAGEMENT_API_PATH}).`,
    );
  }
  if (!client.managementApi) {
    throw new OAuthError(
      "invalid_scope",
      `The client '${client.clientId}' is not permitted to request the scope ${MANAGEMENT_SCOPE}; an administrator can allow it on the client's dashboard page.`,
    );
  }
}
