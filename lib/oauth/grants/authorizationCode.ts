// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.6): the code is redeemed once,
// atomically; a replay revokes everything issued from it (RFC 6749 §4.1.2).
// With the openid scope the response also carries an ID token (OIDC Core §3.1.3.3).
import { issueAccessToken, type AccessTokenIssuerDeps } from "../accessTokens";
import { OAuthError } from "../errors";
import type { FormParameters } from "../http";
import { issueIdToken } from "../idTokens";
import { verifyS256 } from "../pkce";
import { reuseDetectedEvent } from "../audit";
import type { AuditLog, AuthorizationCodeStore, ClientRecord, RefreshTokenStore } from "../ports";
import { StandardScopes } from "../scopes";
import { hashOpaqueValue } from "../secrets";
import type { GrantContext, GrantResult, TokenResponseBody } from "./clientCredentials";
import { grantAbsoluteExpiry, issueRefreshToken, mayIssueRefreshToken } from "./refreshToken";

export interface AuthorizationCodeDeps extends AccessTokenIssuerDeps {
  codes: AuthorizationCodeStore;
  /** Where a replayed code is recorded (token.reuse_detected). */
  audit: AuditLog;
  /** Where refresh tokens go (offline_access); without it none are issued. */
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
      const revoked = await deps.codes.revokeGrant(redemption.code.id);
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
  const { binding } = redemption.code;
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
  // offline_access (OIDC Core §11) with the refresh_token grant: a refresh token rooted in the same grant.
  const refreshToken =
    deps.refreshTokens && mayIssueRefreshToken(client, redemption.code.scopes)
      ? issueRefreshToken(deps.refreshTokens, {
          client,
          grantId: redemption.code.id,
          subject: redemption.code.subject,
          authorizationId: redemption.code.authorizationId,
          scopes: redemption.code.scopes,
          audiences: redemption.code.audiences,
          payload: {
            authTime: binding.authTime,
            sessionId: binding.sessionId,
            amr: binding.amr,
            accessTokenClaims: binding.accessTokenClaims,
            idTokenClaims: binding.idTokenClaims ?? {},
            absoluteExpiresAt: grantAbsoluteExpiry(client, redemption.code.createdAt?.getTime() ?? now),
          },
          now,
        })
      : undefined;
  refreshToken?.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
  const issued = await issueAccessToken(deps, {
    client,
    subject: redemption.code.subject,
    scopes: redemption.code.scopes,
    audiences: redemption.code.audiences,
    authorizationId: redemption.code.authorizationId,
    grantId: redemption.code.id,
    claims: binding.accessTokenClaims,
    now,
  });
  // The ID token needs the access token for at_hash, so it is signed after it: one more
  // signature, overlapping the grant check below (thread pool and database at once).
  const idToken = redemption.code.scopes.includes(StandardScopes.openid)
    ? issueIdToken(deps, {
        client,
        subject: redemption.code.subject,
        nonce: binding.nonce,
        authTime: binding.authTime,
        sessionId: binding.sessionId,
        amr: binding.amr,
        // Codes recorded before ID tokens existed carry no idTokenClaims.
        claims: binding.idTokenClaims ?? {},
        accessToken: issued.accessToken,
        now,
      })
    : undefined;
  // A replay racing this redemption may have revoked the grant before this token's row existed:
  // look once more, so that the replay's revocation covers this token too.
  // (After the refresh token's row exists, so that the check covers it as well.)
  const revokedCheck = refreshToken
    ? refreshToken.then(() => deps.codes.isGrantRevoked(redemption.code.id))
    : deps.codes.isGrantRevoked(redemption.code.id);
  const [revoked, signedIdToken, signedRefreshToken] = await Promise.all([revokedCheck, idToken, refreshToken]);
  if (revoked) await deps.codes.revokeGrant(redemption.code.id);
  const body: TokenResponseBody = {
    access_token: issued.accessToken,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
    ...(redemption.code.scopes.length > 0 ? { scope: redemption.code.scopes.join(" ") } : {}),
    ...(signedRefreshToken !== undefined ? { refresh_token: signedRefreshToken } : {}),
    ...(signedIdToken !== undefined ? { id_token: signedIdToken } : {}),
  };
  return { body, userId: redemption.code.subject, accessTokenJti: issued.jti };
}
