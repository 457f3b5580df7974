import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, loadMigrations, MigrationChecksumError, withStartupLock, type SqlSession } from "@/lib/db/migrate";

const MIGRATIONS_DIR = path.resolve(__dirname, "../../prisma/migrations");

function session(db: PGlite): SqlSession {
  return {
    query: async (sql, params) => ({ rows: (await db.query(sql, params as unknown[])).rows as Record<string, unknown>[] }),
    exec: async (sql) => {
      await db.exec(sql);
    },
  };
}

async function tableNames(db: PGlite): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

let tmp: string;
// One in-memory database for the file: starting PGlite is the slow part.
let db: PGlite;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-migrations-"));
  db = new PGlite();
  await db.waitReady;
}, 60_000);
afterAll(async () => {
  await db?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function writeMigrations(name: string, migrations: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [migration, sql] of Object.entries(migrations)) {
    fs.mkdirSync(path.join(dir, migration), { recursive: true });
    fs.writeFileSync(path.join(dir, migration, "migration.sql"), sql);
  }
  return dir;
}

describe("loadMigrations", () => {
  it("reads the directories in name order with a SHA-256 checksum", () => {
    const dir = writeMigrations("ordering", {
      "20260102000000_second": "SELECT 2;",
      "20260101000000_first": "SELECT 1;",
    });
    fs.writeFileSync(path.join(dir, "migration_lock.toml"), 'provider = "postgresql"\n');
    const migrations = loadMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual(["20260101000000_first", "20260102000000_second"]);
    expect(migrations[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(migrations[0]!.checksum).not.toBe(migrations[1]!.checksum);
  });

  it("a missing directory is a clear error", () => {
    expect(() => loadMigrations(path.join(tmp, "nope"))).toThrow(/No migrations directory/);
  });
});

describe("applyMigrations with the real prisma/migrations (PGlite in memory)", () => {

  it("applies every migration, then re-applying is a no-op", async () => {
    const migrations = loadMigrations(MIGRATIONS_DIR);
    expect(migrations.length).toBeGreaterThan(0);

    const first = await withStartupLock(session(db), () => applyMigrations(session(db), migrations));
    expect(first.applied).toEqual(migrations.map((m) => m.name));
    expect(first.alreadyApplied).toBe(0);
    const tables = await tableNames(db);
    for (const table of ["applications", "scopes", "tokens", "signing_keys", "gatehouse_migrations"]) expect(tables).toContain(table);

    const { rows } = await db.query<{ name: string; checksum: string }>('SELECT name, checksum FROM "gatehouse_migrations" ORDER BY name');
    expect(rows).toEqual(migrations.map((m) => ({ name: m.name, checksum: m.checksum })));

    const second = await applyMigrations(session(db), loadMigrations(MIGRATIONS_DIR));
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(migrations.length);
    expect(await tableNames(db)).toEqual(tables);
  });

  it("a migration changed after it was applied throws MigrationChecksumError", async () => {
    const migrations = loadMigrations(MIGRATIONS_DIR);
    const changed = migrations.map((m, i) => (i === 0 ? { ...m, sql: m.sql + "\n-- edited", checksum: "0".repeat(64) } : m));
    const error = await applyMigrations(session(db), changed).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MigrationChecksumError);
    expect((error as Error).message).toContain(migrations[0]!.name);
  });

  it("the startup lock is released afterwards, also when the work fails", async () => {
    await expect(withStartupLock(session(db), async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const { rows } = await db.query<{ count: number }>("SELECT count(*)::int AS count FROM pg_locks WHERE locktype = 'advisory'");
    expect(rows[0]!.count).toBe(0);
  });
});

describe("a failing migration", () => {
  it("rolls back completely, records nothing, and keeps earlier migrations", async () => {
    const dir = writeMigrations("broken", {
      "001_good": 'CREATE TABLE "good" ("id" INT PRIMARY KEY);',
      "002_broken": 'CREATE TABLE "partial" ("id" INT PRIMARY KEY);\nINSERT INTO "good" VALUES (1);\nSELECT * FROM "no_such_table";',
      "003_later": 'CREATE TABLE "later" ("id" INT);',
    });
    const error = await applyMigrations(session(db), loadMigrations(dir)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/002_broken failed and was rolled back/);
    expect((error as Error).message).toContain("no_such_table");

    const tables = await tableNames(db);
    expect(tables).toContain("good");
    expect(tables).not.toContain("partial");
    expect(tables).not.toContain("later");
    expect((await db.query('SELECT * FROM "good"')).rows).toEqual([]);
    const { rows } = await db.query<{ name: string }>(`SELECT name FROM "gatehouse_migrations" WHERE name LIKE '00%' ORDER BY name`);
    expect(rows.map((row) => row.name)).toEqual(["001_good"]);

    // The session is usable again (no transaction left open), and a fixed migration applies.
    fs.writeFileSync(path.join(dir, "002_broken", "migration.sql"), 'CREATE TABLE "partial" ("id" INT PRIMARY KEY);');
    const retry = await applyMigrations(session(db), loadMigrations(dir));
    expect(retry).toEqual({ applied: ["002_broken", "003_later"], alreadyApplied: 1 });
    expect(await tableNames(db)).toEqual(expect.arrayContaining(["good", "partial", "later"]));
  });

  it("a migration and its record commit together: if recording fails, the migration's tables go too", async () => {
    // The migration inserts its own record, so the runner's INSERT hits the primary key afterwards.
    const dir = writeMigrations("record-fails", {
      "010_records_itself":
        'CREATE TABLE "orphan" ("id" INT);\nINSERT INTO "gatehouse_migrations" ("name", "checksum") VALUES (\'010_records_itself\', \'x\');',
    });
    const error = await applyMigrations(session(db), loadMigrations(dir)).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/010_records_itself failed and was rolled back/);
    expect(await tableNames(db)).not.toContain("orphan");
    const { rows } = await db.query(`SELECT name FROM "gatehouse_migrations" WHERE name = '010_records_itself'`);
    expect(rows).toEqual([]);
  });
});
