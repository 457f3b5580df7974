// lib/db/auditQueries.ts on PGlite and PostgreSQL with the project's migrations:
// newest first, filters combined with AND, LIKE wildcards taken literally,
// usernames joined for actors and users, and pages that know what follows.
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { insertAuditEvents } from "@/lib/db/audit";
import { findAuditEvents, findUserIdByUsername } from "@/lib/db/auditQueries";
import { describeEachBackend } from "../helpers/backends";

const ALICE = randomUUID();
const ADMIN = randomUUID();
const GONE = randomUUID();
const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 12, minute));

describeEachBackend("lib/db/auditQueries.ts", (db) => {
  const sql = db.sql;

  beforeAll(async () => {
    for (const [id, username] of [[ALICE, "alice"], [ADMIN, "admin"]]) {
      await sql.query(`INSERT INTO "users" ("id", "username", "updated_at") VALUES ($1, $2, now())`, [id, username]);
    }
    await insertAuditEvents(sql, [
      { kind: "signin.failed", userId: ALICE, ip: "192.0.2.1", reason: "bad_password", at: at(0) },
      { kind: "signin.succeeded", actor: ALICE, userId: ALICE, ip: "192.0.2.1", at: at(1) },
      { kind: "token.issued", clientId: "postman", details: { grant_type: "client_credentials" }, at: at(2) },
      { kind: "token.refused", clientId: "postman", reason: "invalid_client", at: at(3) },
      { kind: "admin.client.updated", actor: ADMIN, clientId: "postman", at: at(4) },
      { kind: "admin_x.odd", actor: "system", userId: GONE, at: at(5) },
      { kind: "token.issued", actor: "not-a-uuid", clientId: "spa", userId: ALICE, at: at(6) },
    ]);
  }, 60_000);

  const page = { limit: 50, offset: 0 };
  const kinds = async (filter: Parameters<typeof findAuditEvents>[1], p = page) => (await findAuditEvents(sql, filter, p)).rows.map((row) => row.kind);

  describe("findAuditEvents", () => {
    it("lists every event newest first, with usernames for actors and users where they exist", async () => {
      const { rows, hasMore } = await findAuditEvents(sql, {}, page);
      expect(hasMore).toBe(false);
      expect(rows.map((row) => row.at)).toEqual([6, 5, 4, 3, 2, 1, 0].map(at));
      expect(rows[0]).toMatchObject({ kind: "token.issued", actor: "not-a-uuid", actorUsername: null, userId: ALICE, username: "alice", clientId: "spa" });
      expect(rows[1]).toMatchObject({ actor: "system", actorUsername: null, userId: GONE, username: null });
      expect(rows[2]).toMatchObject({ actor: ADMIN, actorUsername: "admin" });
      expect(rows[4]).toMatchObject({ details: { grant_type: "client_credentials" } });
      expect(rows[6]).toMatchObject({ kind: "signin.failed", ip: "192.0.2.1", reason: "bad_password", details: null });
    });

    it("combines filters with AND", async () => {
      expect(await kinds({ userId: ALICE })).toEqual(["token.issued", "signin.succeeded", "signin.failed"]);
      expect(await kinds({ userId: ALICE, kind: "token.issued" })).toEqual(["token.issued"]);
      expect(await kinds({ clientId: "postman" })).toEqual(["admin.client.updated", "token.refused", "token.issued"]);
      expect(await kinds({ clientId: "postman", kindPrefix: "token." })).toEqual(["token.refused", "token.issued"]);
      expect(await kinds({ clientId: "spa", userId: GONE })).toEqual([]);
    });

    it("a kind prefix matches literally: _ and % are not wildcards", async () => {
      expect(await kinds({ kindPrefix: "admin." })).toEqual(["admin.client.updated"]);
      expect(await kinds({ kindPrefix: "admin_" })).toEqual(["admin_x.odd"]);
      expect(await kinds({ kindPrefix: "%" })).toEqual([]);
    });

    it("from is inclusive, to is exclusive, asOf is inclusive", async () => {
      expect((await findAuditEvents(sql, { from: at(2), to: at(4) }, page)).rows.map((row) => row.at)).toEqual([at(3), at(2)]);
      expect((await findAuditEvents(sql, { asOf: at(1) }, page)).rows.map((row) => row.at)).toEqual([at(1), at(0)]);
    });

    it("pages by offset and says whether more follow", async () => {
      const first = await findAuditEvents(sql, {}, { limit: 3, offset: 0 });
      const second = await findAuditEvents(sql, {}, { limit: 3, offset: 3 });
      const third = await findAuditEvents(sql, {}, { limit: 3, offset: 6 });
      expect([first.hasMore, second.hasMore, third.hasMore]).toEqual([true, true, false]);
      expect([...first.rows, ...second.rows, ...third.rows].map((row) => row.at)).toEqual([6, 5, 4, 3, 2, 1, 0].map(at));
    });
  });

  describe("findUserIdByUsername", () => {
    it("finds an exact username only", async () => {
      expect(await findUserIdByUsername(sql, "alice")).toBe(ALICE);
      expect(await findUserIdByUsername(sql, "Alice")).toBeNull();
      expect(await findUserIdByUsername(sql, "al%")).toBeNull();
    });

    it("answers null for a name with a NUL byte (PostgreSQL text cannot hold one) instead of failing", async () => {
      expect(await findUserIdByUsername(sql, "ali\u0000ce")).toBeNull();
    });
  });
});
