// The backup file format (lib/db/backupFormat.ts) and the snapshot/restore of lib/db/backup.ts on each
// backend (docs/decisions/0022-backup-restore.md).
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BACKUP_TABLES, checkBackupFile, checkBackupMigrations, createBackup, restoreBackup, RestoreRefusedError } from "@/lib/db/backup";
import { BackupFormatError, BackupWriter, readBackup, type BackupHeader, type TableRows } from "@/lib/db/backupFormat";
import type { Database } from "@/lib/db/client";
import { loadMigrations } from "@/lib/db/migrate";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { describeEachBackend, openBackend, POSTGRES_REACHABLE } from "../helpers/backends";
import { isCI } from "../helpers/faults";
import { PROJECT_ROOT } from "../helpers/server";
import { TEST_SECRET } from "./fakes";

const MIGRATIONS = loadMigrations(path.join(PROJECT_ROOT, "prisma/migrations"));

let directory: string;
beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-backup-"));
});
afterEach(() => {
  fs.rmSync(directory, { recursive: true, force: true });
});

const header = (tables: { name: string; rows: number }[]): BackupHeader => ({
  format: "gatehouse-backup",
  version: 1,
  createdAt: new Date().toISOString(),
  source: "pglite",
  migrations: [{ name: "20261126000000_init", checksum: "abc" }],
  tables,
});

async function writeSample(file: string): Promise<void> {
  const writer = new BackupWriter(file);
  await writer.header(header([{ name: "scopes", rows: 2 }, { name: "users", rows: 1 }]));
  await writer.table({ name: "scopes", columns: ["id", "name"], rows: ['{"id": "1", "name": "a"}', '{"id": "2", "name": "b"}'] });
  await writer.table({ name: "users", columns: ["id", "expire"], rows: ['{"id": "3", "expire": 9007199254740993}'] });
  await writer.finish();
}

/** The uncompressed lines of a backup file, and a way to write altered ones back. */
const linesOf = (file: string) => gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n").slice(0, -1);
const writeLines = (file: string, lines: string[]) => fs.writeFileSync(file, gzipSync(`${lines.join("\n")}\n`));

