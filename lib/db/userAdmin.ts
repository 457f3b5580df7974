// The dashboard's queries for users: search, read, create, edit, disable,
// enable, password reset and the admin role. Every change that touches more
// than one row (disable: the user, their sessions, their tokens) runs in one
// transaction, and the rules that protect the last administrator read the
// administrators under a row lock so two admins acting at once cannot both
// pass the check.
import type { Database } from "./client";
import type { PrismaClient } from "./generated/client";
import { isUniqueViolation } from "./errors";
import { isUuid } from "./sessions";
import { consumeSetupTokens } from "./setupTokens";

/**
 * The portal's administrator role. Same value as ADMIN_ROLE in
 * lib/auth/roles.ts, which lib/db does not import (the layers meet only in
 * lib/gatehouse.ts); tests/unit/userAdmin.test.ts keeps the two equal.
 */
export const ADMIN_ROLE = "admin";

export interface AdminUserRow {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  name: string;
  roles: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface AdminUserDetail extends AdminUserRow {
  activeSessions: number;
  /** Access and refresh tokens still valid and unexpired. */
  liveTokens: number;
}

type Transaction = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

const USER_COLUMNS = `"id", "username", "email", "email_verified" AS "emailVerified", "name", "roles", "enabled",
  "created_at" AS "createdAt", "updated_at" AS "updatedAt"`;

/** The fields the dashboard may see, picked one by one (never the password hash). */
function toUserRow(row: AdminUserRow): AdminUserRow {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: row.emailVerified,
    name: row.name,
    roles: row.roles ?? [],
    enabled: row.enabled,
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
  };
}

/** `text` for a LIKE pattern that matches it literally anywhere. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

export interface UserSearch {
  /** Matched case-insensitively against username, email and name. */
  query: string;
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** One page of users, ordered by username; `hasNext` tells whether another page follows. */
export async function searchUsers(db: Database, { query, page, pageSize }: UserSearch): Promise<{ users: AdminUserRow[]; hasNext: boolean }> {
  const text = query.trim().replaceAll("\u0000", "");
  const rows = await db.sql.query<AdminUserRow>(
    `SELECT ${USER_COLUMNS} FROM "users"
      WHERE $1 = '' OR "username" ILIKE $2 OR "email" ILIKE $2 OR "name" ILIKE $2
      ORDER BY "username" LIMIT $3 OFFSET $4`,
    [text, containsPattern(text), pageSize + 1, (page - 1) * pageSize],
  );
  return { users: rows.slice(0, pageSize).map(toUserRow), hasNext: rows.length > pageSize };
}

export async function findUserForAdmin(db: Database, id: string, now: Date = new Date()): Promise<AdminUserDetail | null> {
  if (!isUuid(id)) return null;
  const rows = await db.sql.query<AdminUserRow & { activeSessions: string | number; liveTokens: string | number }>(
    `SELECT ${USER_COLUMNS},
       (SELECT count(*) FROM "sessions" s WHERE s."user_id" = u."id" AND s."ended_at" IS NULL AND s."expires_at" > $2::timestamptz) AS "activeSessions",
       (SELECT count(*) FROM "tokens" t WHERE t."subject" = u."id"::text AND t."status" = 'valid' AND t."expires_at" > $2::timestamptz
          AND t."kind" IN ('access_token', 'refresh_token')) AS "liveTokens"
       FROM "users" u WHERE u."id" = $1::uuid`,
    [id, now.toISOString()],
  );
  const row = rows[0];
  return row ? { ...toUserRow(row), activeSessions: Number(row.activeSessions), liveTokens: Number(row.liveTokens) } : null;
}

export interface UserProfile {
  username: string;
  /** null: no email address. */
  email: string | null;
  name: string;
  emailVerified: boolean;
}

export type UserConflict = { status: "conflict"; field: "username" | "email" };

/**
 * Which of username / email another user already has. Emails compare
 * case-insensitively, as the sign-in form looks them up.
 */
