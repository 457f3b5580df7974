// lib/db/userAdmin.ts on PGlite and PostgreSQL with the project's migrations:
// search and paging, profile conflicts, and the disable / password / role
// changes with the rules that protect administrators.
import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ADMIN_ROLE,
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  findUserForAdmin,
  resetUserPassword,
  searchUsers,
  setAdminRole,
  updateUserProfile,
  type UserProfile,
} from "@/lib/db/userAdmin";
import { describeEachBackend } from "../helpers/backends";

describeEachBackend("lib/db/userAdmin.ts", (db) => {
  const appId = randomUUID();

  beforeAll(async () => {
    await db.sql.query(`INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, 'web', 'Web', 'public', now())`, [appId]);
  }, 60_000);
  beforeEach(async () => {
    await db.sql.query(`DELETE FROM "tokens"`);
    await db.sql.query(`DELETE FROM "users"`);
  });

  async function addUser(username: string, extra: Partial<UserProfile> = {}, admin = false): Promise<string> {
    const result = await createUser(db, { username, email: `${username}@example.com`, name: `${username} Example`, emailVerified: false, passwordHash: "h", ...extra });
    if (result.status !== "created") throw new Error(`could not create ${username}: ${result.field}`);
    if (admin) await db.sql.query(`UPDATE "users" SET "roles" = ARRAY['admin'] WHERE "id" = $1::uuid`, [result.user.id]);
    return result.user.id;
  }

  async function addSession(userId: string): Promise<string> {
    const id = randomUUID();
    await db.sql.query(
      `INSERT INTO "sessions" ("id", "user_id", "auth_time", "expires_at") VALUES ($1::uuid, $2::uuid, now(), now() + interval '1 hour')`,
      [id, userId],
    );
    return id;
  }

  async function addToken(subject: string, fields: { kind?: string; status?: string; expiresIn?: number; grantId?: string | null; id?: string } = {}): Promise<string> {
    const id = fields.id ?? randomUUID();
    await db.sql.query(
      `INSERT INTO "tokens" ("id", "kind", "subject", "application_id", "grant_id", "status", "expires_at")
       VALUES ($1::uuid, $2, $3, $4::uuid, $5::uuid, $6, now() + make_interval(secs => $7::int))`,
      [id, fields.kind ?? "access_token", subject, appId, fields.grantId ?? null, fields.status ?? "valid", fields.expiresIn ?? 3600],
    );
    return id;
  }

  const tokenStatus = async (id: string) => (await db.sql.query<{ status: string }>(`SELECT "status" FROM "tokens" WHERE "id" = $1::uuid`, [id]))[0]?.status;

  describe("searchUsers", () => {
    it("matches username, email and name case-insensitively, literally, one page at a time", async () => {
      await addUser("alice", { name: "Alice Liddell" });
      await addUser("bob", { email: "robert@Example.org", name: "Bob 100% Real" });
      await addUser("carol", { name: "Carol_Smith" });
      expect((await searchUsers(db, { query: "ALI", page: 1, pageSize: 10 })).users.map((u) => u.username)).toEqual(["alice"]);
      expect((await searchUsers(db, { query: "example.org", page: 1, pageSize: 10 })).users.map((u) => u.username)).toEqual(["bob"]);
      expect((await searchUsers(db, { query: "liddell", page: 1, pageSize: 10 })).users.map((u) => u.username)).toEqual(["alice"]);
      // % and _ are searched for as characters, not as wildcards.
      expect((await searchUsers(db, { query: "100%", page: 1, pageSize: 10 })).users.map((u) => u.username)).toEqual(["bob"]);
      expect((await searchUsers(db, { query: "a_o", page: 1, pageSize: 10 })).users.map((u) => u.username)).toEqual([]);
      expect((await searchUsers(db, { query: "l_s", page: 1, pageSize: 10 })).users.map((u) => u.username)).toEqual(["carol"]);
      const first = await searchUsers(db, { query: "", page: 1, pageSize: 2 });
      expect(first.users.map((u) => u.username)).toEqual(["alice", "bob"]);
      expect(first.hasNext).toBe(true);
      const second = await searchUsers(db, { query: " ", page: 2, pageSize: 2 });
      expect(second.users.map((u) => u.username)).toEqual(["carol"]);
      expect(second.hasNext).toBe(false);
      expect(Object.keys(first.users[0]!)).not.toContain("passwordHash");
    });
  });

  describe("createUser / updateUserProfile", () => {
    it("refuses a taken username, and a taken email address in any letter case", async () => {
      const alice = await addUser("alice");
      expect(await createUser(db, { username: "alice", email: null, name: "", emailVerified: false, passwordHash: "h" })).toEqual({ status: "conflict", field: "username" });
      expect(await createUser(db, { username: "alice2", email: "ALICE@example.com", name: "", emailVerified: false, passwordHash: "h" })).toEqual({ status: "conflict", field: "email" });
      const bob = await addUser("bob", { email: null });
      expect(await updateUserProfile(db, bob, { username: "alice", email: null, name: "", emailVerified: false })).toEqual({ status: "conflict", field: "username" });
      expect(await updateUserProfile(db, bob, { username: "bob", email: "Alice@Example.com", name: "", emailVerified: false })).toEqual({ status: "conflict", field: "email" });
      // Keeping one's own username and email is no conflict.
      const updated = await updateUserProfile(db, alice, { username: "alice", email: "alice@example.com", name: "Alice L.", emailVerified: true });
      expect(updated).toMatchObject({ status: "updated", user: { name: "Alice L.", emailVerified: true }, previous: { name: "alice Example", emailVerified: false } });
      expect(await updateUserProfile(db, randomUUID(), { username: "x", email: null, name: "", emailVerified: false })).toEqual({ status: "not_found" });
    });
  });

  describe("disableUser", () => {
    it("disables, ends every session and revokes live tokens and their grants in one go, leaving others alone", async () => {
      const admin = await addUser("admin", {}, true);
      const alice = await addUser("alice");
      const bob = await addUser("bob");
      const [s1, s2, bobSession] = [await addSession(alice), await addSession(alice), await addSession(bob)];
      const grantRoot = await addToken(alice, { kind: "authorization_code", status: "redeemed", expiresIn: -60 });
      const redeemedRefresh = await addToken(alice, { kind: "refresh_token", status: "redeemed", grantId: grantRoot });
      const liveRefresh = await addToken(alice, { kind: "refresh_token", grantId: grantRoot });
      const liveAccess = await addToken(alice, { grantId: grantRoot });
      const expired = await addToken(alice, { expiresIn: -60 });
      const bobs = await addToken(bob);
      const clientCredentials = await addToken("web");

      const result = await disableUser(db, { userId: alice, actorId: admin });
      expect(result).toEqual({ status: "disabled", username: "alice", sessionsEnded: 2, tokensRevoked: 3 });
      expect(await tokenStatus(liveAccess)).toBe("revoked");
      expect(await tokenStatus(liveRefresh)).toBe("revoked");
      // The grant root is revoked too, so a rotation racing this change produces a dead token.
      expect(await tokenStatus(grantRoot)).toBe("revoked");
      expect(await tokenStatus(redeemedRefresh)).toBe("redeemed");
      expect(await tokenStatus(expired)).toBe("valid");
      expect(await tokenStatus(bobs)).toBe("valid");
      expect(await tokenStatus(clientCredentials)).toBe("valid");
      const sessions = await db.sql.query<{ id: string; ended: boolean }>(`SELECT "id", "ended_at" IS NOT NULL AS "ended" FROM "sessions"`);
      expect(Object.fromEntries(sessions.map((row) => [row.id, row.ended]))).toEqual({ [s1]: true, [s2]: true, [bobSession]: false });
      expect(await findUserForAdmin(db, alice)).toMatchObject({ enabled: false, activeSessions: 0, liveTokens: 0 });

      expect(await disableUser(db, { userId: alice, actorId: admin })).toEqual({ status: "already_disabled", username: "alice" });
      expect(await enableUser(db, alice)).toEqual({ status: "enabled", username: "alice" });
      expect(await enableUser(db, alice)).toEqual({ status: "already_enabled", username: "alice" });
      // Enabling does not bring sessions or tokens back.
      expect(await findUserForAdmin(db, alice)).toMatchObject({ enabled: true, activeSessions: 0, liveTokens: 0 });
    });

    it("refuses to disable the acting admin or the last enabled admin, and changes nothing then", async () => {
      const admin = await addUser("admin", {}, true);
      const other = await addUser("other-admin", {}, true);
      const alice = await addUser("alice");
      const session = await addSession(admin);
      expect(await disableUser(db, { userId: admin, actorId: admin })).toEqual({ status: "self" });
      expect(await disableUser(db, { userId: other, actorId: admin })).toMatchObject({ status: "disabled" });
      // `other` is gone; alice (say, an admin demoted a moment ago) cannot take out the last one.
      expect(await disableUser(db, { userId: admin, actorId: alice })).toEqual({ status: "last_admin" });
      expect(await findUserForAdmin(db, admin)).toMatchObject({ enabled: true, activeSessions: 1 });
      expect(session).toBeTruthy();
      expect(await disableUser(db, { userId: randomUUID(), actorId: admin })).toEqual({ status: "not_found" });
      expect(await disableUser(db, { userId: "not-a-uuid", actorId: admin })).toEqual({ status: "not_found" });
    });
  });

  describe("deleteUser", () => {
    it("deletes the user with their sessions and tokens, under disableUser's rules", async () => {
      const admin = await addUser("admin", {}, true);
      const alice = await addUser("alice");
      await addSession(alice);
      const aliceToken = await addToken(alice);
      const clientCredentials = await addToken("web");
      expect(await deleteUser(db, { userId: admin, actorId: admin })).toEqual({ status: "self" });
      expect(await deleteUser(db, { userId: admin, actorId: "client:automation" })).toEqual({ status: "last_admin" });
      expect(await deleteUser(db, { userId: alice, actorId: "client:automation" })).toEqual({ status: "deleted", username: "alice", tokensDeleted: 1 });
      expect(await findUserForAdmin(db, alice)).toBeNull();
      expect(await tokenStatus(aliceToken)).toBeUndefined();
      expect(await tokenStatus(clientCredentials)).toBe("valid");
      const sessions = await db.sql.query(`SELECT "id" FROM "sessions" WHERE "user_id" = $1::uuid`, [alice]);
      expect(sessions).toEqual([]);
      expect(await deleteUser(db, { userId: alice, actorId: admin })).toEqual({ status: "not_found" });
      expect(await deleteUser(db, { userId: "not-a-uuid", actorId: admin })).toEqual({ status: "not_found" });
    });
  });

  describe("setAdminRole", () => {
    it("grants and removes the role, refusing self-demotion and demoting the last enabled admin", async () => {
      const admin = await addUser("admin", {}, true);
      const alice = await addUser("alice");
      expect(await setAdminRole(db, { userId: alice, actorId: admin, admin: true })).toEqual({ status: "changed", username: "alice" });
      expect(await setAdminRole(db, { userId: alice, actorId: admin, admin: true })).toEqual({ status: "unchanged", username: "alice" });
      expect((await findUserForAdmin(db, alice))?.roles).toEqual([ADMIN_ROLE]);
      expect(await setAdminRole(db, { userId: admin, actorId: admin, admin: false })).toEqual({ status: "self" });
      expect(await setAdminRole(db, { userId: alice, actorId: admin, admin: false })).toEqual({ status: "changed", username: "alice" });
      expect((await findUserForAdmin(db, alice))?.roles).toEqual([]);
      // A disabled admin does not count: with alice an admin but disabled, admin is the last enabled one.
      await setAdminRole(db, { userId: alice, actorId: admin, admin: true });
      await disableUser(db, { userId: alice, actorId: admin });
      expect(await setAdminRole(db, { userId: admin, actorId: alice, admin: false })).toEqual({ status: "last_admin" });
      expect(await setAdminRole(db, { userId: alice, actorId: admin, admin: false })).toEqual({ status: "changed", username: "alice" });
    });

    it("uses the same role name as lib/auth/roles.ts", async () => {
      const { ADMIN_ROLE: guardRole } = await import("@/lib/auth/roles");
      expect(ADMIN_ROLE).toBe(guardRole);
    });
  });

  describe("resetUserPassword", () => {
    it("replaces the hash and ends the user's sessions", async () => {
      const alice = await addUser("alice");
      await addSession(alice);
      expect(await resetUserPassword(db, { userId: alice, passwordHash: "new-hash" })).toEqual({ status: "reset", username: "alice", sessionsEnded: 1, tokensRevoked: 0 });
      const [row] = await db.sql.query<{ password_hash: string }>(`SELECT "password_hash" FROM "users" WHERE "id" = $1::uuid`, [alice]);
      expect(row?.password_hash).toBe("new-hash");
      expect(await findUserForAdmin(db, alice)).toMatchObject({ activeSessions: 0 });
      expect(await resetUserPassword(db, { userId: randomUUID(), passwordHash: "x" })).toEqual({ status: "not_found" });
    });
  });
});