describe("backup file format", () => {
  it("round-trips: the header, each table's columns and rows as written (row text untouched), in order", async () => {
    const file = path.join(directory, "backup.gz");
    await writeSample(file);
    const seen: TableRows[] = [];
    const summary = await readBackup(file, async (chunk) => void seen.push(chunk));
    expect(summary.rows).toBe(3);
    expect(summary.header.tables).toEqual([{ name: "scopes", rows: 2 }, { name: "users", rows: 1 }]);
    expect(seen).toEqual([
      { name: "scopes", columns: ["id", "name"], rows: ['{"id": "1", "name": "a"}', '{"id": "2", "name": "b"}'] },
      // A bigint beyond 2^53 keeps every digit: rows are never parsed into JavaScript numbers.
      { name: "users", columns: ["id", "expire"], rows: ['{"id": "3", "expire": 9007199254740993}'] },
    ]);
  });

  it("hands rows on in chunks of the size asked for", async () => {
    const file = path.join(directory, "backup.gz");
    await writeSample(file);
    const sizes: number[] = [];
    await readBackup(file, async (chunk) => void sizes.push(chunk.rows.length), 1);
    expect(sizes).toEqual([1, 1, 1]);
  });

  it("is written owner-only, and no FILE.tmp is left behind", async () => {
    const file = path.join(directory, "backup.gz");
    await writeSample(file);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  it("an aborted write leaves the previous FILE as it was and no FILE.tmp", async () => {
    const file = path.join(directory, "backup.gz");
    fs.writeFileSync(file, "previous");
    const writer = new BackupWriter(file);
    await writer.header(header([{ name: "scopes", rows: 1 }]));
    await writer.abort();
    expect(fs.readFileSync(file, "utf8")).toBe("previous");
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
  });

  const refusals: [string, (file: string) => void, RegExp][] = [
    ["a file cut short (gzip stream ends early)", (file) => fs.writeFileSync(file, fs.readFileSync(file).subarray(0, -20)), /cannot be read|cut short/],
    ["a file without its end marker", (file) => writeLines(file, linesOf(file).slice(0, -1)), /end marker is missing/],
    ["a row changed after writing", (file) => writeLines(file, linesOf(file).map((line) => line.replace('"a"', '"z"'))), /checksum/],
    ["a row removed", (file) => writeLines(file, linesOf(file).filter((line) => !line.includes('"2"'))), /1 of its 2 rows|does not list/],
    ["a line after the end marker", (file) => writeLines(file, [...linesOf(file), "{}"]), /follows the end marker/],
    ["another format version", (file) => writeLines(file, linesOf(file).map((line, i) => (i === 0 ? line.replace('"version":1', '"version":2') : line))), /format version 2/],
    ["a row that is not JSON", (file) => writeLines(file, linesOf(file).map((line) => line.replace('{"id": "3"', '{"id": 3,,'))), /not JSON/],
    ["a row with a column its table does not list", (file) => writeLines(file, linesOf(file).map((line) => line.replace('"name": "b"', '"other": "b"'))), /column other/],
    [
      "a byte flipped inside the compressed data",
      (file) => {
        const bytes = fs.readFileSync(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
        fs.writeFileSync(file, bytes);
      },
      /cannot be read|not JSON|checksum|rows|column/,
    ],
    ["not gzip at all", (file) => fs.writeFileSync(file, "hello"), /cannot be read/],
    ["an empty file", (file) => fs.writeFileSync(file, gzipSync("")), /empty/],
  ];
  for (const [what, spoil, message] of refusals) {
    it(`refuses ${what}`, async () => {
      const file = path.join(directory, "backup.gz");
      await writeSample(file);
      spoil(file);
      const seen: string[] = [];
      const read = readBackup(file, async (chunk) => void seen.push(chunk.name));
      await expect(read).rejects.toThrow(BackupFormatError);
      await expect(readBackup(file)).rejects.toThrow(message);
    });
  }

  it("refuses a missing file", async () => {
    await expect(readBackup(path.join(directory, "absent.gz"))).rejects.toThrow(/no such file/);
  });
});

describe("checkBackupMigrations", () => {
  it("accepts a backup made by this build or an older one, and names the migrations it was made at", () => {
    const older = MIGRATIONS.slice(0, 3).map(({ name, checksum }) => ({ name, checksum }));
    expect(checkBackupMigrations(older, MIGRATIONS).map((m) => m.name)).toEqual(MIGRATIONS.slice(0, 3).map((m) => m.name));
  });

  it("refuses a backup made by a newer Gatehouse (a migration this build does not ship)", () => {
    const newer = [...MIGRATIONS.map(({ name, checksum }) => ({ name, checksum })), { name: "29991231000000_future", checksum: "f" }];
    expect(() => checkBackupMigrations(newer, MIGRATIONS)).toThrow(/newer Gatehouse: its migration 29991231000000_future is not in this build/);
  });

  it("refuses a backup whose migration differs from this build's", () => {
    const changed = MIGRATIONS.map(({ name }) => ({ name, checksum: "0" }));
    expect(() => checkBackupMigrations(changed, MIGRATIONS)).toThrow(RestoreRefusedError);
  });
});

const tableNames = async (db: Database) =>
  (
    await db.sql.query<{ name: string }>(
      `SELECT "table_name" AS "name" FROM information_schema.tables WHERE "table_schema" = current_schema() AND "table_type" = 'BASE TABLE' ORDER BY 1`,
    )
  ).map((row) => row.name);

/** Every row of every table as PostgreSQL's JSON of it, sorted: equal on two databases means equal contents. */
async function contents(db: Database): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const table of BACKUP_TABLES) {
    const rows = await db.sql.query<{ row: string }>(`SELECT to_jsonb(t)::text AS "row" FROM "${table}" AS t ORDER BY 1`);
    result[table] = rows.map((row) => row.row);
  }
  return result;
}

/**
 * contents() comparable across backends: timestamps written in UTC (to_jsonb writes them in the session's
 * time zone, which may differ between the two), rows sorted here (the two may collate text differently).
 */
async function contentsInUtc(db: Database): Promise<Record<string, string[]>> {
  return db.withSqlSession(async (session) => {
    await session.exec("BEGIN; SET LOCAL TIME ZONE 'UTC'");
    try {
      const result: Record<string, string[]> = {};
      for (const table of BACKUP_TABLES) {
        const { rows } = await session.query(`SELECT to_jsonb(t)::text AS "row" FROM "${table}" AS t`);
        result[table] = rows.map((row) => String(row.row)).sort();
      }
      return result;
    } finally {
      await session.exec("ROLLBACK");
    }
  });
}

/** Rows with the awkward types: arrays with quotes and commas, json, timestamptz, a bigint beyond 2^53, an encrypted key; and many audit rows. */
async function seed(db: Database): Promise<void> {
  const applicationId = randomUUID();
  const userId = randomUUID();
  const kid = `kid-${randomUUID()}`;
  const q = (text: string, params: unknown[]) => db.sql.query(text, params);
  await q(
    `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "redirect_uris", "permissions", "updated_at") VALUES ($1, 'app', 'App "one", ok', 'public', $2, $3, now())`,
    [applicationId, ['https://a.example/cb?x="1",y', "https://b.example/{}"], ["ept:token"]],
  );
  await q(`INSERT INTO "users" ("id", "username", "roles", "updated_at") VALUES ($1, 'alice', '{admin}', now())`, [userId]);
  await q(`INSERT INTO "signing_keys" ("id", "kid", "alg", "public_jwk", "private_key_encrypted") VALUES ($3, $1, 'ES256', '{}', $2)`, [
    kid,
    new KeyEncryption(TEST_SECRET).encrypt("private", kid),
    randomUUID(),
  ]);
  await q(
    `INSERT INTO "tokens" ("id", "kind", "jti", "subject", "application_id", "payload", "expires_at") VALUES ($4, 'access_token', 'j1', $1, $2, $3::jsonb, '2030-01-02T03:04:05.678Z')`,
    [userId, applicationId, JSON.stringify({ nonce: "n", nested: { list: [1, "two", null] } }), randomUUID()],
  );
  await q(`INSERT INTO "sign_in_limits" ("key", "points", "expire") VALUES ('k', 3, 9007199254740993)`, []);
  // More rows than one cursor batch (1000): the backup streams a table through in several.
  await q(`INSERT INTO "audit_events" ("id", "kind", "at", "details") SELECT gen_random_uuid(), 'bulk', now(), jsonb_build_object('n', n) FROM generate_series(1, 2500) AS n`, []);
  await q(`INSERT INTO "audit_events" ("id", "kind", "details", "at") VALUES ($1, 'token.issued', '{"grant":"x"}', '2026-01-01T00:00:00.001Z')`, [randomUUID()]);
}

describe("BACKUP_TABLES", () => {
  it("lists every table the migrations create (but gatehouse_migrations), each once", async () => {
    const opened = await openBackend("pglite");
    try {
      expect([...BACKUP_TABLES].sort()).toEqual((await tableNames(opened.db)).filter((name) => name !== "gatehouse_migrations"));
      expect(new Set(BACKUP_TABLES).size).toBe(BACKUP_TABLES.length);
    } finally {
      await opened.close();
    }
  });
});

describeEachBackend("backup and restore", (db) => {
  it("restores every row exactly (arrays, json, timestamptz, bigint) into an empty database; a second restore is refused; --force replaces", async () => {
    await seed(db);
    const file = path.join(directory, "backup.gz");
    const report = await createBackup(db, file);
    expect(report.signingKeys).toBe(1);
    expect(report.tables.find((table) => table.name === "audit_events")!.rows).toBe(2501);
    expect(report.migrations).toBe(MIGRATIONS.length);
    const { backupMigrations } = await checkBackupFile(file, MIGRATIONS);
    const target = await openBackend(db.kind);
    try {
      const options = { migrations: MIGRATIONS, force: false, encryption: new KeyEncryption(TEST_SECRET) };
      const restored = await restoreBackup(target.db, file, backupMigrations, options);
      expect(restored.rows).toBe(report.rows);
      expect(restored.emptied).toBe(false);
      expect(await contents(target.db)).toEqual(await contents(db));
      const [limit] = await target.db.sql.query<{ expire: string }>(`SELECT "expire"::text AS "expire" FROM "sign_in_limits"`);
      expect(limit!.expire).toBe("9007199254740993");

      await expect(restoreBackup(target.db, file, backupMigrations, options)).rejects.toThrow(/not empty \(applications: 1.*--force/);
      await target.db.sql.query(`INSERT INTO "scopes" ("id", "name", "display_name", "updated_at") VALUES ($1, 'extra', 'Extra', now())`, [randomUUID()]);
      const forced = await restoreBackup(target.db, file, backupMigrations, { ...options, force: true });
      expect(forced.emptied).toBe(true);
      expect(await contents(target.db)).toEqual(await contents(db));
    } finally {
      await target.close();
    }
  });

  // The rows the test above seeded (this block's database is shared by its tests).
  it("the backup's header names its source, every migration and every table with its row count", async () => {
    const file = path.join(directory, "backup.gz");
    await createBackup(db, file);
    const header = JSON.parse(linesOf(file)[0]!) as BackupHeader;
    expect(header.source).toBe(db.kind);
    const migrations = await db.sql.query<{ name: string; checksum: string }>(`SELECT "name", "checksum" FROM "gatehouse_migrations" ORDER BY "name"`);
    expect(header.migrations).toEqual(migrations.map(({ name, checksum }) => ({ name, checksum })));
    expect(header.tables.map((table) => table.name)).toEqual([...BACKUP_TABLES]);
    for (const table of header.tables) {
      const [counted] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "${table.name}"`);
      expect(table.rows, table.name).toBe(Number(counted!.n));
    }
    expect(header.tables.find((table) => table.name === "audit_events")!.rows).toBe(2501);
    expect(header.tables.find((table) => table.name === "signing_keys")!.rows).toBe(1);
  });

  // The integration test restores across backends through the CLI and a server; here every row is compared.
  it.skipIf(!POSTGRES_REACHABLE && !isCI)(
    "a backup restores into an empty store of the other backend with every row: the same signing keys, tokens and audit rows",
    async () => {
      const file = path.join(directory, "backup.gz");
      await createBackup(db, file);
      const { backupMigrations } = await checkBackupFile(file, MIGRATIONS);
      const target = await openBackend(db.kind === "pglite" ? "postgres" : "pglite");
      try {
        const restored = await restoreBackup(target.db, file, backupMigrations, { migrations: MIGRATIONS, force: false, encryption: new KeyEncryption(TEST_SECRET) });
        expect(restored.signingKeys).toBe(1);
        expect(await contentsInUtc(target.db)).toEqual(await contentsInUtc(db));
      } finally {
        await target.close();
      }
    },
    60_000,
  );

  it("a secret that does not decrypt the keys, or none, rolls the whole restore back", async () => {
    const file = path.join(directory, "backup.gz");
    await createBackup(db, file);
    const { backupMigrations } = await checkBackupFile(file, MIGRATIONS);
    const target = await openBackend(db.kind);
    try {
      const wrong = new KeyEncryption(`${TEST_SECRET}-other`);
      await expect(restoreBackup(target.db, file, backupMigrations, { migrations: MIGRATIONS, force: false, encryption: wrong })).rejects.toThrow(
        /does not decrypt with this GATEHOUSE_SECRET.*Nothing was restored/,
      );
      await expect(restoreBackup(target.db, file, backupMigrations, { migrations: MIGRATIONS, force: false, encryption: null })).rejects.toThrow(
        /set GATEHOUSE_SECRET/,
      );
      const counts = await contents(target.db);
      expect(Object.values(counts).flat()).toEqual([]);
    } finally {
      await target.close();
    }
  });

  it("a backup whose rows do not fit the schema fails inside the transaction and leaves the target empty", async () => {
    const file = path.join(directory, "backup.gz");
    await createBackup(db, file);
    // Consistent as a file (the digest is recomputed by rewriting it), but a token points at an application that is not there.
    const lines = linesOf(file).slice(0, -1);
    const spoiled = lines.map((line) => line.replace(/"application_id": "[0-9a-f-]+"/, `"application_id": "${randomUUID()}"`));
    const writer = new BackupWriter(file);
    const parsedHeader = JSON.parse(spoiled[0]!) as BackupHeader;
    await writer.header(parsedHeader);
    let index = 1;
    for (const table of parsedHeader.tables) {
      const marker = JSON.parse(spoiled[index++]!) as { columns: string[] };
      await writer.table({ name: table.name, columns: marker.columns, rows: spoiled.slice(index, index + table.rows) });
      index += table.rows;
    }
    await writer.finish();
    const { backupMigrations } = await checkBackupFile(file, MIGRATIONS);
    const target = await openBackend(db.kind);
    try {
      await expect(
        restoreBackup(target.db, file, backupMigrations, { migrations: MIGRATIONS, force: false, encryption: new KeyEncryption(TEST_SECRET) }),
      ).rejects.toThrow(/foreign key/);
      expect(Object.values(await contents(target.db)).flat()).toEqual([]);
    } finally {
      await target.close();
    }
  });
});