async function findProfileConflict(tx: Transaction, profile: UserProfile, exceptId: string | null): Promise<UserConflict | null> {
  const rows = await tx.$queryRawUnsafe<{ username: boolean; email: boolean }[]>(
    `SELECT bool_or("username" = $1) AS "username", bool_or($2::text IS NOT NULL AND lower("email") = lower($2)) AS "email"
       FROM "users" WHERE ("username" = $1 OR lower("email") = lower($2)) AND ($3::uuid IS NULL OR "id" <> $3::uuid)`,
    profile.username,
    profile.email,
    exceptId,
  );
  if (rows[0]?.username) return { status: "conflict", field: "username" };
  if (rows[0]?.email) return { status: "conflict", field: "email" };
  return null;
}

/** The unique index caught a concurrent twin that the check above could not see yet. */
function conflictFromError(error: unknown, profile: UserProfile): UserConflict | null {
  if (!isUniqueViolation(error)) return null;
  return { status: "conflict", field: String((error as { meta?: { target?: unknown } }).meta?.target ?? "").includes("email") && profile.email ? "email" : "username" };
}

export async function createUser(
  db: Database,
  input: UserProfile & { passwordHash: string },
): Promise<{ status: "created"; user: AdminUserRow } | UserConflict> {
  try {
    return await db.prisma.$transaction(async (tx) => {
      const conflict = await findProfileConflict(tx, input, null);
      if (conflict) return conflict;
      const row = await tx.user.create({ data: { ...input, roles: [] } });
      return { status: "created", user: toUserRow(row) } as const;
    });
  } catch (error) {
    const conflict = conflictFromError(error, input);
    if (conflict) return conflict;
    throw error;
  }
}

export type CreateAdministratorResult = { status: "created"; user: AdminUserRow } | { status: "invalid_setup_token" } | UserConflict;

/**
 * Creates an administrator, in one transaction with the setup links: with
 * `setupToken` (the /setup page) only if that link is open and no enabled
 * administrator exists yet; with null (the CLI, run by whoever holds the
 * database) unconditionally, closing every open link. A refused profile
 * (username or email taken) rolls back, so the link can be used again.
 */
export async function createAdministrator(
  db: Database,
  input: UserProfile & { passwordHash: string; setupToken: string | null; now?: Date },
): Promise<CreateAdministratorResult> {
  const { setupToken, now = new Date(), ...profile } = input;
  try {
    return await db.prisma.$transaction(async (tx) => {
      const consumed = await consumeSetupTokens(tx, setupToken, now);
      if (setupToken !== null && !consumed) return { status: "invalid_setup_token" } as const;
      const conflict = await findProfileConflict(tx, profile, null);
      if (conflict) throw new ProfileConflict(conflict);
      const row = await tx.user.create({ data: { ...profile, roles: [ADMIN_ROLE] } });
      return { status: "created", user: toUserRow(row) } as const;
    });
  } catch (error) {
    if (error instanceof ProfileConflict) return error.conflict;
    const conflict = conflictFromError(error, profile);
    if (conflict) return conflict;
    throw error;
  }
}

/** Thrown to roll the transaction back (the setup link stays open), answered as the conflict. */
class ProfileConflict extends Error {
  constructor(readonly conflict: UserConflict) {
    super(`conflict on ${conflict.field}`);
  }
}

export async function updateUserProfile(
  db: Database,
  id: string,
  profile: UserProfile,
): Promise<{ status: "updated"; user: AdminUserRow; previous: AdminUserRow } | { status: "not_found" } | UserConflict> {
  if (!isUuid(id)) return { status: "not_found" };
  try {
    return await db.prisma.$transaction(async (tx) => {
      const previous = await tx.user.findUnique({ where: { id } });
      if (!previous) return { status: "not_found" } as const;
      const conflict = await findProfileConflict(tx, profile, id);
      if (conflict) return conflict;
      const row = await tx.user.update({ where: { id }, data: { ...profile } });
      return { status: "updated", user: toUserRow(row), previous: toUserRow(previous) } as const;
    });
  } catch (error) {
    const conflict = conflictFromError(error, profile);
    if (conflict) return conflict;
    throw error;
  }
}

async function endSessionsOf(tx: Transaction, userId: string, now: Date): Promise<number> {
  return tx.$executeRawUnsafe(`UPDATE "sessions" SET "ended_at" = $2::timestamptz WHERE "user_id" = $1::uuid AND "ended_at" IS NULL`, userId, now.toISOString());
}

