// The queries behind /account: a signed-in user's profile, password and
// sessions. Every statement is scoped to the user id it is given (the
// caller's own, from the session), so an id taken from a form can never reach
// another account's rows.
import type { SqlExecutor } from "./client";
import { isUniqueViolation } from "./errors";
import { isUuid } from "./sessions";

// ---------------------------------------------------------------- profile

export interface AccountProfile {
  id: string;
  username: string;
  name: string;
  email: string | null;
  emailVerified: boolean;
  /** Whether the account has a password at all (one may be set only by an administrator). */
  hasPassword: boolean;
}

export async function readAccountProfile(sql: SqlExecutor, userId: string): Promise<AccountProfile | null> {
  if (!isUuid(userId)) return null;
  const rows = await sql.query<{ id: string; username: string; name: string; email: string | null; email_verified: boolean; has_password: boolean }>(
    `SELECT "id", "username", "name", "email", "email_verified", "password_hash" IS NOT NULL AS "has_password" FROM "users" WHERE "id" = $1::uuid`,
    [userId],
  );
  const row = rows[0];
  return row
    ? { id: row.id, username: row.username, name: row.name, email: row.email, emailVerified: row.email_verified, hasPassword: row.has_password }
    : null;
}

export type ProfileUpdate =
  | { status: "updated"; nameChanged: boolean; emailChanged: boolean }
  | { status: "email_change_not_allowed" }
  | { status: "email_taken" }
  | { status: "not_found" };

/**
 * Sets the user's name and email address (null: none). A changed address is no
 * longer verified. Addresses are unique case-insensitively, as sign-in matches
 * them (lib/db/sessions.ts findUserBySignInIdentifier): the check and the write
 * are one statement, and the column's unique index catches a concurrent twin.
 * Without `emailChangeAllowed` (the caller has not re-checked the password) the
 * address must stay what it is, compared in the same statement, so a request
 * that read a stale address cannot slip a change through.
 */
export async function updateAccountProfile(
  sql: SqlExecutor,
  userId: string,
  profile: { name: string; email: string | null },
  { emailChangeAllowed }: { emailChangeAllowed: boolean },
): Promise<ProfileUpdate> {
  if (!isUuid(userId)) return { status: "not_found" };
  let rows: { found: boolean; updated: boolean; taken: boolean; name_changed: boolean | null; email_changed: boolean | null }[];
  try {
    rows = await sql.query(
      `WITH previous AS (SELECT "name", "email" FROM "users" WHERE "id" = $1::uuid),
            taken AS (SELECT EXISTS (SELECT 1 FROM "users" WHERE $3::text IS NOT NULL AND lower("email") = lower($3::text) AND "id" <> $1::uuid) AS "taken"),
            updated AS (
              UPDATE "users" SET "name" = $2::text, "email" = $3::text,
                     "email_verified" = CASE WHEN "email" IS NOT DISTINCT FROM $3::text THEN "email_verified" ELSE false END,
                     "updated_at" = now()
               WHERE "id" = $1::uuid AND NOT (SELECT "taken" FROM taken)
                 AND ($4::boolean OR "email" IS NOT DISTINCT FROM $3::text)
               RETURNING "id")
       SELECT EXISTS (SELECT 1 FROM previous) AS "found", EXISTS (SELECT 1 FROM updated) AS "updated", (SELECT "taken" FROM taken) AS "taken",
              (SELECT "name" IS DISTINCT FROM $2::text FROM previous) AS "name_changed",
              (SELECT "email" IS DISTINCT FROM $3::text FROM previous) AS "email_changed"`,
      [userId, profile.name, profile.email, emailChangeAllowed],
    );
  } catch (error) {
    if (isUniqueViolation(error)) return { status: "email_taken" };
    throw error;
  }
  const row = rows[0]!;
  if (!row.found) return { status: "not_found" };
  // Checked before "taken": without the password, nobody learns which addresses other accounts use.
  if (row.email_changed && !emailChangeAllowed) return { status: "email_change_not_allowed" };
  if (row.taken) return { status: "email_taken" };
  if (!row.updated) return { status: "not_found" };
  return { status: "updated", nameChanged: row.name_changed === true, emailChanged: row.email_changed === true };
}

// ---------------------------------------------------------------- password

/** The user's password hash (argon2id), for checking the current password; null when none is set. */
export async function readPasswordHash(sql: SqlExecutor, userId: string): Promise<string | null> {
  if (!isUuid(userId)) return null;
  const rows = await sql.query<{ password_hash: string | null }>(`SELECT "password_hash" FROM "users" WHERE "id" = $1::uuid`, [userId]);
  return rows[0]?.password_hash ?? null;
}

