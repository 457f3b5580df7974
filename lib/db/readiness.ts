// What /readyz asks the database (lib/server/health.ts; decision 0017): does it
// answer, and are the migrations this build ships all applied. One cheap
// statement each; the driver's own error goes to the server's log (as `cause`),
// not to whoever probes.
import type { SqlExecutor } from "./client";

export type DatabaseVerdict = { ok: true } | { ok: false; detail: string; cause?: unknown };

/** The database answers a trivial statement. */
export async function checkDatabaseAnswers(sql: SqlExecutor): Promise<DatabaseVerdict> {
  try {
    await sql.query("SELECT 1");
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: "the database did not answer (see the server's log)", cause: error };
  }
}

/** Every migration in `shipped` (prisma/migrations, read at start) is recorded as applied. */
export async function checkMigrationsApplied(sql: SqlExecutor, shipped: readonly string[]): Promise<DatabaseVerdict> {
  let applied: Set<string>;
  try {
    const rows = await sql.query<{ name: string }>(`SELECT "name" FROM "gatehouse_migrations"`);
    applied = new Set(rows.map((row) => row.name));
  } catch (error) {
    return { ok: false, detail: "could not read the applied migrations (see the server's log)", cause: error };
  }
  const pending = shipped.filter((name) => !applied.has(name));
  if (pending.length > 0) return { ok: false, detail: `not applied: ${pending.join(", ")}` };
  return { ok: true };
}
