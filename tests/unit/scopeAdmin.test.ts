// lib/db/scopeAdmin.ts on PGlite and PostgreSQL with the project's migrations.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createScope, deleteScope, findScopeForAdmin, listScopesForAdmin, lockScopesByName, updateScope } from "@/lib/db/scopeAdmin";
import { STANDARD_SCOPES } from "@/lib/db/standardScopes";
import { describeEachBackend } from "../helpers/backends";

const fields = { displayName: "Orders", description: "Read your orders.", resources: ["https://orders.example.com"], claims: ["email"], accessTokenClaims: [] };

describeEachBackend("lib/db/scopeAdmin.ts", (db) => {
  async function addClient(clientId: string, displayName: string, scopes: string[]) {
    await db.sql.query(
      `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "permissions", "updated_at") VALUES ($1::uuid, $2, $3, 'public', $4::text[], now())`,
      [randomUUID(), clientId, displayName, ["ept:token", ...scopes.map((scope) => `scp:${scope}`)]],
    );
  }

  beforeAll(async () => {
    for (const scope of STANDARD_SCOPES) await db.prisma.scope.create({ data: scope });
  }, 60_000);

  describe("scope administration", () => {
    it("creates a scope once per name and lists it with the clients that hold it", async () => {
      const created = await createScope(db, { name: "orders:read", ...fields });
      expect(created).toMatchObject({ status: "created", scope: { name: "orders:read", standard: false, resources: ["https://orders.example.com"] } });
      expect(await createScope(db, { name: "orders:read", ...fields })).toEqual({ status: "name_taken" });
      await addClient("shop", "Shop", ["orders:read", "profile"]);
      const listing = await listScopesForAdmin(db);
      expect(listing.slice(0, 4).map((scope) => scope.name).sort()).toEqual(["email", "offline_access", "openid", "profile"]);
      expect(listing.find((scope) => scope.name === "orders:read")).toMatchObject({ clientCount: 1 });
      expect(listing.find((scope) => scope.name === "email")).toMatchObject({ clientCount: 0, standard: true });
    });

    it("refuses to delete a scope a client holds, naming the clients; deletes it once none does", async () => {
      const created = await createScope(db, { name: "reports", ...fields });
      if (created.status !== "created") throw new Error("not created");
      await addClient("bi", "BI Tool", ["reports"]);
      await addClient("audit-app", "Audit App", ["reports"]);
      expect(await deleteScope(db, created.scope.id)).toEqual({
        status: "in_use",
        name: "reports",
        clients: [
          { clientId: "audit-app", displayName: "Audit App" },
          { clientId: "bi", displayName: "BI Tool" },
        ],
      });
      expect((await findScopeForAdmin(db, created.scope.id))?.clients.map((client) => client.clientId)).toEqual(["audit-app", "bi"]);
      await db.sql.query(`UPDATE "applications" SET "permissions" = array_remove("permissions", 'scp:reports')`);
      expect(await deleteScope(db, created.scope.id)).toMatchObject({ status: "deleted", scope: { name: "reports" } });
      expect(await findScopeForAdmin(db, created.scope.id)).toBeNull();
      expect(await deleteScope(db, created.scope.id)).toEqual({ status: "not_found" });
      expect(await deleteScope(db, "nope")).toEqual({ status: "not_found" });
    });

    it("protects the standard scopes: no deletion, and their claims and resources stay as OpenID Connect defines them", async () => {
      const email = (await listScopesForAdmin(db)).find((scope) => scope.name === "email")!;
      expect(await deleteScope(db, email.id)).toEqual({ status: "standard" });
      expect(await updateScope(db, email.id, { ...fields, resources: [], claims: ["email"] })).toEqual({ status: "standard_fixed" });
      expect(await updateScope(db, email.id, { ...fields, claims: ["email", "email_verified"] })).toEqual({ status: "standard_fixed" });
      const reworded = await updateScope(db, email.id, {
        displayName: "Email",
        description: "Your email address.",
        resources: [],
        claims: ["email_verified", "email"],
        accessTokenClaims: ["email"],
      });
      expect(reworded).toMatchObject({ status: "updated", scope: { displayName: "Email", accessTokenClaims: ["email"] }, previous: { displayName: "Your email address" } });
      expect(await updateScope(db, randomUUID(), fields)).toEqual({ status: "not_found" });
    });

    it("lockScopesByName reports the names that do not exist", async () => {
      const missing = await db.prisma.$transaction((tx) => lockScopesByName(tx, ["openid", "no-such-scope", "profile"]));
      expect(missing).toEqual(["no-such-scope"]);
    });
  });
});
