// One-time setup links (/setup?token=…) that create the first administrator
// of a database without one, so a production install never needs a default
// password. The token is 256 random bits; only its SHA-256 is stored. Every
// start without an administrator adds a fresh link valid for an hour; using
// any link (or creating an administrator with the CLI) consumes all open ones,
// in one statement, so a second or concurrent use fails.
import { randomUUID } from "node:crypto";
import { hashOpaqueValue, randomTokenValue } from "../oauth/secrets";
import type { SqlExecutor } from "./client";

export const SETUP_TOKEN_LIFETIME_SECONDS = 3600;
/** Same value as ADMIN_ROLE in lib/db/userAdmin.ts (which imports this module). */
const ADMIN_ROLE = "admin";

/** What the consuming statement needs: the raw query of a Prisma transaction. */
export interface RawQueryRunner {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Whether some enabled user holds the admin role. */
export async function hasEnabledAdministrator(sql: SqlExecutor): Promise<boolean> {
  const rows = await sql.query<{ exists: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM "users" WHERE "enabled" AND $1 = ANY("roles")) AS "exists"`,
    [ADMIN_ROLE],
  );
  return rows[0]?.exists === true;
}

/**
 * A new setup token when the database has no enabled administrator (null
 * otherwise), in one statement; expired and consumed rows are dropped first.
 */
export async function issueSetupToken(sql: SqlExecutor, now: Date = new Date()): Promise<{ token: string; expiresAt: Date } | null> {
  await sql.query(`DELETE FROM "setup_tokens" WHERE "consumed_at" IS NOT NULL OR "expires_at" <= $1::timestamptz`, [now.toISOString()]);
  const token = randomTokenValue(32);
  const expiresAt = new Date(now.getTime() + SETUP_TOKEN_LIFETIME_SECONDS * 1000);
  const rows = await sql.query<{ id: string }>(
    `INSERT INTO "setup_tokens" ("id", "token_hash", "created_at", "expires_at")
     SELECT $1::uuid, $2, $3::timestamptz, $4::timestamptz
      WHERE NOT EXISTS (SELECT 1 FROM "users" WHERE "enabled" AND $5 = ANY("roles"))
     RETURNING "id"`,
    [randomUUID(), hashOpaqueValue(token), now.toISOString(), expiresAt.toISOString(), ADMIN_ROLE],
  );
  return rows[0] ? { token, expiresAt } : null;
}

/** Whether `token` would be accepted now (for showing the form; the use itself is checked again atomically). */
export async function isSetupTokenUsable(sql: SqlExecutor, token: string, now: Date = new Date()): Promise<boolean> {
  if (!isSetupTokenShaped(token)) return false;
  const rows = await sql.query<{ usable: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM "setup_tokens" WHERE "token_hash" = $1 AND "consumed_at" IS NULL AND "expires_at" > $2::timestamptz
     ) AND NOT EXISTS (SELECT 1 FROM "users" WHERE "enabled" AND $3 = ANY("roles")) AS "usable"`,
    [hashOpaqueValue(token), now.toISOString(), ADMIN_ROLE],
  );
  return rows[0]?.usable === true;
}

/** 32 bytes in base64url: anything else is refused before a query. */
export function isSetupTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

/**
 * Consumes the open setup tokens, in one statement: with `token`, only if it
 * is open, unexpired, and no enabled administrator exists (then every other
 * open token is consumed with it); with null (the CLI made an administrator),
 * all of them unconditionally. True when `token` was consumed.
 *
 * Two concurrent uses: the second waits on the rows the first updated and,
 * once that commits, finds them consumed (PostgreSQL re-checks the WHERE
 * clause on the new row version), so it consumes nothing and fails.
 */
export async function consumeSetupTokens(tx: RawQueryRunner, token: string | null, now: Date = new Date()): Promise<boolean> {
  if (token === null) {
    await tx.$queryRawUnsafe(`UPDATE "setup_tokens" SET "consumed_at" = $1::timestamptz WHERE "consumed_at" IS NULL RETURNING "id"`, now.toISOString());
    return false;
  }
  if (!isSetupTokenShaped(token)) return false;
  const tokenHash = hashOpaqueValue(token);
  const rows = await tx.$queryRawUnsafe<{ token_hash: string }[]>(
    `UPDATE "setup_tokens" SET "consumed_at" = $2::timestamptz
      WHERE "consumed_at" IS NULL
        AND EXISTS (SELECT 1 FROM "setup_tokens" t WHERE t."token_hash" = $1 AND t."consumed_at" IS NULL AND t."expires_at" > $2::timestamptz)
        AND NOT EXISTS (SELECT 1 FROM "users" WHERE "enabled" AND $3 = ANY("roles"))
      RETURNING "token_hash"`,
    tokenHash,
    now.toISOString(),
    ADMIN_ROLE,
  );
  return rows.some((row) => row.token_hash === tokenHash);
}
