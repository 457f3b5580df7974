// `backup FILE`, `restore FILE`, `migrate-to-postgres` (issue #13 item 8; docs/decisions/0022-backup-restore.md):
// a logical copy of every Gatehouse table, the same on PGlite and PostgreSQL, read in one snapshot and
// restored in one transaction. The file format is lib/db/backupFormat.ts.
import type { KeyEncryption } from "../oauth/keyEncryption";
import { BackupFormatError, BackupWriter, readBackup, type BackupHeader, type BackupMigration, type BackupSummary } from "./backupFormat";
import type { Database } from "./client";
import { applyMigrations, withStartupLock, type Migration, type SqlSession } from "./migrate";

/**
 * Every table of the schema but gatehouse_migrations (the header carries that), parents before the
 * tables whose foreign keys point at them, so that rows insert in this order. A unit test compares it
 * with the tables the migrations create: a new table must be added here.
 */
export const BACKUP_TABLES = [
  "applications",
  "scopes",
  "users",
  "signing_keys",
  "authorizations",
  "tokens",
  "audit_events",
  "webhook_deliveries",
  "sessions",
  "interactions",
  "sign_in_limits",
  "known_sign_in_addresses",
  "setup_tokens",
] as const;

/** Rows fetched from the cursor per round trip while backing up. */
const BACKUP_BATCH_ROWS = 1000;

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function columnsOf(session: SqlSession, table: string): Promise<string[]> {
  const { rows } = await session.query(
    `SELECT "column_name" FROM information_schema.columns WHERE "table_schema" = current_schema() AND "table_name" = $1 ORDER BY "ordinal_position"`,
    [table],
  );
  return rows.map((row) => String(row.column_name));
}

async function tablesOf(session: SqlSession): Promise<string[]> {
  const { rows } = await session.query(
    `SELECT "table_name" FROM information_schema.tables WHERE "table_schema" = current_schema() AND "table_type" = 'BASE TABLE' AND "table_name" <> 'gatehouse_migrations'`,
  );
  return rows.map((row) => String(row.table_name));
}

/** A table the database has that BACKUP_TABLES does not know would be left out of the copy: refuse instead. */
function checkKnownTables(present: string[]): void {
  const unknown = present.filter((table) => !(BACKUP_TABLES as readonly string[]).includes(table));
  if (unknown.length) throw new Error(`The database has tables this build does not back up (${unknown.join(", ")}): use the Gatehouse version that made them.`);
}

export interface BackupReport {
  tables: { name: string; rows: number }[];
  rows: number;
  signingKeys: number;
  migrations: number;
}

/**
 * Writes every table to `file` from one read-only REPEATABLE READ transaction: one snapshot, so the
 * copy is consistent while servers on PostgreSQL keep writing.
 */
