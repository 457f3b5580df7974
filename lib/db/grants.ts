// What a user has granted, seen from the user (/account) or from the
// dashboard (one user's or one client's grants page): authorizations (consent)
// and the live tokens issued under them, and how to revoke either.
//
// Nothing here returns a token's value, hash or jti: a listed token is named
// by its row id, which is not a credential.
//
// How revocation reaches the protocol (lib/oauth):
// - a refresh token whose authorization is revoked is refused at the token
//   endpoint (the rotation's grantAuthorized, grants/refreshToken.ts);
// - an access token is checked by its own row and its grant root's row
//   (bearer.ts), not by its authorization, so revoking an authorization also
//   revokes every token row issued under it — the grant roots (authorization
//   codes) included, which also refuses a token a refresh still in flight
//   writes after the revocation (its grant root is already revoked).
import type { Database } from "./client";
import { createTokenRevocationStore } from "./tokenRepositories";
import { REVOCATION_SCOPE } from "../oauth/revoke";
import { isUuid } from "./sessions";

/** Whose grants a list or a revocation is about. */
export type GrantOwnerFilter = { userId: string } | { applicationId: string };

export interface ScopeLabel {
  name: string;
  /** The scope's display name, or its name when the scope no longer exists. */
  displayName: string;
}

export interface AuthorizationListItem {
  id: string;
  userId: string;
  username: string;
  applicationId: string;
  clientId: string;
  clientDisplayName: string;
  scopes: ScopeLabel[];
  /** "permanent" (remembered consent) or "ad-hoc" (one flow). */
  type: "permanent" | "ad-hoc";
  createdAt: Date;
  /** Access and refresh tokens under it that still work. */
  liveTokens: number;
}

export type LiveTokenKind = "access_token" | "refresh_token";

export interface LiveTokenListItem {
  /** The row id (never the token itself). */
  id: string;
  kind: LiveTokenKind;
  applicationId: string;
  clientId: string;
  clientDisplayName: string;
  /** The user the token acts for; null for a client's own token (client_credentials). */
  userId: string | null;
  username: string | null;
  scopes: ScopeLabel[];
  createdAt: Date;
  expiresAt: Date;
  authorizationId: string | null;
}

export interface Page<T> {
  items: T[];
  /** Whether a further page exists. */
  hasMore: boolean;
}

// ---------------------------------------------------------------- shared SQL pieces

/** $1 is the owner's id: a user id (text, tokens.subject / authorizations.user_id) or an application id. */
function ownerParam(owner: GrantOwnerFilter): string {
  return "userId" in owner ? owner.userId : owner.applicationId;
}

/**
 * The scopes' display names in the order granted, in the same statement
 * (`column` is a text[] expression).
 */
const scopeLabels = (column: string) => `
  ARRAY(SELECT COALESCE(s."display_name", u.name) FROM unnest(${column}) WITH ORDINALITY AS u(name, position)
          LEFT JOIN "scopes" s ON s."name" = u.name ORDER BY u.position)`;

/**
 * A live token: an access or refresh token, valid, unexpired, whose grant root
 * (the code it descends from) has not been revoked — the same rules bearer.ts
 * and the refresh grant apply. `now` is the placeholder holding the time.
 */
const LIVE_TOKEN = (alias: string, now: string) => `
  ${alias}."kind" IN ('access_token', 'refresh_token') AND ${alias}."status" = 'valid' AND ${alias}."expires_at" > ${now}
  AND NOT EXISTS (SELECT 1 FROM "tokens" g WHERE g."id" = ${alias}."grant_id" AND g."status" = 'revoked')`;

/**
 * Tokens of the owner (alias t). tokens.subject is text: a user id for a token
 * issued on a user's behalf (always under an authorization), a client_id for
 * client_credentials — a client named like a user id must not match a user.
 */
function tokenOwnerCondition(owner: GrantOwnerFilter, placeholder: string): string {
  return "userId" in owner
    ? `t."subject" = ${placeholder} AND t."authorization_id" IS NOT NULL`
    : `t."application_id" = ${placeholder}::uuid`;
}

function toLabels(names: string[] | null, displayNames: string[] | null): ScopeLabel[] {
  return (names ?? []).map((name, index) => ({ name, displayName: displayNames?.[index] ?? name }));
}

const asDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

// ---------------------------------------------------------------- authorizations

interface AuthorizationRow {
  id: string;
  user_id: string;
  username: string;
  application_id: string;
  client_id: string;
  client_display_name: string;
  scopes: string[] | null;
  scope_display_names: string[] | null;
  type: string;
  created_at: Date | string;
  live_tokens: string | number;
}

/**
 * The valid authorizations of a user or of a client, newest first. A one-flow
 * ("ad-hoc") authorization is listed only while tokens issued under it still
 * work: afterwards there is nothing left to withdraw.
 */
