// A whole Database for store-level unit tests on either backend: an in-memory
// PGlite, or a throwaway PostgreSQL database, both with the project's
// migrations applied. describeEachBackend runs one block of tests on both.
import { afterAll, beforeAll, describe, it } from "vitest";
import { migrateDatabase } from "@/lib/db/bootstrap";
import { openDatabase, type Database } from "@/lib/db/client";
import { isCI } from "./faults";
import { openMemoryDatabase } from "./memoryDatabase";
import { createTestDatabase, POSTGRES_ADMIN_URL, postgresAvailable } from "./postgres";
import { PROJECT_ROOT } from "./server";

export type BackendKind = "pglite" | "postgres";

export interface OpenedBackend {
  db: Database;
  close(): Promise<void>;
}

export const POSTGRES_REACHABLE = await postgresAvailable();

const BACKEND_NAMES: Record<BackendKind, string> = { pglite: "PGlite", postgres: "PostgreSQL" };

/** The admin URL without its password (.ci/run may set one), for messages. */
function postgresUrlForMessages(): string {
  try {
    const url = new URL(POSTGRES_ADMIN_URL);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "GATEHOUSE_TEST_PG_URL";
  }
}

export const POSTGRES_UNREACHABLE = `PostgreSQL not reachable at ${postgresUrlForMessages()}: set GATEHOUSE_TEST_PG_URL or run .ci/run`;

export async function openBackend(kind: BackendKind): Promise<OpenedBackend> {
  if (kind === "pglite") {
    const db = await openMemoryDatabase();
    return { db, close: () => db.close() };
  }
  const database = await createTestDatabase();
  const db = await openDatabase({ databaseUrl: database.url, dataDir: "unused", poolSize: 4 });
  await migrateDatabase(db, PROJECT_ROOT);
  return {
    db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}

/**
 * Runs `body` twice, in describe blocks titled `${title} on PGlite` and
 * `${title} on PostgreSQL` (test titles, and the row ids in them, stay as
 * written). Each block has its own migrated database, opened before the
 * block's own beforeAll hooks and closed after its afterAll hooks; `body`
 * gets a Database that stands for it (usable inside hooks and tests, not
 * while the block is being collected).
 *
 * Without a reachable PostgreSQL the PostgreSQL block is skipped with a test
 * titled after the reason, so the run says so; under CI it fails instead.
 */
export function describeEachBackend(title: string, body: (db: Database) => void): void {
  for (const kind of ["pglite", "postgres"] as const) {
    const blockTitle = `${title} on ${BACKEND_NAMES[kind]}`;
    if (kind === "postgres" && !POSTGRES_REACHABLE && !isCI) {
      warnPostgresSkippedOnce();
      describe.skipIf(!POSTGRES_REACHABLE)(blockTitle, () => {
        it(POSTGRES_UNREACHABLE, () => undefined);
        body(databaseOf(kind, () => undefined));
      });
      continue;
    }
    describe(blockTitle, () => {
      let opened: OpenedBackend | undefined;
      beforeAll(async () => {
        if (kind === "postgres" && !POSTGRES_REACHABLE) throw new Error(`${POSTGRES_UNREACHABLE} (CI requires both backends)`);
        opened = await openBackend(kind);
      }, 60_000);
      afterAll(async () => {
        await opened?.close();
      });
      body(databaseOf(kind, () => opened?.db));
    });
  }
}

let warnedPostgresSkipped = false;

/** The default reporter prints no skipped titles: say it on stderr too, once per test file. */
function warnPostgresSkippedOnce(): void {
  if (warnedPostgresSkipped) return;
  warnedPostgresSkipped = true;
  console.warn(`SKIPPED the PostgreSQL half of these store tests: ${POSTGRES_UNREACHABLE}`);
}

/** A Database that forwards to the block's database once its beforeAll has opened it. */
function databaseOf(kind: BackendKind, current: () => Database | undefined): Database {
  const open = (): Database => {
    const db = current();
    if (!db) throw new Error(`the ${BACKEND_NAMES[kind]} database of this block is not open (used outside a hook or test, or opening failed)`);
    return db;
  };
  return {
    kind,
    get prisma() {
      return open().prisma;
    },
    sql: { query: (text, params) => open().sql.query(text, params) },
    withSqlSession: (work) => open().withSqlSession(work),
    listen: (channel, listener) => open().listen(channel, listener),
    close: () => Promise.reject(new Error("describeEachBackend closes the block's database itself")),
  };
}