export async function createBackup(db: Database, file: string): Promise<BackupReport> {
  return db.withSqlSession(async (session) => {
    const writer = new BackupWriter(file);
    await session.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      const present = await tablesOf(session);
      checkKnownTables(present);
      if (!present.includes("signing_keys")) throw new Error("The database has no Gatehouse tables: start Gatehouse (or run migrate) on it first.");
      const { rows: migrationRows } = await session.query(`SELECT "name", "checksum" FROM "gatehouse_migrations" ORDER BY "name"`);
      const migrations: BackupMigration[] = migrationRows.map((row) => ({ name: String(row.name), checksum: String(row.checksum) }));
      const tables = BACKUP_TABLES.filter((table) => present.includes(table));
      const counts: { name: string; rows: number }[] = [];
      for (const table of tables) {
        const { rows } = await session.query(`SELECT count(*)::int AS "n" FROM ${quoted(table)}`);
        counts.push({ name: table, rows: Number(rows[0]!.n) });
      }
      const header: BackupHeader = { format: "gatehouse-backup", version: 1, createdAt: new Date().toISOString(), source: db.kind, migrations, tables: counts };
      await writer.header(header);
      for (const { name: table, rows: count } of counts) {
        await writer.beginTable(table, await columnsOf(session, table), count);
        // PostgreSQL writes each row's JSON itself: exact for every column type, and restored by its inverse.
        // A cursor in the snapshot: a large audit log streams through in batches instead of filling memory.
        await session.exec(`DECLARE "backup_rows" NO SCROLL CURSOR FOR SELECT to_jsonb(t)::text AS "row" FROM ${quoted(table)} AS t`);
        let written = 0;
        for (;;) {
          const { rows } = await session.query(`FETCH ${BACKUP_BATCH_ROWS} FROM "backup_rows"`);
          if (rows.length === 0) break;
          written += rows.length;
          if (written > count) break; // cannot happen in one snapshot; the check below says so if it did
          await writer.rows(table, rows.map((row) => String(row.row)));
        }
        await session.exec(`CLOSE "backup_rows"`);
        if (written !== count) throw new Error(`${table}: counted ${count} rows, read ${written} in the same snapshot.`);
      }
      await session.exec("COMMIT");
      await writer.finish();
      return {
        tables: counts,
        rows: counts.reduce((sum, table) => sum + table.rows, 0),
        signingKeys: counts.find((table) => table.name === "signing_keys")?.rows ?? 0,
        migrations: migrations.length,
      };
    } catch (error) {
      await session.exec("ROLLBACK").catch(() => undefined);
      await writer.abort();
      throw error;
    }
  });
}

/** A restore refused before anything was written: a usage problem, not a failure of the database. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreRefusedError";
  }
}

/**
 * The backup's migrations must be ones this build ships, unchanged: a backup from a newer Gatehouse
 * (a migration this build does not know) would lose what that migration added.
 */
export function checkBackupMigrations(backup: BackupMigration[], shipped: Migration[]): Migration[] {
  const byName = new Map(shipped.map((migration) => [migration.name, migration]));
  const unknown = backup.filter((migration) => !byName.has(migration.name));
  if (unknown.length) {
    throw new RestoreRefusedError(
      `The backup was made by a newer Gatehouse: its migration${unknown.length > 1 ? "s" : ""} ${unknown.map((m) => m.name).join(", ")} ` +
        `${unknown.length > 1 ? "are" : "is"} not in this build. Restore it with that version (or newer).`,
    );
  }
  const changed = backup.filter((migration) => byName.get(migration.name)!.checksum !== migration.checksum);
  if (changed.length) throw new RestoreRefusedError(`The backup's migration ${changed[0]!.name} differs from this build's: it comes from a different Gatehouse.`);
  const names = new Set(backup.map((migration) => migration.name));
  return shipped.filter((migration) => names.has(migration.name));
}

export interface RestoreOptions {
  /** Every migration this build ships (loadMigrations). */
  migrations: Migration[];
  /** Empty the target first (in the restoring transaction) instead of refusing a target that holds rows. */
  force: boolean;
  /** The secret the restored instance will run with: every restored signing key must decrypt under it. */
  encryption: KeyEncryption | null;
}

export interface RestoreReport {
  rows: number;
  tables: { name: string; rows: number }[];
  signingKeys: number;
  emptied: boolean;
}

/** Reads the whole file once (checks only): a corrupt or cut-short backup is refused before the database is touched. */
export async function checkBackupFile(file: string, migrations: Migration[]): Promise<{ summary: BackupSummary; backupMigrations: Migration[] }> {
  const summary = await readBackup(file);
  const unknownTables = summary.tables.filter((table) => !(BACKUP_TABLES as readonly string[]).includes(table.name));
  if (unknownTables.length) throw new BackupFormatError(file, `it holds tables this build does not know (${unknownTables.map((t) => t.name).join(", ")})`);
  return { summary, backupMigrations: checkBackupMigrations(summary.header.migrations, migrations) };
}

