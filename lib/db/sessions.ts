// The queries behind the portal's sign-in: user lookup, session rows and the
// sign-in throttle's tables. Raw SQL on the driver (Database.sql), one statement
// each: the session check runs on every authorization request, and the
// throttle updates must be atomic across instances. Column names follow the
// @map attributes in prisma/schema.prisma.
import { randomUUID } from "node:crypto";
import { insertAuditEvents, withRequestId, type AuditWebhookOutbox } from "./audit";
import type { SignedInUser } from "../oauth/ports";
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
  refreshLastSeen(sql, row.id, row.last_seen_at, now);
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

/** Refreshes last_seen_at in the background when it is older than its resolution (a failure only leaves it stale). */
function refreshLastSeen(sql: SqlExecutor, sessionId: string, lastSeenAt: Date | string, now: Date): void {
  if (now.getTime() - new Date(lastSeenAt).getTime() <= LAST_SEEN_RESOLUTION_MS) return;
  sql
    .query(`UPDATE "sessions" SET "last_seen_at" = $2::timestamptz WHERE "id" = $1::uuid AND "last_seen_at" < $2::timestamptz`, [sessionId, now.toISOString()])
    .catch(() => undefined);
}

/**
 * What the authorization endpoint needs of a signed-in request, in one
 * statement: the session (valid as findActiveSession defines it), its user's
 * claims, and the user's newest valid permanent authorization of the client.
 */
