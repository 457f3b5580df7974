// Applies prisma/migrations/*/migration.sql in order. `prisma migrate deploy`
// cannot run through driver adapters on PostgreSQL (Prisma bug 27403), so this
// small step does it: one advisory lock so that concurrent starts queue up, a
// table of applied migrations with checksums, and one transaction each.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface SqlSession {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Runs several statements at once (no parameters). */
  exec(sql: string): Promise<void>;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/** Key of the advisory lock held while migrating and bootstrapping. */
export const STARTUP_LOCK_KEY = 7_301_947_221;

export function loadMigrations(migrationsDir: string): Migration[] {
  if (!fs.existsSync(migrationsDir)) {
    throw new Error(`No migrations directory at ${migrationsDir}.`);
  }
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(migrationsDir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export class MigrationChecksumError extends Error {
  constructor(name: string) {
    super(
      `Migration ${name} was changed after it had been applied to this database. ` +
        `Applied migrations are immutable: add a new migration instead.`,
    );
    this.name = "MigrationChecksumError";
  }
}

/** Holds the startup advisory lock around `work`; other processes wait. */
export async function withStartupLock<T>(session: SqlSession, work: () => Promise<T>): Promise<T> {
  await session.query("SELECT pg_advisory_lock($1)", [STARTUP_LOCK_KEY]);
  try {
    return await work();
  } finally {
    await session.query("SELECT pg_advisory_unlock($1)", [STARTUP_LOCK_KEY]);
  }
}

/** Applies pending migrations. The caller holds the startup lock. */
export async function applyMigrations(session: SqlSession, migrations: Migration[]): Promise<MigrationResult> {
  await session.exec(`CREATE TABLE IF NOT EXISTS "gatehouse_migrations" (
    "name" TEXT PRIMARY KEY,
    "checksum" TEXT NOT NULL,
    "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now()
  )`);
  const { rows } = await session.query(`SELECT "name", "checksum" FROM "gatehouse_migrations"`);
  const applied = new Map(rows.map((row) => [String(row.name), String(row.checksum)]));
  const result: MigrationResult = { applied: [], alreadyApplied: 0 };
  for (const migration of migrations) {
    const checksum = applied.get(migration.name);
    if (checksum !== undefined) {
      if (checksum !== migration.checksum) throw new MigrationChecksumError(migration.name);
      result.alreadyApplied++;
      continue;
    }
    await session.exec("BEGIN");
    try {
      await session.exec(migration.sql);
      await session.query(`INSERT INTO "gatehouse_migrations" ("name", "checksum") VALUES ($1, $2)`, [
        migration.name,
        migration.checksum,
      ]);
      await session.exec("COMMIT");
    } catch (error) {
      await session.exec("ROLLBACK");
      throw new Error(`Migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
        cause: error,
      });
    }
    result.applied.push(migration.name);
  }
  return result;
}
