// What the metrics read from the database when they are scraped (lib/server/metrics.ts): two small
// statements per scrape, none per request.
import type { SqlExecutor } from "./client";

/** Portal sessions that are neither ended nor expired. */
export async function countActiveSessions(sql: SqlExecutor): Promise<number> {
  const rows = await sql.query<{ count: number | string }>(`SELECT count(*)::int AS "count" FROM "sessions" WHERE "ended_at" IS NULL AND "expires_at" > now()`);
  return Number(rows[0]?.count ?? 0);
}

/** Seconds since the active signing key of each algorithm was created. */
export async function activeSigningKeyAges(sql: SqlExecutor): Promise<{ alg: string; seconds: number }[]> {
  const rows = await sql.query<{ alg: string; seconds: number | string }>(
    `SELECT "alg", extract(epoch FROM now() - max("created_at"))::float8 AS "seconds" FROM "signing_keys" WHERE "status" = 'active' GROUP BY "alg"`,
  );
  return rows.map((row) => ({ alg: row.alg, seconds: Number(row.seconds) }));
}