export async function listAuthorizations(
  db: Database,
  owner: GrantOwnerFilter,
  options: { limit?: number; offset?: number; now?: Date } = {},
): Promise<Page<AuthorizationListItem>> {
  const limit = options.limit ?? 100;
  const ownerColumn = "userId" in owner ? `a."user_id"` : `a."application_id"`;
  if (!isUuid(ownerParam(owner))) return { items: [], hasMore: false };
  const rows = await db.sql.query<AuthorizationRow>(
    `SELECT * FROM (
       SELECT a."id", a."user_id", u."username", a."application_id", c."client_id", c."display_name" AS "client_display_name",
              a."scopes", ${scopeLabels(`a."scopes"`)} AS "scope_display_names", a."type", a."created_at",
              (SELECT count(*) FROM "tokens" t WHERE t."authorization_id" = a."id" AND ${LIVE_TOKEN("t", "$2::timestamptz")}) AS "live_tokens"
         FROM "authorizations" a
         JOIN "applications" c ON c."id" = a."application_id"
         JOIN "users" u ON u."id" = a."user_id"
        WHERE ${ownerColumn} = $1::uuid AND a."status" = 'valid'
     ) listed
     WHERE listed."type" = 'permanent' OR listed."live_tokens" > 0
     ORDER BY listed."created_at" DESC, listed."id"
     LIMIT $3 OFFSET $4`,
    [ownerParam(owner), (options.now ?? new Date()).toISOString(), limit + 1, options.offset ?? 0],
  );
  return {
    items: rows.slice(0, limit).map((row) => ({
      id: row.id,
      userId: row.user_id,
      username: row.username,
      applicationId: row.application_id,
      clientId: row.client_id,
      clientDisplayName: row.client_display_name,
      scopes: toLabels(row.scopes, row.scope_display_names),
      type: row.type === "ad-hoc" ? "ad-hoc" : "permanent",
      createdAt: asDate(row.created_at),
      liveTokens: Number(row.live_tokens),
    })),
    hasMore: rows.length > limit,
  };
}

export interface RevokedAuthorization {
  authorizationId: string;
  userId: string;
  applicationId: string;
  clientId: string;
  /** Token rows (codes, access and refresh tokens) revoked with it. */
  revokedTokens: number;
}

/**
 * Revokes one valid authorization of `owner` and every token issued under it.
 * One statement (data-modifying CTEs), so it is one transaction: either the
 * authorization and all its tokens are revoked, or nothing is. Null when the
 * authorization does not exist, belongs to someone else, or was already revoked.
 */
export async function revokeAuthorization(db: Database, authorizationId: string, owner: GrantOwnerFilter): Promise<RevokedAuthorization | null> {
  if (!isUuid(authorizationId) || !isUuid(ownerParam(owner))) return null;
  const ownerColumn = "userId" in owner ? `"user_id"` : `"application_id"`;
  const rows = await db.sql.query<{ id: string; user_id: string; application_id: string; client_id: string; revoked_tokens: string | number }>(
    `WITH revoked_authorization AS (
       UPDATE "authorizations" SET "status" = 'revoked', "updated_at" = now()
        WHERE "id" = $1::uuid AND ${ownerColumn} = $2::uuid AND "status" = 'valid'
        RETURNING "id", "user_id", "application_id"
     ), revoked_tokens AS (
       UPDATE "tokens" SET "status" = 'revoked'
        WHERE "authorization_id" IN (SELECT "id" FROM revoked_authorization) AND "status" <> 'revoked'
        RETURNING "id"
     )
     SELECT a."id", a."user_id", a."application_id", c."client_id", (SELECT count(*) FROM revoked_tokens) AS "revoked_tokens"
       FROM revoked_authorization a JOIN "applications" c ON c."id" = a."application_id"`,
    [authorizationId, ownerParam(owner)],
  );
  const row = rows[0];
  return row
    ? { authorizationId: row.id, userId: row.user_id, applicationId: row.application_id, clientId: row.client_id, revokedTokens: Number(row.revoked_tokens) }
    : null;
}

// ---------------------------------------------------------------- live tokens

interface LiveTokenRow {
  id: string;
  kind: string;
  application_id: string;
  client_id: string;
  client_display_name: string;
  subject: string;
  user_id: string | null;
  username: string | null;
  scopes: string[] | null;
  scope_display_names: string[] | null;
  created_at: Date | string;
  expires_at: Date | string;
  authorization_id: string | null;
}

