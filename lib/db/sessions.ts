// The queries behind the portal's sign-in: user lookup, session rows and the
// failed-sign-in counters. Raw SQL on the driver (Database.sql), one statement
// each: the session check runs on every authorization request, and the
// throttle updates must be atomic across instances. Column names follow the
// @map attributes in prisma/schema.prisma.
import { randomUUID } from "node:crypto";
import { insertAuditEvents } from "./audit";
import type { SqlExecutor } from "./client";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

// ---------------------------------------------------------------- users

export interface SignInUserRow {
  id: string;
  username: string;
  email: string | null;
  name: string;
  passwordHash: string | null;
  enabled: boolean;
}

/**
 * The user a sign-in identifier names: the exact username, or else the email
 * address compared case-insensitively. A username match wins over an email match.
 */
export async function findUserBySignInIdentifier(sql: SqlExecutor, identifier: string): Promise<SignInUserRow | null> {
  // PostgreSQL text cannot hold U+0000; no user has such a name.
  if (identifier === "" || identifier.includes("\u0000")) return null;
  const rows = await sql.query<{
    id: string;
    username: string;
    email: string | null;
    name: string;
    password_hash: string | null;
    enabled: boolean;
  }>(
    `SELECT "id", "username", "email", "name", "password_hash", "enabled" FROM "users"
      WHERE "username" = $1 OR lower("email") = lower($1)
      ORDER BY ("username" = $1) DESC
      LIMIT 1`,
    [identifier],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    enabled: row.enabled,
  };
}

// ---------------------------------------------------------------- sessions

export interface NewSessionRow {
  userId: string;
  authTime: Date;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  expiresAt: Date;
}

/** Inserts a session row and returns its id. */
export async function createSessionRow(sql: SqlExecutor, session: NewSessionRow): Promise<string> {
  const id = randomUUID();
  await sql.query(
    `INSERT INTO "sessions" ("id", "user_id", "auth_time", "amr", "ip", "user_agent", "created_at", "last_seen_at", "expires_at")
     VALUES ($1::uuid, $2::uuid, $3::timestamptz, $4::text[], $5, $6, $3::timestamptz, $3::timestamptz, $7::timestamptz)`,
    [
      id,
      session.userId,
      session.authTime.toISOString(),
      session.amr,
      session.ip,
      session.userAgent,
      session.expiresAt.toISOString(),
    ],
  );
  return id;
}

export interface ActiveSessionRow {
  sessionId: string;
  userId: string;
  authTime: Date;
  amr: string[];
  expiresAt: Date;
  username: string;
  name: string;
  email: string | null;
  /** The user's portal roles (e.g. "admin"), read with the session so every check is current. */
  roles: string[];
}

/** How stale sessions.last_seen_at may get before a read refreshes it (the account page shows it). */
const LAST_SEEN_RESOLUTION_MS = 5 * 60_000;

/**
 * The session row `sessionId` if it is still valid at `now`: it exists, was
 * not ended, has not expired, and its user is still enabled. One query; when
 * last_seen_at is more than five minutes old, an UPDATE refreshes it in the
 * background (the answer does not wait for it, and a failure only leaves it stale).
 */
export async function findActiveSession(sql: SqlExecutor, sessionId: string, now: Date): Promise<ActiveSessionRow | null> {
  if (!isUuid(sessionId)) return null;
  const rows = await sql.query<{
    id: string;
    user_id: string;
    auth_time: Date | string;
    amr: string[] | null;
    expires_at: Date | string;
    username: string;
    name: string;
    email: string | null;
    roles: string[] | null;
    last_seen_at: Date | string;
  }>(
    `SELECT s."id", s."user_id", s."auth_time", s."amr", s."expires_at", s."last_seen_at", u."username", u."name", u."email", u."roles"
       FROM "sessions" s JOIN "users" u ON u."id" = s."user_id"
      WHERE s."id" = $1::uuid AND s."ended_at" IS NULL AND s."expires_at" > $2::timestamptz AND u."enabled"`,
    [sessionId, now.toISOString()],
  );
  const row = rows[0];
  if (!row) return null;
  if (now.getTime() - new Date(row.last_seen_at).getTime() > LAST_SEEN_RESOLUTION_MS) {
    sql
      .query(`UPDATE "sessions" SET "last_seen_at" = $2::timestamptz WHERE "id" = $1::uuid AND "last_seen_at" < $2::timestamptz`, [row.id, now.toISOString()])
      .catch(() => undefined);
  }
  return {
    sessionId: row.id,
    userId: row.user_id,
    authTime: new Date(row.auth_time),
    amr: row.amr ?? [],
    expiresAt: new Date(row.expires_at),
    username: row.username,
    name: row.name,
    email: row.email,
    roles: row.roles ?? [],
  };
}