export async function findSignedInForClient(sql: SqlExecutor, sessionId: string, applicationId: string, now: Date): Promise<SignedInUser | null> {
  if (!isUuid(sessionId) || !isUuid(applicationId)) return null;
  const rows = await sql.query<{
    id: string;
    user_id: string;
    auth_time: Date | string;
    amr: string[] | null;
    last_seen_at: Date | string;
    username: string;
    email: string | null;
    email_verified: boolean;
    name: string;
    updated_at: Date | string;
    authorization_id: string | null;
    authorization_scopes: string[] | null;
  }>(
    `SELECT s."id", s."user_id", s."auth_time", s."amr", s."last_seen_at",
            u."username", u."email", u."email_verified", u."name", u."updated_at",
            a."id" AS "authorization_id", a."scopes" AS "authorization_scopes"
       FROM "sessions" s
       JOIN "users" u ON u."id" = s."user_id"
       LEFT JOIN LATERAL (
         SELECT "id", "scopes" FROM "authorizations"
          WHERE "user_id" = s."user_id" AND "application_id" = $3::uuid AND "status" = 'valid' AND "type" = 'permanent'
          ORDER BY "created_at" DESC LIMIT 1
       ) a ON true
      WHERE s."id" = $1::uuid AND s."ended_at" IS NULL AND s."expires_at" > $2::timestamptz AND u."enabled"`,
    [sessionId, now.toISOString(), applicationId],
  );
  const row = rows[0];
  if (!row) return null;
  refreshLastSeen(sql, row.id, row.last_seen_at, now);
  return {
    session: { sessionId: row.id, userId: row.user_id, authTime: new Date(row.auth_time), amr: row.amr ?? [] },
    user: {
      id: row.user_id,
      username: row.username,
      email: row.email,
      emailVerified: row.email_verified,
      name: row.name,
      enabled: true,
      updatedAt: new Date(row.updated_at),
    },
    remembered:
      row.authorization_id === null
        ? null
        : { id: row.authorization_id, applicationId, userId: row.user_id, scopes: row.authorization_scopes ?? [], type: "permanent" },
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

// ---------------------------------------------------------------- sign-in throttle

/** rate-limiter-flexible's table (lib/db/signInThrottleStore.ts writes it through the library). */
export const SIGN_IN_LIMITS_TABLE = "sign_in_limits";

export interface SignInLimitRow {
  key: string;
  points: number;
  /** Epoch milliseconds; null never expires. */
  expire: number | null;
}

/** The live rows (not expired at `nowMs`) with one of `keys` or a key starting with one of `prefixes`. */
export async function readSignInLimits(sql: SqlExecutor, keys: string[], prefixes: string[], nowMs: number): Promise<SignInLimitRow[]> {
  const rows = await sql.query<{ key: string; points: number; expire: string | number | null }>(
    `SELECT "key", "points", "expire" FROM "sign_in_limits"
      WHERE ("key" = ANY($1::text[]) OR EXISTS (SELECT 1 FROM unnest($2::text[]) AS p(prefix) WHERE starts_with("key", p.prefix)))
        AND ("expire" IS NULL OR "expire" > $3::bigint)
      ORDER BY "key"`,
    [keys, prefixes, nowMs],
  );
  return rows.map((row) => ({ key: row.key, points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) }));
}

/** Deletes the row `key` if its count is back to zero (or below); a concurrent count keeps it. */
export async function deleteEmptySignInLimit(sql: SqlExecutor, key: string): Promise<void> {
  await sql.query(`DELETE FROM "sign_in_limits" WHERE "key" = $1 AND "points" <= 0`, [key]);
}

/** Deletes those rows in one statement; returns how many of them were live. */
export async function clearSignInLimits(sql: SqlExecutor, keys: string[], prefixes: string[], nowMs: number): Promise<number> {
  const rows = await sql.query<{ live: boolean }>(
    `DELETE FROM "sign_in_limits"
      WHERE "key" = ANY($1::text[]) OR EXISTS (SELECT 1 FROM unnest($2::text[]) AS p(prefix) WHERE starts_with("key", p.prefix))
      RETURNING ("expire" IS NULL OR "expire" > $3::bigint) AS "live"`,
    [keys, prefixes, nowMs],
  );
  return rows.filter((row) => row.live).length;
}

/** Whether `userId` signed in successfully from the address with this hash since `since`. */
export async function findKnownSignInAddress(sql: SqlExecutor, userId: string, addressHash: string, since: Date): Promise<boolean> {
  if (!isUuid(userId)) return false;
  const rows = await sql.query(
    `SELECT 1 FROM "known_sign_in_addresses" WHERE "user_id" = $1::uuid AND "address_hash" = $2 AND "last_success_at" > $3::timestamptz`,
    [userId, addressHash, since.toISOString()],
  );
  return rows.length > 0;
}

/**
 * Records a successful sign-in of `userId` from the address with this hash
 * and keeps only the `keep` most recent addresses of the user, in one
 * statement (the DELETE sees the rows as they were before the upsert, so it
 * keeps `keep - 1` others besides this one).
 */
export async function rememberKnownSignInAddress(sql: SqlExecutor, userId: string, addressHash: string, at: Date, keep: number): Promise<void> {
  await sql.query(
    `WITH remembered AS (
       INSERT INTO "known_sign_in_addresses" ("user_id", "address_hash", "last_success_at")
       VALUES ($1::uuid, $2, $3::timestamptz)
       ON CONFLICT ("user_id", "address_hash") DO UPDATE SET "last_success_at" = GREATEST("known_sign_in_addresses"."last_success_at", EXCLUDED."last_success_at")
       RETURNING 1
     )
     DELETE FROM "known_sign_in_addresses" k
      WHERE k."user_id" = $1::uuid AND k."address_hash" <> $2
        AND k."address_hash" NOT IN (
          SELECT "address_hash" FROM "known_sign_in_addresses"
           WHERE "user_id" = $1::uuid AND "address_hash" <> $2
           ORDER BY "last_success_at" DESC LIMIT $4::int)`,
    [userId, addressHash, at.toISOString(), Math.max(keep - 1, 0)],
  );
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

export async function recordSignInEvent(sql: SqlExecutor, event: SignInAuditEvent, webhooks?: AuditWebhookOutbox | null): Promise<void> {
  await insertAuditEvents(
    sql,
    [withRequestId({ kind: event.kind, actor: event.userId, userId: event.userId, ip: event.ip, reason: event.reason, at: event.at })],
    webhooks,
  );
}