/**
 * Revokes what the user could still use: every live token whose subject is
 * the user, and the root of every grant those tokens (or their redeemed
 * predecessors) belong to. Revoking the root matters for a refresh that is
 * rotating at this very moment: the token it writes after this commit belongs
 * to a revoked grant, which userinfo, introspection and the refresh grant
 * already refuse (lib/db/tokenRepositories.ts, rotateRefreshToken).
 */
async function revokeTokensOf(tx: Transaction, userId: string, now: Date): Promise<number> {
  return tx.$executeRawUnsafe(
    `UPDATE "tokens" SET "status" = 'revoked'
      WHERE "status" <> 'revoked'
        AND (("subject" = $1 AND "status" = 'valid' AND "expires_at" > $2::timestamptz)
          OR "id" IN (SELECT "grant_id" FROM "tokens" WHERE "subject" = $1 AND "grant_id" IS NOT NULL AND "expires_at" > $2::timestamptz))`,
    userId,
    now.toISOString(),
  );
}

export type AdminRuleRefusal =
  /** An administrator may not disable or demote themself (they would lock themself out). */
  | { status: "self" }
  /** The change would leave no enabled administrator. */
  | { status: "last_admin" }
  | { status: "not_found" };

interface LockedUser {
  id: string;
  username: string;
  enabled: boolean;
  roles: string[];
}

/**
 * Locks the enabled administrators and the target user (FOR UPDATE), then
 * tells whether the target may stop being an enabled administrator. A second
 * transaction doing the same waits here and, once the first commits, sees its
 * change (PostgreSQL re-reads locked rows under READ COMMITTED).
 */
async function checkAdminRules(tx: Transaction, userId: string, actorId: string): Promise<{ user: LockedUser } | AdminRuleRefusal> {
  const admins = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id" FROM "users" WHERE "enabled" AND $1 = ANY("roles") ORDER BY "id" FOR UPDATE`,
    ADMIN_ROLE,
  );
  const rows = await tx.$queryRawUnsafe<LockedUser[]>(
    `SELECT "id", "username", "enabled", "roles" FROM "users" WHERE "id" = $1::uuid FOR UPDATE`,
    userId,
  );
  const user = rows[0];
  if (!user) return { status: "not_found" };
  if (user.id === actorId) return { status: "self" };
  const isEnabledAdmin = admins.some((admin) => admin.id === user.id);
  if (isEnabledAdmin && admins.length <= 1) return { status: "last_admin" };
  return { user };
}

export type DisableUserResult =
  | { status: "disabled"; username: string; sessionsEnded: number; tokensRevoked: number }
  | { status: "already_disabled"; username: string }
  | AdminRuleRefusal;

/**
 * Disables an account in one transaction: enabled = false, every session
 * ended, every live token revoked. The user can no longer sign in, their
 * open browser sessions are signed out on the next request, and their
 * access and refresh tokens are refused everywhere.
 */
export async function disableUser(db: Database, { userId, actorId, now = new Date() }: { userId: string; actorId: string; now?: Date }): Promise<DisableUserResult> {
  if (!isUuid(userId)) return { status: "not_found" };
  return db.prisma.$transaction(async (tx) => {
    const checked = await checkAdminRules(tx, userId, actorId);
    if (!("user" in checked)) return checked;
    const { user } = checked;
    if (!user.enabled) return { status: "already_disabled", username: user.username } as const;
    await tx.$executeRawUnsafe(`UPDATE "users" SET "enabled" = false, "updated_at" = $2::timestamptz WHERE "id" = $1::uuid`, userId, now.toISOString());
    const sessionsEnded = await endSessionsOf(tx, userId, now);
    const tokensRevoked = await revokeTokensOf(tx, userId, now);
    return { status: "disabled", username: user.username, sessionsEnded, tokensRevoked } as const;
  });
}

/** Lets a disabled user sign in again. Their ended sessions and revoked tokens stay so. */
export async function enableUser(
  db: Database,
  userId: string,
  now: Date = new Date(),
): Promise<{ status: "enabled" | "already_enabled"; username: string } | { status: "not_found" }> {
  if (!isUuid(userId)) return { status: "not_found" };
  const enabled = await db.sql.query<{ username: string }>(
    `UPDATE "users" SET "enabled" = true, "updated_at" = $2::timestamptz WHERE "id" = $1::uuid AND NOT "enabled" RETURNING "username"`,
    [userId, now.toISOString()],
  );
  if (enabled[0]) return { status: "enabled", username: enabled[0].username };
  const existing = await db.sql.query<{ username: string }>(`SELECT "username" FROM "users" WHERE "id" = $1::uuid`, [userId]);
  return existing[0] ? { status: "already_enabled", username: existing[0].username } : { status: "not_found" };
}

