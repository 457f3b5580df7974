// The administrator rules and the scope-delete check under concurrency, on
// PostgreSQL (GATEHOUSE_TEST_BACKEND=postgres): several connections run the
// lib/db repository functions at the same moment. The embedded PGlite has a
// single connection that runs one transaction at a time, so these races
// cannot happen there and the suite is skipped on it.
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { openDatabase, type Database } from "@/lib/db/client";
import { applyMigrations, loadMigrations } from "@/lib/db/migrate";
import { createScope, deleteScope, lockScopesByName } from "@/lib/db/scopeAdmin";
import { disableUser, setAdminRole } from "@/lib/db/userAdmin";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres";
import { PROJECT_ROOT, testBackend } from "../helpers/server";

const onPostgres = testBackend() === "postgres";
let database: TestDatabase;
let db: Database;

beforeAll(async () => {
  if (!onPostgres) return;
  database = await createTestDatabase();
  db = await openDatabase({ databaseUrl: database.url, dataDir: PROJECT_ROOT, poolSize: 8 });
  await db.withSqlSession((session) => applyMigrations(session, loadMigrations(path.join(PROJECT_ROOT, "prisma/migrations"))));
});
afterAll(async () => {
  await db?.close();
  await database?.drop();
});
beforeEach(async () => {
  if (!onPostgres) return;
  await db.sql.query(`DELETE FROM "users"`);
  await db.sql.query(`DELETE FROM "applications"`);
  await db.sql.query(`DELETE FROM "scopes"`);
});

async function addAdmins(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const [index, id] of ids.entries()) {
    await db.sql.query(`INSERT INTO "users" ("id", "username", "roles", "updated_at") VALUES ($1::uuid, $2, ARRAY['admin'], now())`, [id, `admin${index}`]);
  }
  return ids;
}

const enabledAdmins = async () =>
  Number((await db.sql.query<{ n: string }>(`SELECT count(*) AS "n" FROM "users" WHERE "enabled" AND 'admin' = ANY("roles")`))[0]!.n);

describe.skipIf(!onPostgres)("concurrent administration (PostgreSQL)", () => {
  test("two admins disabling each other at once: exactly one succeeds, one enabled admin remains", async () => {
    for (let round = 0; round < 5; round++) {
      await db.sql.query(`DELETE FROM "users"`);
      const [a, b] = (await addAdmins(2)) as [string, string];
      const results = await Promise.all([disableUser(db, { userId: a, actorId: b }), disableUser(db, { userId: b, actorId: a })]);
      expect(results.map((result) => result.status).sort()).toEqual(["disabled", "last_admin"]);
      expect(await enabledAdmins()).toBe(1);
    }
  });

  test("demoting and disabling the other two of three admins at once leaves at least one", async () => {
    for (let round = 0; round < 5; round++) {
      await db.sql.query(`DELETE FROM "users"`);
      const [a, b, c] = (await addAdmins(3)) as [string, string, string];
      const results = await Promise.all([
        setAdminRole(db, { userId: b, actorId: a, admin: false }),
        disableUser(db, { userId: c, actorId: b }),
        setAdminRole(db, { userId: a, actorId: c, admin: false }),
      ]);
      expect(await enabledAdmins()).toBeGreaterThanOrEqual(1);
      expect(results.filter((result) => result.status === "last_admin").length).toBeGreaterThanOrEqual(1);
    }
  });

  test("a scope delete racing a client grant that locks the scope: the delete waits and is refused", async () => {
    const created = await createScope(db, { name: "race", displayName: "Race", description: "", resources: [], claims: [], accessTokenClaims: [] });
    if (created.status !== "created") throw new Error("scope not created");
    const clientId = randomUUID();
    await db.sql.query(`INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1::uuid, 'racer', 'Racer', 'public', now())`, [clientId]);
    let granted!: () => void;
    const grantLocked = new Promise<void>((resolve) => (granted = resolve));
    // A client save as the clients page should do it: lock the scopes it grants, then write the permissions.
    const grant = db.prisma.$transaction(async (tx) => {
      expect(await lockScopesByName(tx, ["race"])).toEqual([]);
      granted();
      await tx.$executeRawUnsafe(`SELECT pg_sleep(0.3)`);
      await tx.$executeRawUnsafe(`UPDATE "applications" SET "permissions" = ARRAY['scp:race'] WHERE "id" = $1::uuid`, clientId);
    });
    await grantLocked;
    const deleted = await deleteScope(db, created.scope.id);
    await grant;
    expect(deleted).toEqual({ status: "in_use", name: "race", clients: [{ clientId: "racer", displayName: "Racer" }] });
  });
});