async function rowCounts(session: SqlSession, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of tables) {
    const { rows } = await session.query(`SELECT count(*)::int AS "n" FROM ${quoted(table)}`);
    counts.set(table, Number(rows[0]!.n));
  }
  return counts;
}

/** Every restored signing key decrypts with the configured secret, or the transaction is rolled back. */
async function checkKeysDecrypt(session: SqlSession, encryption: KeyEncryption | null): Promise<number> {
  const { rows } = await session.query(`SELECT "kid", "private_key_encrypted" FROM "signing_keys"`);
  if (rows.length === 0) return 0;
  if (!encryption) {
    throw new RestoreRefusedError(
      "The backup's signing keys are encrypted with the secret of the Gatehouse that made it: set GATEHOUSE_SECRET to that secret " +
        "(its GATEHOUSE_SECRET, or the contents of its data/secret.key) and run restore again. Nothing was restored.",
    );
  }
  for (const row of rows) {
    try {
      encryption.decrypt(String(row.private_key_encrypted), String(row.kid));
    } catch {
      throw new RestoreRefusedError(
        `Signing key ${String(row.kid)} does not decrypt with this GATEHOUSE_SECRET: set the secret of the Gatehouse that made the backup ` +
          "(its GATEHOUSE_SECRET, or the contents of its data/secret.key) and run restore again. Nothing was restored.",
      );
    }
  }
  return rows.length;
}

/**
 * Restores a backup checked by checkBackupFile, under the startup lock (a server starting meanwhile
 * waits): the backup's migrations are applied first, then, in ONE transaction, the target is checked
 * empty (or emptied with --force), every row inserted, the keys checked against the secret; then the
 * rest of this build's migrations. Any failure rolls the rows back: all or nothing.
 */
export async function restoreBackup(db: Database, file: string, backupMigrations: Migration[], options: RestoreOptions): Promise<RestoreReport> {
  return db.withSqlSession((session) =>
    withStartupLock(session, async () => {
      await applyMigrations(session, backupMigrations);
      await session.exec("BEGIN");
      let report: RestoreReport;
      try {
        const present = await tablesOf(session);
        checkKnownTables(present);
        // A backup older than this build may come before some table existed: only the tables there are now.
        const tables = BACKUP_TABLES.filter((table) => present.includes(table));
        const before = await rowCounts(session, tables);
        const occupied = [...before].filter(([, rows]) => rows > 0);
        if (occupied.length && !options.force) {
          throw new RestoreRefusedError(
            `The target database is not empty (${occupied.map(([table, rows]) => `${table}: ${rows}`).join(", ")}). ` +
              "Restore into a new database, or pass --force to delete everything in it first (in the same transaction as the restore).",
          );
        }
        if (occupied.length) await session.exec(`TRUNCATE ${tables.map(quoted).join(", ")}`);
        const summary = await readBackup(file, async ({ name, columns, rows }) => {
          const list = columns.map(quoted).join(", ");
          // jsonb_populate_recordset is to_jsonb's inverse: each value gets its column's type back.
          await session.query(
            `INSERT INTO ${quoted(name)} (${list}) SELECT ${list} FROM jsonb_populate_recordset(NULL::${quoted(name)}, $1::jsonb)`,
            [`[${rows.join(",")}]`],
          );
        });
        const after = await rowCounts(session, tables);
        for (const table of summary.tables) {
          if (after.get(table.name) !== table.rows) throw new Error(`Restoring ${table.name} gave ${after.get(table.name)} rows, the backup has ${table.rows}.`);
        }
        const signingKeys = await checkKeysDecrypt(session, options.encryption);
        await session.exec("COMMIT");
        report = { rows: summary.rows, tables: summary.tables.map(({ name, rows }) => ({ name, rows })), signingKeys, emptied: occupied.length > 0 };
      } catch (error) {
        await session.exec("ROLLBACK").catch(() => undefined);
        throw error;
      }
      await applyMigrations(session, options.migrations);
      return report;
    }),
  );
}
