// The numbers on the dashboard's overview page, in one statement.
import type { SqlExecutor } from "./client";

export interface PortalOverview {
  clients: number;
  disabledClients: number;
  scopes: number;
  users: number;
  disabledUsers: number;
  activeSessions: number;
  liveTokens: number;
  signInFailures24h: number;
}

export async function readPortalOverview(sql: SqlExecutor, now: Date = new Date()): Promise<PortalOverview> {
  const at = now.toISOString();
  const rows = await sql.query<Record<keyof PortalOverview, string | number>>(
    `SELECT
       (SELECT count(*) FROM "applications") AS "clients",
       (SELECT count(*) FROM "applications" WHERE NOT "enabled") AS "disabledClients",
       (SELECT count(*) FROM "scopes") AS "scopes",
       (SELECT count(*) FROM "users") AS "users",
       (SELECT count(*) FROM "users" WHERE NOT "enabled") AS "disabledUsers",
       (SELECT count(*) FROM "sessions" WHERE "ended_at" IS NULL AND "expires_at" > $1::timestamptz) AS "activeSessions",
       (SELECT count(*) FROM "tokens" WHERE "status" = 'valid' AND "expires_at" > $1::timestamptz
          AND "kind" IN ('access_token', 'refresh_token')) AS "liveTokens",
       (SELECT count(*) FROM "audit_events" WHERE "kind" = 'signin.failed' AND "at" > $1::timestamptz - interval '1 day') AS "signInFailures24h"`,
    [at],
  );
  const row = rows[0]!;
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)])) as unknown as PortalOverview;
}