/**
 * Stores a new password hash, ends every other session of the user, and
 * revokes the tokens obtained in those other sessions, in one statement: all
 * of it happens or none (a stolen session, and what it obtained, must not
 * outlive a password change). `keepSessionId` is the session that made the
 * change; tokens issued in it stay valid.
 *
 * Which session a token belongs to: the `sessionId` its grant's root (the
 * authorization code) recorded, which every access and refresh token of the
 * grant shares through `grant_id`. A token of the user whose session is not
 * the kept one, or cannot be told, is revoked, and so is its grant's root:
 * a refresh rotating at this moment then writes a token of a revoked grant,
 * which the refresh grant, introspection and userinfo already refuse.
 * Returns how many sessions were ended and tokens revoked, or null when the
 * user does not exist.
 */
export async function changeAccountPassword(
  sql: SqlExecutor,
  userId: string,
  passwordHash: string,
  keepSessionId: string,
  now: Date = new Date(),
): Promise<{ endedSessions: number; revokedTokens: number } | null> {
  if (!isUuid(userId)) return null;
  const keptSession = isUuid(keepSessionId) ? keepSessionId.toLowerCase() : "00000000-0000-0000-0000-000000000000";
  const rows = await sql.query<{ updated: boolean; ended_sessions: string | number; revoked_tokens: string | number }>(
    `WITH updated AS (
       UPDATE "users" SET "password_hash" = $2, "updated_at" = now() WHERE "id" = $1::uuid RETURNING "id"
     ), ended AS (
       UPDATE "sessions" SET "ended_at" = $4::timestamptz
        WHERE "user_id" IN (SELECT "id" FROM updated) AND "id" <> $3::uuid AND "ended_at" IS NULL
        RETURNING "id"
     ), elsewhere AS (
       SELECT t."id", t."status", t."grant_id" FROM "tokens" t LEFT JOIN "tokens" g ON g."id" = t."grant_id"
        WHERE t."subject" = $5 AND t."expires_at" > $4::timestamptz AND EXISTS (SELECT 1 FROM updated)
          AND COALESCE(g."payload"->>'sessionId', t."payload"->>'sessionId') IS DISTINCT FROM $6
     ), revoked AS (
       UPDATE "tokens" SET "status" = 'revoked'
        WHERE "status" <> 'revoked'
          AND ("id" IN (SELECT "id" FROM elsewhere WHERE "status" = 'valid')
            OR "id" IN (SELECT "grant_id" FROM elsewhere WHERE "grant_id" IS NOT NULL))
        RETURNING "id"
     )
     SELECT EXISTS (SELECT 1 FROM updated) AS "updated", (SELECT count(*) FROM ended) AS "ended_sessions",
            (SELECT count(*) FROM revoked) AS "revoked_tokens"`,
    [userId, passwordHash, keptSession, now.toISOString(), userId, keptSession],
  );
  const row = rows[0]!;
  return row.updated ? { endedSessions: Number(row.ended_sessions), revokedTokens: Number(row.revoked_tokens) } : null;
}

// ---------------------------------------------------------------- sessions

export interface AccountSession {
  id: string;
  authTime: Date;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** The user's sessions that still work (not ended, not expired), most recent first. */
export async function listActiveSessionsOfUser(sql: SqlExecutor, userId: string, now: Date = new Date()): Promise<AccountSession[]> {
  if (!isUuid(userId)) return [];
  const rows = await sql.query<{
    id: string;
    auth_time: Date | string;
    created_at: Date | string;
    last_seen_at: Date | string;
    expires_at: Date | string;
    ip: string | null;
    user_agent: string | null;
  }>(
    `SELECT "id", "auth_time", "created_at", "last_seen_at", "expires_at", "ip", "user_agent" FROM "sessions"
      WHERE "user_id" = $1::uuid AND "ended_at" IS NULL AND "expires_at" > $2::timestamptz
      ORDER BY "created_at" DESC, "id"
      LIMIT 200`,
    [userId, now.toISOString()],
  );
  return rows.map((row) => ({
    id: row.id,
    authTime: new Date(row.auth_time),
    createdAt: new Date(row.created_at),
    lastSeenAt: new Date(row.last_seen_at),
    expiresAt: new Date(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  }));
}

/** Ends one of the user's own sessions; false when it is not theirs or already ended. */
export async function endSessionOfUser(sql: SqlExecutor, userId: string, sessionId: string, now: Date = new Date()): Promise<boolean> {
  if (!isUuid(userId) || !isUuid(sessionId)) return false;
  const rows = await sql.query<{ id: string }>(
    `UPDATE "sessions" SET "ended_at" = $3::timestamptz
      WHERE "id" = $2::uuid AND "user_id" = $1::uuid AND "ended_at" IS NULL
      RETURNING "id"`,
    [userId, sessionId, now.toISOString()],
  );
  return rows.length > 0;
}
