// RFC 6749 §4.4: a confidential client obtains a token for itself.
import { issueAccessToken, type AccessTokenIssuerDeps } from "../accessTokens";
import { OAuthError } from "../errors";
import type { FormParameters } from "../http";
import type { ClientRecord, ScopeStore } from "../ports";
import { StandardScopes, parseScopeParameter, resolveClientScopes } from "../scopes";

export interface ClientCredentialsDeps extends AccessTokenIssuerDeps {
  scopes: ScopeStore;
}

export interface TokenResponseBody {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** What a grant hands back to the token endpoint: the response, and what the audit log keeps of it. */
export interface GrantResult {
  body: TokenResponseBody;
  /** The user the tokens act for; null when the client acts on its own behalf. */
  userId: string | null;
  /** jti of the access token (the key of its row). */
  accessTokenJti: string;
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
  const scopes = await resolveClientScopes(client, requested, deps.scopes);
  const issued = await issueAccessToken(deps, {
    client,
    subject: client.clientId,
    scopes: scopes.names,
    audiences: scopes.audiences,
  });
  const body: TokenResponseBody = {
    access_token: issued.accessToken,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
    // RFC 6749 §3.3: a scope is one or more scope-tokens; with none granted, omit the member.
    ...(scopes.names.length > 0 ? { scope: scopes.names.join(" ") } : {}),
  };
  return { body, userId: null, accessTokenJti: issued.jti };
}
