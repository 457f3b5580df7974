// A whole Database for store-level unit tests on either backend: an in-memory
// PGlite, or a throwaway PostgreSQL database (skipped when none is reachable),
// both with the project's migrations applied.
import { migrateDatabase } from "@/lib/db/bootstrap";
import { openDatabase, type Database } from "@/lib/db/client";
import { openMemoryDatabase } from "./memoryDatabase";
import { createTestDatabase, postgresAvailable } from "./postgres";
import { PROJECT_ROOT } from "./server";

export interface OpenedBackend {
  db: Database;
  close(): Promise<void>;
}

export const POSTGRES_REACHABLE = await postgresAvailable();

export async function openBackend(kind: "pglite" | "postgres"): Promise<OpenedBackend> {
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
