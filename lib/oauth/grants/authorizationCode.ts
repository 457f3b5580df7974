// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code is redeemed once,
// atomically; a replay revokes everything issued from it (RFC 6749 §4.1.2).
// With the openid scope the response also carries an ID token (OIDC Core §3.1.3.3).
import { OAuthError } from "../errors";
import type { FormParameters } from "../http";
import { verifyS256 } from "../pkce";
import { reuseDetectedEvent } from "../audit";
import type { AuditLog, AuthorizationCodeStore, ClientRecord, GrantStore, RefreshTokenStore } from "../ports";
import { StandardScopes } from "../scopes";
import { hashOpaqueValue } from "../secrets";
import { issueTokens, type TokenIssuerDeps } from "../tokenResponse";
import type { GrantContext, GrantResult } from "./clientCredentials";
import { grantAbsoluteExpiry, mayIssueRefreshToken, newRefreshToken } from "./refreshToken";

export interface AuthorizationCodeDeps extends TokenIssuerDeps {
  codes: AuthorizationCodeStore;
  /** Where a replay revokes the grant. */
  grants: GrantStore;
  /** Where a replayed code is recorded (token.reuse_detected). */
  audit: AuditLog;
  /** Where refresh tokens are redeemed (offline_access); without it none are issued. */
  refreshTokens?: RefreshTokenStore;
  now?: () => number;
}

const INVALID_CODE = "The authorization code is invalid, expired, or was already used; start a new authorization request.";

export async function authorizationCodeGrant(
  deps: AuthorizationCodeDeps,
  client: ClientRecord,
  form: FormParameters,
  context: GrantContext = { ip: null },
): Promise<GrantResult> {
  const code = form.require("code");
  const verifier = form.get("code_verifier");
  const redirectUri = form.get("redirect_uri");
  const now = deps.now?.() ?? Date.now();

  const redemption = await deps.codes.redeemAuthorizationCode(hashOpaqueValue(code), client.id, new Date(now));
  switch (redemption.status) {
    case "redeemed":
      break;
    case "replayed": {
      // RFC 6749 §4.1.2, RFC 9700 §4.2.4: someone holds a copy of the code; revoke what it produced.
      const revoked = await deps.grants.revokeGrant(redemption.code.id);
      await deps.audit.record(
        reuseDetectedEvent({
          clientId: client.clientId,
          userId: redemption.code.subject,
          grantId: redemption.code.id,
          token: "authorization_code",
          revoked,
          ip: context.ip,
        }),
      );
      throw new OAuthError("invalid_grant", "The authorization code was already used; every token issued from it has been revoked.");
    }
    case "wrong_client":
      throw new OAuthError("invalid_grant", "The authorization code was issued to another client.");
    case "expired":
    case "unknown":
      throw new OAuthError("invalid_grant", INVALID_CODE);
  }
  const { code: redeemed } = redemption;
  const { binding } = redeemed;
  if (redirectUri === undefined && binding.redirectUriProvided) {
    throw new OAuthError("invalid_grant", "redirect_uri is required: it was part of the authorization request (RFC 6749 §4.1.3).");
  }
  if (redirectUri !== undefined && redirectUri !== binding.redirectUri) {
    throw new OAuthError("invalid_grant", "redirect_uri does not match the one used in the authorization request.");
  }
  if (verifier === undefined) {
    throw new OAuthError("invalid_grant", "code_verifier is missing: the authorization request used PKCE (RFC 7636 §4.5).");
  }
  if (!verifyS256(verifier, binding.codeChallenge)) {
    throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge of the authorization request.");
  }
  // Codes recorded before ID tokens existed carry no idTokenClaims.
  const idTokenClaims = binding.idTokenClaims ?? {};
  // A replay racing this redemption is covered by the one write issueTokens makes (TokenStore.recordIssuedTokens).
  const issued = await issueTokens(deps, {
    client,
    subject: redeemed.subject,
    scopes: redeemed.scopes,
    audiences: redeemed.audiences,
    grant: { id: redeemed.id, authorizationId: redeemed.authorizationId },
    accessTokenClaims: binding.accessTokenClaims,
    // offline_access (OIDC Core §11) with the refresh_token grant: a refresh token rooted in the same grant.
    refreshToken:
      deps.refreshTokens && mayIssueRefreshToken(client, redeemed.scopes)
        ? newRefreshToken(
            client,
            redeemed.scopes,
            redeemed.audiences,
            {
              authTime: binding.authTime,
              sessionId: binding.sessionId,
              amr: binding.amr,
              accessTokenClaims: binding.accessTokenClaims,
              idTokenClaims,
              absoluteExpiresAt: grantAbsoluteExpiry(client, redeemed.createdAt?.getTime() ?? now),
            },
            now,
          )
        : undefined,
    idToken: redeemed.scopes.includes(StandardScopes.openid)
      ? { nonce: binding.nonce, authTime: binding.authTime, sessionId: binding.sessionId, amr: binding.amr, claims: idTokenClaims }
      : undefined,
    now,
  });
  return { ...issued, userId: redeemed.subject };
}
