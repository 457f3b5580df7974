// Throwaway PostgreSQL databases for tests: each suite makes its own and drops it.
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Admin connection URL (a database we may connect to in order to create others). */
export const POSTGRES_ADMIN_URL = process.env.GATEHOUSE_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new database, empty or a copy of `template` (which nobody may be connected to). */
export async function createTestDatabase(prefix = "gatehouse_test", template?: string): Promise<TestDatabase> {
  // GATEHOUSE_TEST_DB_PREFIX tells apart the databases of several test runs sharing one PostgreSQL.
  const name = `${process.env.GATEHOUSE_TEST_DB_PREFIX ?? ""}${prefix}_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