/** Marks a session ended; an ended session is never valid again. Idempotent. */
export async function endSessionRow(sql: SqlExecutor, sessionId: string, now: Date): Promise<void> {
  if (!isUuid(sessionId)) return;
  await sql.query(`UPDATE "sessions" SET "ended_at" = $2::timestamptz WHERE "id" = $1::uuid AND "ended_at" IS NULL`, [
    sessionId,
    now.toISOString(),
  ]);
}

// ---------------------------------------------------------------- failed sign-in counters

export interface ThrottleCounter {
  /** Attempts counted in the current window, this one included. */
  failures: number;
  lockedUntil: Date | null;
}

/** Restart condition for countSignInAttempt ($2 = now, $3 = window in seconds). */
const RESTART = `(CASE WHEN t."locked_until" IS NOT NULL THEN t."locked_until" <= $2::timestamptz
                       ELSE t."window_start" <= $2::timestamptz - make_interval(secs => $3::int) END)`;

/**
 * Counts one sign-in attempt against `key`, atomically (one upsert, so
 * concurrent attempts on any instance each get their own number). The window
 * restarts when it has run out without a lock, or when a lock has expired.
 */
export async function countSignInAttempt(sql: SqlExecutor, key: string, now: Date, windowSeconds: number): Promise<ThrottleCounter> {
  const rows = await sql.query<{ failures: number; locked_until: Date | string | null }>(
    `INSERT INTO "sign_in_throttles" AS t ("key", "failures", "window_start", "locked_until")
     VALUES ($1, 1, $2::timestamptz, NULL)
     ON CONFLICT ("key") DO UPDATE SET
       "failures"     = CASE WHEN ${RESTART} THEN 1 ELSE t."failures" + 1 END,
       "window_start" = CASE WHEN ${RESTART} THEN $2::timestamptz ELSE t."window_start" END,
       "locked_until" = CASE WHEN ${RESTART} THEN NULL ELSE t."locked_until" END
     RETURNING "failures", "locked_until"`,
    [key, now.toISOString(), windowSeconds],
  );
  const row = rows[0]!;
  return { failures: Number(row.failures), lockedUntil: row.locked_until === null ? null : new Date(row.locked_until) };
}

/** Locks `key` until `until`, unless a lock is already running (a lock is never extended). */
export async function lockSignInKey(sql: SqlExecutor, key: string, now: Date, until: Date): Promise<void> {
  await sql.query(
    `UPDATE "sign_in_throttles" SET "locked_until" = $3::timestamptz
      WHERE "key" = $1 AND ("locked_until" IS NULL OR "locked_until" <= $2::timestamptz)`,
    [key, now.toISOString(), until.toISOString()],
  );
}

/** Takes back one counted attempt (a successful sign-in on a shared counter). */
export async function uncountSignInAttempt(sql: SqlExecutor, key: string): Promise<void> {
  await sql.query(`UPDATE "sign_in_throttles" SET "failures" = GREATEST("failures" - 1, 0) WHERE "key" = $1`, [key]);
}

/** Forgets `key`'s counter (a successful sign-in resets its account). */
export async function clearSignInKey(sql: SqlExecutor, key: string): Promise<void> {
  await sql.query(`DELETE FROM "sign_in_throttles" WHERE "key" = $1`, [key]);
}

// ---------------------------------------------------------------- audit

export interface SignInAuditEvent {
  kind: "signin.succeeded" | "signin.failed" | "signout";
  userId: string | null;
  ip: string | null;
  /** For failures: why, for operators only (never shown to the user). */
  reason?: string | null;
  at: Date;
}

export async function recordSignInEvent(sql: SqlExecutor, event: SignInAuditEvent): Promise<void> {
  await insertAuditEvents(sql, [{ kind: event.kind, actor: event.userId, userId: event.userId, ip: event.ip, reason: event.reason, at: event.at }]);
}
