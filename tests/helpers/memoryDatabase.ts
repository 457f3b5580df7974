// A whole Database (Prisma client and raw SQL) on an in-memory PGlite with the
// project's migrations, for unit tests of repositories that use transactions.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { listenOnPglite, type Database, type SqlExecutor } from "@/lib/db/client";
import { PrismaClient } from "@/lib/db/generated/client";
import { applyMigrations, loadMigrations, type SqlSession } from "@/lib/db/migrate";
import { PROJECT_ROOT } from "./server";

/** An in-memory PGlite with the project's migrations applied, and a SqlExecutor on it (no Prisma). */
export async function openMemoryPglite(): Promise<{ pg: PGlite; sql: SqlExecutor; session: SqlSession }> {
  const pg = new PGlite();
  await pg.waitReady;
  const session: SqlSession = {
    query: async (text: string, params?: unknown[]) => ({ rows: (await pg.query(text, params)).rows as Record<string, unknown>[] }),
    exec: async (text: string) => void (await pg.exec(text)),
  };
  await applyMigrations(session, loadMigrations(path.join(PROJECT_ROOT, "prisma/migrations")));
  const sql: SqlExecutor = { query: async <Row>(text: string, params?: unknown[]) => (await pg.query<Row>(text, params)).rows };
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
