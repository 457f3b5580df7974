// RFC 6749 §6 refresh tokens, rotated on every use (RFC 9700 §4.14.2): the
// presented token is redeemed in one atomic statement and a new one takes its
// place. Presenting an already rotated token is a replay and revokes the whole
// grant (code, refresh tokens, access tokens). With openid in the (possibly
// narrowed) scope the response carries a new ID token (OIDC Core §12.2).
import { issueAccessToken, type AccessTokenIssuerDeps } from "../accessTokens";
import { OAuthError } from "../errors";
import type { FormParameters } from "../http";
import { issueIdToken } from "../idTokens";
import { Permissions, hasPermission } from "../permissions";
import { reuseDetectedEvent } from "../audit";
import type { AuditLog, ClientRecord, RefreshTokenPayload, RefreshTokenStore, ScopeStore, StoredRefreshToken } from "../ports";
import { StandardScopes, parseScopeParameter } from "../scopes";
import { hashOpaqueValue, randomTokenValue } from "../secrets";
import type { GrantContext, GrantResult, TokenResponseBody } from "./clientCredentials";

/** Sliding lifetime of one refresh token, unless the client sets its own (seconds). */
export const DEFAULT_REFRESH_TOKEN_LIFETIME = 14 * 24 * 3600;
/** Absolute lifetime of a grant's refresh tokens from the code's issue, unless the client sets its own (seconds). */
export const DEFAULT_REFRESH_TOKEN_ABSOLUTE_LIFETIME = 90 * 24 * 3600;

export interface RefreshTokenDeps extends AccessTokenIssuerDeps {
  scopes: ScopeStore;
  /** Without it the server issues no refresh tokens and refuses the grant. */
  refreshTokens?: RefreshTokenStore;
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

export interface NewRefreshToken {
  client: ClientRecord;
  grantId: string;
  subject: string;
  authorizationId: string | null;
  scopes: string[];
  audiences: string[];
  payload: RefreshTokenPayload;
  now: number;
}

/** Creates and records a refresh token (only its SHA-256 is stored); returns the value for the client. */
export async function issueRefreshToken(store: RefreshTokenStore, request: NewRefreshToken): Promise<string> {
  const value = randomTokenValue(32);
  const sliding = request.now + (request.client.refreshTokenLifetime ?? DEFAULT_REFRESH_TOKEN_LIFETIME) * 1000;
  await store.recordRefreshToken({
    valueHash: hashOpaqueValue(value),
    grantId: request.grantId,
    subject: request.subject,
    applicationId: request.client.id,
    authorizationId: request.authorizationId,
    scopes: request.scopes,
    audiences: request.audiences,
    payload: request.payload,
    createdAt: new Date(request.now),
    expiresAt: new Date(Math.min(sliding, request.payload.absoluteExpiresAt)),
  });
  return value;
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
      const revoked = await store.revokeGrant(rotation.token.grantId);
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

  if (!(await store.isGrantAuthorized(token.subject, token.authorizationId))) {
    await store.revokeGrant(token.grantId);
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

  // The new refresh token keeps the original scope (RFC 6749 §6), grant and absolute end.
  const newRefreshToken = issueRefreshToken(store, {
    client,
    grantId: token.grantId,
    subject: token.subject,
    authorizationId: token.authorizationId,
    scopes: token.scopes,
    audiences: token.audiences,
    payload: token.payload,
    now,
  });
  newRefreshToken.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
  const issued = await issueAccessToken(deps, {
    client,
    subject: token.subject,
    scopes,
    audiences,
    authorizationId: token.authorizationId,
    grantId: token.grantId,
    claims: accessTokenClaims,
    now,
  });
  const idToken = scopes.includes(StandardScopes.openid)
    ? issueIdToken(deps, {
        client,
        subject: token.subject,
        nonce: null,
        authTime: token.payload.authTime,
        sessionId: token.payload.sessionId,
        amr: token.payload.amr,
        claims: idTokenClaims,
        accessToken: issued.accessToken,
        now,
      })
    : undefined;
  const [refreshToken, signedIdToken] = await Promise.all([newRefreshToken, idToken]);
  // A replay racing this rotation may have revoked the grant before the new rows existed:
  // look once more, so that the replay's revocation covers them too (as for codes). The
  // response still goes out, the one success of the race, but its tokens no longer work.
  if (await store.isGrantRevoked(token.grantId)) await store.revokeGrant(token.grantId);
  const body: TokenResponseBody = {
    access_token: issued.accessToken,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
    ...(scopes.length > 0 ? { scope: scopes.join(" ") } : {}),
    refresh_token: refreshToken,
    ...(signedIdToken !== undefined ? { id_token: signedIdToken } : {}),
  };
  return { body, userId: token.subject, accessTokenJti: issued.jti };
}