/**
 * Sets a new password, ends every session of the user and revokes every live
 * token (and grant) of theirs, in one transaction: whoever knew the old
 * password, or holds a session or token obtained with it, is locked out.
 */
export async function resetUserPassword(
  db: Database,
  { userId, passwordHash, now = new Date() }: { userId: string; passwordHash: string; now?: Date },
): Promise<{ status: "reset"; username: string; sessionsEnded: number; tokensRevoked: number } | { status: "not_found" }> {
  if (!isUuid(userId)) return { status: "not_found" };
  return db.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRawUnsafe<{ username: string }[]>(
      `UPDATE "users" SET "password_hash" = $2, "updated_at" = $3::timestamptz WHERE "id" = $1::uuid RETURNING "username"`,
      userId,
      passwordHash,
      now.toISOString(),
    );
    if (!rows[0]) return { status: "not_found" } as const;
    const sessionsEnded = await endSessionsOf(tx, userId, now);
    const tokensRevoked = await revokeTokensOf(tx, userId, now);
    return { status: "reset", username: rows[0].username, sessionsEnded, tokensRevoked } as const;
  });
}

export type AdminRoleResult = { status: "changed"; username: string } | { status: "unchanged"; username: string } | AdminRuleRefusal;

/**
 * Grants or removes the admin role. Removing is refused for the acting admin
 * themself and for the last enabled admin. The role takes effect on the
 * user's next request: the portal reads roles with the session.
 */
export async function setAdminRole(
  db: Database,
  { userId, actorId, admin, now = new Date() }: { userId: string; actorId: string; admin: boolean; now?: Date },
): Promise<AdminRoleResult> {
  if (!isUuid(userId)) return { status: "not_found" };
  return db.prisma.$transaction(async (tx) => {
    let user: LockedUser;
    if (admin) {
      const rows = await tx.$queryRawUnsafe<LockedUser[]>(
        `SELECT "id", "username", "enabled", "roles" FROM "users" WHERE "id" = $1::uuid FOR UPDATE`,
        userId,
      );
      if (!rows[0]) return { status: "not_found" } as const;
      user = rows[0];
    } else {
      const checked = await checkAdminRules(tx, userId, actorId);
      if (!("user" in checked)) return checked;
      user = checked.user;
    }
    const has = (user.roles ?? []).includes(ADMIN_ROLE);
    if (has === admin) return { status: "unchanged", username: user.username } as const;
    const roles = admin ? [...(user.roles ?? []), ADMIN_ROLE] : (user.roles ?? []).filter((role) => role !== ADMIN_ROLE);
    await tx.$executeRawUnsafe(`UPDATE "users" SET "roles" = $2::text[], "updated_at" = $3::timestamptz WHERE "id" = $1::uuid`, userId, roles, now.toISOString());
    return { status: "changed", username: user.username } as const;
  });
}

export type DeleteUserResult = { status: "deleted"; username: string; tokensDeleted: number } | AdminRuleRefusal;

/**
 * Deletes an account in one transaction, under the same rules as disabling it
 * (never oneself, never the last enabled administrator): its tokens (their
 * subject is the user id, which no foreign key follows) and then the user,
 * whose sessions and authorizations go with it (ON DELETE CASCADE). Audit
 * events keep the user id; they name a user who no longer exists.
 */
export async function deleteUser(db: Database, { userId, actorId }: { userId: string; actorId: string }): Promise<DeleteUserResult> {
  if (!isUuid(userId)) return { status: "not_found" };
  return db.prisma.$transaction(async (tx) => {
    const checked = await checkAdminRules(tx, userId, actorId);
    if (!("user" in checked)) return checked;
    const tokensDeleted = await tx.$executeRawUnsafe(`DELETE FROM "tokens" WHERE "subject" = $1`, userId);
    await tx.$executeRawUnsafe(`DELETE FROM "users" WHERE "id" = $1::uuid`, userId);
    return { status: "deleted", username: checked.user.username, tokensDeleted } as const;
  });
}
