// RFC 6749 §4.4: a confidential client obtains a token for itself.
import { OAuthError } from "../errors";
import type { FormParameters } from "../http";
import { checkManagementScopeRequest, MANAGEMENT_SCOPE, managementAudience } from "../managementScope";
import type { ClientRecord, ScopeStore } from "../ports";
import { StandardScopes, parseScopeParameter, resolveClientScopes } from "../scopes";
import { issueTokens, type IssuedTokens, type TokenIssuerDeps } from "../tokenResponse";

export interface ClientCredentialsDeps extends TokenIssuerDeps {
  scopes: ScopeStore;
  now?: () => number;
}

/** What a grant hands back to the token endpoint: the tokens, and the user they act for (for the audit log). */
export interface GrantResult extends IssuedTokens {
  /** The user the tokens act for; null when the client acts on its own behalf. */
  userId: string | null;
}

/** About the request being served, beyond its form (for audit events a grant records itself). */
export interface GrantContext {
  ip: string | null;
}

export async function clientCredentialsGrant(
  deps: ClientCredentialsDeps,
  client: ClientRecord,
  form: FormParameters,
): Promise<GrantResult> {
  if (client.clientType !== "confidential") {
    throw new OAuthError(
      "unauthorized_client",
      "Public clients cannot use the client_credentials grant: it needs a client that can keep a secret.",
    );
  }
  const requested = parseScopeParameter(form.get("scope"));
  for (const userScope of [StandardScopes.openid, StandardScopes.offlineAccess]) {
    if (requested.includes(userScope)) {
      throw new OAuthError(
        "invalid_scope",
        `The '${userScope}' scope needs an end user and cannot be requested with client_credentials.`,
      );
    }
  }
  const scopes = requested.includes(MANAGEMENT_SCOPE)
    ? managementScopes(deps, client, requested)
    : await resolveClientScopes(client, requested, deps.scopes);
  const issued = await issueTokens(deps, {
    client,
    subject: client.clientId,
    scopes: scopes.names,
    audiences: scopes.audiences,
    grant: null,
    now: deps.now?.() ?? Date.now(),
  });
  return { ...issued, userId: null };
}

/** gatehouse:admin, for a marked client asking for it alone: the management API is the token's only audience. */
function managementScopes(deps: Pick<ClientCredentialsDeps, "config">, client: ClientRecord, requested: string[]) {
  checkManagementScopeRequest(client, requested);
  return { names: [MANAGEMENT_SCOPE], audiences: [managementAudience(deps.config)] };
}
