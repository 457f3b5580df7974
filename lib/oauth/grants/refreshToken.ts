// RFC 6749 §6 refresh tokens, rotated on every use (RFC 9700 §4.14.2): the
// presented token is redeemed in one atomic statement and a new one takes its
// place. Presenting an already rotated token is a replay and revokes the whole
// grant (code, refresh tokens, access tokens). With openid in the (possibly
// narrowed) scope the response carries a new ID token (OIDC Core §12.2).
import { OAuthError } from "../errors";
import type { FormParameters } from "../http";
import { Permissions, hasPermission } from "../permissions";
import { reuseDetectedEvent } from "../audit";
import type { AuditLog, ClientRecord, GrantStore, RefreshTokenPayload, RefreshTokenStore, ScopeStore, StoredRefreshToken } from "../ports";
import { StandardScopes, parseScopeParameter } from "../scopes";
import { hashOpaqueValue } from "../secrets";
import { issueTokens, type NewRefreshToken, type TokenIssuerDeps } from "../tokenResponse";
import type { GrantContext, GrantResult } from "./clientCredentials";

/** Sliding lifetime of one refresh token, unless the client sets its own (seconds). */
export const DEFAULT_REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600;
/** Absolute lifetime of a grant's refresh tokens from the code's issue, unless the client sets its own (seconds). */
export const DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME = 90 * 24 * 3600;

export interface RefreshTokenDeps extends TokenIssuerDeps {
  scopes: ScopeStore;
  /** Without it the server issues no refresh tokens and refuses the grant. */
  refreshTokens?: RefreshTokenStore;
  /** Where a replay revokes the grant. */
  grants: GrantStore;
  /** Where reuse of a rotated token is recorded (token.reuse_detected). */
  audit: AuditLog;
  now?: () => number;
}

/** Whether a code redemption with `scopes` yields a refresh token for `client`. */
export function mayIssueRefreshToken(client: ClientRecord, scopes: readonly string[]): boolean {
  return scopes.includes(StandardScopes.offlineAccess) && hasPermission(client, Permissions.grantType("refresh_token"));
}

/** The absolute end of a grant that starts at `grantStartMs` (epoch ms). */
export function grantAbsoluteExpiry(client: ClientRecord, grantStartMs: number): number {
  return grantStartMs + (client.refreshTokenAbsoluteLifetime ?? DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME) * 1000;
}

/** A refresh token issued at `now`: it lives its sliding lifetime, never past the grant's absolute end. */
export function newRefreshToken(client: ClientRecord, scopes: string[], audiences: string[], payload: RefreshTokenPayload, now: number): NewRefreshToken {
  const sliding = now + (client.refreshTokenLifetime ?? DEFAULT_REFRESH_TOKEN_LIFETIME) * 1000;
  return { scopes, audiences, payload, expiresAt: new Date(Math.min(sliding, payload.absoluteExpiresAt)) };
}

const INVALID_TOKEN = "The refresh token is invalid, expired or revoked; start a new authorization request.";

/** RFC 6749 §6: a refresh may narrow the scope but never widen it. */
function scopeExceeded(token: StoredRefreshToken, requested: string[]): OAuthError {
  const wider = requested.filter((name) => !token.scopes.includes(name));
  return new OAuthError(
    "invalid_scope",
    `The refresh token was not granted ${wider.join(", ")}; a refresh may narrow the scope but never widen it.`,
  );
}

export async function refreshTokenGrant(
  deps: RefreshTokenDeps,
  client: ClientRecord,
  form: FormParameters,
  context: GrantContext = { ip: null },
): Promise<GrantResult> {
  const store = deps.refreshTokens;
  if (!store) throw new OAuthError("unsupported_grant_type", "This server does not issue refresh tokens.");
  const value = form.require("refresh_token");
  const requested = parseScopeParameter(form.get("scope"));
  const now = deps.now?.() ?? Date.now();

  // The scope check is part of the rotation: a refused scope leaves the token usable.
  const rotation = await store.rotateRefreshToken(hashOpaqueValue(value), client.id, requested, new Date(now));
  switch (rotation.status) {
    case "rotated":
      break;
    case "replayed": {
      // RFC 9700 §4.14.2: the token was already used; either copy may be the attacker's.
      const revoked = await deps.grants.revokeGrant(rotation.token.grantId);
      await deps.audit.record(
        reuseDetectedEvent({
          clientId: client.clientId,
          userId: rotation.token.subject,
          grantId: rotation.token.grantId,
          token: "refresh_token",
          revoked,
          ip: context.ip,
        }),
      );
      throw new OAuthError("invalid_grant", "The refresh token was already used; the whole grant has been revoked.");
    }
    case "wrong_client":
      throw new OAuthError("invalid_grant", "The refresh token was issued to another client.");
    case "scope_exceeded":
      throw scopeExceeded(rotation.token, requested);
    default:
      throw new OAuthError("invalid_grant", INVALID_TOKEN);
  }
  const token = rotation.token;
  // The scopes of this refresh: the token's, or the subset the client asked for.
  const scopes = requested.length > 0 ? requested : token.scopes;

  if (!rotation.grantAuthorized) {
    await deps.grants.revokeGrant(token.grantId);
    throw new OAuthError("invalid_grant", "The user's consent was revoked or the account is disabled; sign in again.");
  }

  // A narrowed scope keeps only what its scopes release, and the audiences of its resources.
  let { audiences } = token;
  let { accessTokenClaims, idTokenClaims } = token.payload;
  if (scopes !== token.scopes) {
    const records = await deps.scopes.findScopesByNames(scopes);
    audiences = [...new Set(records.flatMap((record) => record.resources))];
    const released = new Set(records.flatMap((record) => record.claims));
    const toAccessToken = new Set(records.flatMap((record) => record.accessTokenClaims));
    accessTokenClaims = Object.fromEntries(Object.entries(accessTokenClaims).filter(([name]) => toAccessToken.has(name)));
    idTokenClaims = Object.fromEntries(Object.entries(idTokenClaims).filter(([name]) => released.has(name)));
  }

  const issued = await issueTokens(deps, {
    client,
    subject: token.subject,
    scopes,
    audiences,
    grant: { id: token.grantId, authorizationId: token.authorizationId },
    accessTokenClaims,
    // The new refresh token keeps the original scope (RFC 6749 §6), grant and absolute end.
    refreshToken: newRefreshToken(client, token.scopes, token.audiences, token.payload, now),
    idToken: scopes.includes(StandardScopes.openid)
      ? { nonce: null, authTime: token.payload.authTime, sessionId: token.payload.sessionId, amr: token.payload.amr, claims: idTokenClaims }
      : undefined,
    now,
  });
  return { ...issued, userId: token.subject };
}
