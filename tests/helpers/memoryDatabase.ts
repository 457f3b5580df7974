// A whole Database (Prisma client and raw SQL) on an in-memory PGlite with the
// project's migrations, for unit tests of repositories that use transactions.
// A new in-memory PGlite runs initdb first: three to four times the cost of
// loading a data directory already made. The unit project's global setup
// (tests/helpers/globalSetupUnit.ts) makes one migrated directory per run, as a
// tar file; each database here starts from it and then applies the migrations,
// which finds none to apply unless the tar is stale. Without that setup (another
// runner) each database runs initdb and every migration itself.
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { listenOnPglite, type Database, type SqlExecutor } from "@/lib/db/client";
import { PrismaClient } from "@/lib/db/generated/client";
import { applyMigrations, loadMigrations, type SqlSession } from "@/lib/db/migrate";
import { createPgliteStatementRunner } from "@/lib/db/pgliteStatements";
import { PROJECT_ROOT } from "./server";

/** Where the run's migrated data directory (a tar from PGlite's dumpDataDir) is, if the global setup made one. */
export const MEMORY_TEMPLATE_VARIABLE = "GATEHOUSE_TEST_MEMORY_TEMPLATE";

function sessionOf(pg: PGlite): SqlSession {
  return {
    query: async (text: string, params?: unknown[]) => ({ rows: (await pg.query(text, params)).rows as Record<string, unknown>[] }),
    exec: async (text: string) => void (await pg.exec(text)),
  };
}

/** The global setup's part: an in-memory PGlite with every migration, dumped to `file`. */
export async function writeMemoryTemplate(file: string): Promise<void> {
  const pg = new PGlite();
  try {
    await pg.waitReady;
    await applyMigrations(sessionOf(pg), loadMigrations(path.join(PROJECT_ROOT, "prisma/migrations")));
    const dump = await pg.dumpDataDir("none");
    fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await pg.close();
  }
}

function newMemoryPglite(): PGlite {
  const template = process.env[MEMORY_TEMPLATE_VARIABLE];
  if (!template || !fs.existsSync(template)) return new PGlite();
  return new PGlite({ loadDataDir: new Blob([fs.readFileSync(template)]) });
}

/** An in-memory PGlite with the project's migrations applied, and a SqlExecutor on it (no Prisma): the prepared-statement runner production uses. */
export async function openMemoryPglite(): Promise<{ pg: PGlite; sql: SqlExecutor; session: SqlSession }> {
  const pg = newMemoryPglite();
  await pg.waitReady;
  const session = sessionOf(pg);
  await applyMigrations(session, loadMigrations(path.join(PROJECT_ROOT, "prisma/migrations")));
  const sql: SqlExecutor = await createPgliteStatementRunner(pg);
  return { pg, sql, session };
}

export async function openMemoryDatabase(): Promise<Database> {
  const { pg, sql, session } = await openMemoryPglite();
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pg) });
  return {
    kind: "pglite",
    prisma,
    sql,
    withSqlSession: (work) => work(session),
    listen: (channel, listener) => listenOnPglite(pg, channel, listener),
    async close() {
      await prisma.$disconnect();
      await pg.close();
    },
  };
}