/** The live access and refresh tokens of a user (issued on their behalf) or of a client, newest first. */
export async function listLiveTokens(
  db: Database,
  owner: GrantOwnerFilter,
  options: { limit?: number; offset?: number; now?: Date } = {},
): Promise<Page<LiveTokenListItem>> {
  const limit = options.limit ?? 100;
  if (!isUuid(ownerParam(owner))) return { items: [], hasMore: false };
  const ownerCondition = tokenOwnerCondition(owner, "$1");
  const rows = await db.sql.query<LiveTokenRow>(
    `SELECT t."id", t."kind", t."application_id", c."client_id", c."display_name" AS "client_display_name", t."subject",
            u."id" AS "user_id", u."username", t."scopes", ${scopeLabels(`t."scopes"`)} AS "scope_display_names",
            t."created_at", t."expires_at", t."authorization_id"
       FROM "tokens" t
       JOIN "applications" c ON c."id" = t."application_id"
       LEFT JOIN "users" u ON t."authorization_id" IS NOT NULL AND u."id"::text = t."subject"
      WHERE ${ownerCondition} AND ${LIVE_TOKEN("t", "$2::timestamptz")}
      ORDER BY t."created_at" DESC, t."id"
      LIMIT $3 OFFSET $4`,
    [ownerParam(owner), (options.now ?? new Date()).toISOString(), limit + 1, options.offset ?? 0],
  );
  return {
    items: rows.slice(0, limit).map((row) => ({
      id: row.id,
      kind: row.kind === "refresh_token" ? "refresh_token" : "access_token",
      applicationId: row.application_id,
      clientId: row.client_id,
      clientDisplayName: row.client_display_name,
      userId: row.user_id,
      username: row.username,
      scopes: toLabels(row.scopes, row.scope_display_names),
      createdAt: asDate(row.created_at),
      expiresAt: asDate(row.expires_at),
      authorizationId: row.authorization_id,
    })),
    hasMore: rows.length > limit,
  };
}

export interface RevokedToken {
  tokenId: string;
  kind: LiveTokenKind;
  /** "token": only this one; "grant": its whole grant (a refresh token, RFC 7009 §2.1). */
  extent: "token" | "grant";
  /** Rows revoked (the grant's codes and tokens when extent is "grant"). */
  revokedTokens: number;
  /** The user it was issued for, when it was (null for a client's own token). */
  userId: string | null;
  applicationId: string;
  clientId: string;
}

/**
 * Revokes one access or refresh token of `owner`, with the same semantics as
 * the revocation endpoint (lib/oauth/revoke.ts REVOCATION_SCOPE): an access
 * token alone, a refresh token with its whole grant. Null when the token does
 * not exist, belongs to someone else, or is no longer live.
 */
export async function revokeLiveToken(db: Database, tokenId: string, owner: GrantOwnerFilter, now: Date = new Date()): Promise<RevokedToken | null> {
  if (!isUuid(tokenId) || !isUuid(ownerParam(owner))) return null;
  const ownerCondition = tokenOwnerCondition(owner, "$2");
  const rows = await db.sql.query<{ id: string; kind: string; grant_id: string | null; subject: string; application_id: string; client_id: string; authorization_id: string | null }>(
    `SELECT t."id", t."kind", t."grant_id", t."subject", t."application_id", c."client_id", t."authorization_id"
       FROM "tokens" t JOIN "applications" c ON c."id" = t."application_id"
      WHERE t."id" = $1::uuid AND ${ownerCondition} AND ${LIVE_TOKEN("t", "$3::timestamptz")}`,
    [tokenId, ownerParam(owner), now.toISOString()],
  );
  const row = rows[0];
  if (!row) return null;
  const extent = REVOCATION_SCOPE[row.kind];
  if (!extent) return null; // LIVE_TOKEN admits only access and refresh tokens, which both have one
  const revocations = createTokenRevocationStore(db);
  const revokedTokens =
    extent === "grant" && row.grant_id ? await revocations.revokeGrant(row.grant_id) : (await revocations.revokeToken(row.id)) ? 1 : 0;
  return {
    tokenId: row.id,
    kind: row.kind === "refresh_token" ? "refresh_token" : "access_token",
    extent: extent === "grant" && row.grant_id ? "grant" : "token",
    revokedTokens,
    userId: row.authorization_id ? row.subject : null,
    applicationId: row.application_id,
    clientId: row.client_id,
  };
}

// ---------------------------------------------------------------- whose page it is

export interface GrantUserSummary {
  id: string;
  username: string;
  name: string;
}

export interface GrantClientSummary {
  id: string;
  clientId: string;
  displayName: string;
}

/** The user a grants page is about; null for an unknown or malformed id. */
export async function findGrantUser(db: Database, userId: string): Promise<GrantUserSummary | null> {
  if (!isUuid(userId)) return null;
  const rows = await db.sql.query<GrantUserSummary>(`SELECT "id", "username", "name" FROM "users" WHERE "id" = $1::uuid`, [userId]);
  return rows[0] ?? null;
}

/** The client a grants page is about; null for an unknown or malformed id. */
export async function findGrantClient(db: Database, applicationId: string): Promise<GrantClientSummary | null> {
  if (!isUuid(applicationId)) return null;
  const rows = await db.sql.query<{ id: string; client_id: string; display_name: string }>(
    `SELECT "id", "client_id", "display_name" FROM "applications" WHERE "id" = $1::uuid`,
    [applicationId],
  );
  const row = rows[0];
  return row ? { id: row.id, clientId: row.client_id, displayName: row.display_name } : null;
}
