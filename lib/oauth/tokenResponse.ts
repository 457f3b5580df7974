// One token response (RFC 6749 §5.1), whichever grant asked for it: the access
// token (RFC 9068), the refresh token (RFC 6749 §6) and the ID token (OIDC
// Core §3.1.3.3) it hands out, their rows written together in one statement
// (TokenStore.recordIssuedTokens), answered with Cache-Control: no-store.
import { prepareAccessToken, signAccessToken } from "./accessTokens";
import type { OAuthServerConfig } from "./config";
import { jsonResponse } from "./http";
import { issueIdToken, type IdTokenRequest } from "./idTokens";
import type { ClientRecord, IssuedTokenRecord, RefreshTokenPayload, TokenStore } from "./ports";
import { hashOpaqueValue, randomTokenValue } from "./secrets";
import type { KeyRing } from "./signingKeys";

export interface TokenResponseBody {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

export interface TokenIssuerDeps {
  config: OAuthServerConfig;
  keys: KeyRing;
  tokens: TokenStore;
}

/** The refresh token a response carries: its own scope and audiences (a refresh may narrow the response, not it), payload and end. */
export interface NewRefreshToken {
  scopes: string[];
  audiences: string[];
  payload: RefreshTokenPayload;
  expiresAt: Date;
}

export interface TokenIssuance {
  client: ClientRecord;
  /** The user id, or the client_id for a client acting on its own behalf. */
  subject: string;
  /** The scope of this response and of its access token. */
  scopes: string[];
  audiences: string[];
  /** The grant the tokens belong to (its root's id, RFC 9700 §4.14.2) and its consent; null: the client's own token. */
  grant: { id: string; authorizationId: string | null } | null;
  /** Claims the principal carries into the access token. */
  accessTokenClaims?: Record<string, unknown>;
  /** With a grant: a refresh token too. */
  refreshToken?: NewRefreshToken;
  /** An ID token too (OIDC Core §2), with these fields; its at_hash is the access token's. */
  idToken?: Omit<IdTokenRequest, "client" | "subject" | "accessToken" | "now">;
  /** Epoch milliseconds. */
  now: number;
}

export interface IssuedTokens {
  body: TokenResponseBody;
  /** The access token's jti: its row's key, and what token.issued records. */
  accessTokenJti: string;
  accessTokenExpiresAt: Date;
}

export async function issueTokens(deps: TokenIssuerDeps, issuance: TokenIssuance): Promise<IssuedTokens> {
  const { client, subject, grant, now } = issuance;
  const access = prepareAccessToken(deps.config, {
    client,
    subject,
    scopes: issuance.scopes,
    audiences: issuance.audiences,
    authorizationId: grant?.authorizationId ?? null,
    grantId: grant?.id ?? null,
    claims: issuance.accessTokenClaims,
    now,
  });
  const rows: IssuedTokenRecord[] = [{ kind: "access_token", ...access.record }];
  let refreshToken: string | undefined;
  if (issuance.refreshToken) {
    if (!grant) throw new Error("A refresh token belongs to a grant.");
    refreshToken = randomTokenValue(32);
    rows.push({
      kind: "refresh_token",
      valueHash: hashOpaqueValue(refreshToken), // only its SHA-256 is stored
      grantId: grant.id,
      subject,
      applicationId: client.id,
      authorizationId: grant.authorizationId,
      ...issuance.refreshToken,
      createdAt: new Date(now),
    });
  }
  // Signing (thread pool) and the one write (database) overlap.
  const [accessToken] = await Promise.all([signAccessToken(deps.keys, access), deps.tokens.recordIssuedTokens(rows)]);
  // The ID token's at_hash needs the access token, so it is signed after it.
  const idToken = issuance.idToken ? await issueIdToken(deps, { ...issuance.idToken, client, subject, accessToken, now }) : undefined;
  const body: TokenResponseBody = {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: access.lifetime,
    // RFC 6749 §3.3: a scope is one or more scope-tokens; with none granted, omit the member.
    ...(issuance.scopes.length > 0 ? { scope: issuance.scopes.join(" ") } : {}),
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    ...(idToken !== undefined ? { id_token: idToken } : {}),
  };
  return { body, accessTokenJti: access.record.jti, accessTokenExpiresAt: access.record.expiresAt };
}

/** The token endpoint's success answer (RFC 6749 §5.1: JSON, Cache-Control: no-store, Pragma: no-cache). */
export function tokenResponse(body: TokenResponseBody): Response {
  return jsonResponse(body, { noStore: true });
}
