// lib/db/account.ts and lib/auth/currentPassword.ts on PGlite and PostgreSQL:
// /account's profile, password and session statements, each scoped to the
// signed-in user.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkCurrentPassword } from "@/lib/auth/currentPassword";
import { hashPassword, verifyPassword } from "@/lib/auth/passwords";
import { SignInThrottle, type ThrottlePolicy } from "@/lib/auth/throttle";
import { createSignInStore } from "@/lib/db/signInStore";
import { createSignInThrottleStore } from "@/lib/db/signInThrottleStore";
import {
  changeAccountPassword,
  endSessionOfUser,
  listActiveSessionsOfUser,
  readAccountProfile,
  readPasswordHash,
  updateAccountProfile,
} from "@/lib/db/account";
import { createSessionRow, findActiveSession } from "@/lib/db/sessions";
import { describeEachBackend } from "../helpers/backends";

describeEachBackend("lib/db/account.ts and lib/auth/currentPassword.ts", (db) => {
  const sql = db.sql;

  async function addUser(options: { email?: string | null; verified?: boolean; password?: string | null } = {}) {
    const id = randomUUID();
    const username = `user-${id.slice(0, 8)}`;
    const hash = options.password === null ? null : await hashPassword(options.password ?? "old-password-123");
    await sql.query(
      `INSERT INTO "users" ("id", "username", "email", "email_verified", "name", "password_hash", "updated_at") VALUES ($1, $2, $3, $4, 'Someone', $5, now())`,
      [id, username, options.email === undefined ? `${username}@example.org` : options.email, options.verified ?? true, hash],
    );
    return { id, username };
  }

  const session = (userId: string, userAgent = "test-agent") =>
    createSessionRow(sql, { userId, authTime: new Date(), amr: ["pwd"], ip: "192.0.2.1", userAgent, expiresAt: new Date(Date.now() + 3600_000) });

  describe("updateAccountProfile", () => {
    it("sets name and address; a changed address is no longer verified, an unchanged one keeps its state", async () => {
      const user = await addUser({ verified: true });
      const before = (await readAccountProfile(sql, user.id))!;
      expect(before.emailVerified).toBe(true);

      expect(await updateAccountProfile(sql, user.id, { name: "New Name", email: before.email }, { emailChangeAllowed: true })).toEqual({ status: "updated", nameChanged: true, emailChanged: false });
      expect(await readAccountProfile(sql, user.id)).toMatchObject({ name: "New Name", email: before.email, emailVerified: true });

      expect(await updateAccountProfile(sql, user.id, { name: "New Name", email: "changed@example.org" }, { emailChangeAllowed: true })).toEqual({ status: "updated", nameChanged: false, emailChanged: true });
      expect(await readAccountProfile(sql, user.id)).toMatchObject({ email: "changed@example.org", emailVerified: false });

      expect(await updateAccountProfile(sql, user.id, { name: "New Name", email: null }, { emailChangeAllowed: true })).toMatchObject({ status: "updated", emailChanged: true });
      expect((await readAccountProfile(sql, user.id))!.email).toBeNull();
    });

    it("refuses an address another account has, in any letter case, and changes nothing", async () => {
      const owner = await addUser({ email: "Taken@Example.org" });
      const user = await addUser({ verified: true });
      const before = await readAccountProfile(sql, user.id);
      for (const email of ["Taken@Example.org", "taken@example.org", "TAKEN@EXAMPLE.ORG"]) {
        expect(await updateAccountProfile(sql, user.id, { name: "Changed", email }, { emailChangeAllowed: true })).toEqual({ status: "email_taken" });
      }
      expect(await readAccountProfile(sql, user.id)).toEqual(before);
      // Its own address in another case is not "taken".
      expect(await updateAccountProfile(sql, owner.id, { name: "Owner", email: "taken@example.org" }, { emailChangeAllowed: true })).toMatchObject({ status: "updated" });
    });

    it("without emailChangeAllowed the name still changes, but a new address (or none) is refused and nothing is written", async () => {
      const user = await addUser({ verified: true });
      const before = (await readAccountProfile(sql, user.id))!;
      const notAllowed = { emailChangeAllowed: false };
      for (const email of ["changed@example.org", before.email!.toUpperCase(), null]) {
        expect(await updateAccountProfile(sql, user.id, { name: "Sneaky", email }, notAllowed)).toEqual({ status: "email_change_not_allowed" });
      }
      expect(await readAccountProfile(sql, user.id)).toEqual(before);
      expect(await updateAccountProfile(sql, user.id, { name: "Renamed", email: before.email }, notAllowed)).toEqual({ status: "updated", nameChanged: true, emailChanged: false });
      expect(await readAccountProfile(sql, user.id)).toEqual({ ...before, name: "Renamed" });
    });

    it("without emailChangeAllowed, an address another account has is refused as not allowed, not as taken (no probing)", async () => {
      await addUser({ email: "probe-target@example.org" });
      const user = await addUser();
      expect(await updateAccountProfile(sql, user.id, { name: "x", email: "probe-target@example.org" }, { emailChangeAllowed: false })).toEqual({
        status: "email_change_not_allowed",
      });
    });

    it("reports an unknown user", async () => {
      expect(await updateAccountProfile(sql, randomUUID(), { name: "x", email: null }, { emailChangeAllowed: true })).toEqual({ status: "not_found" });
      expect(await updateAccountProfile(sql, "nope", { name: "x", email: null }, { emailChangeAllowed: true })).toEqual({ status: "not_found" });
    });
  });

  describe("changeAccountPassword", () => {
    it("stores the new hash and ends every other session of the user, keeping the one that asked and other users' sessions", async () => {
      const user = await addUser();
      const other = await addUser();
      const [current, second, third, othersSession] = [await session(user.id), await session(user.id), await session(user.id), await session(other.id)];
      const newHash = await hashPassword("brand-new-password");

      expect(await changeAccountPassword(sql, user.id, newHash, current)).toEqual({ endedSessions: 2, revokedTokens: 0 });
      expect(await verifyPassword((await readPasswordHash(sql, user.id))!, "brand-new-password")).toBe(true);
      const now = new Date();
      expect(await findActiveSession(sql, current, now)).not.toBeNull();
      expect(await findActiveSession(sql, second, now)).toBeNull();
      expect(await findActiveSession(sql, third, now)).toBeNull();
      expect(await findActiveSession(sql, othersSession, now)).not.toBeNull();
    });

    it("changes nothing for an unknown user", async () => {
      expect(await changeAccountPassword(sql, randomUUID(), "hash", randomUUID())).toBeNull();
    });
  });

  describe("sessions", () => {
    it("lists the user's live sessions only, newest first", async () => {
      const user = await addUser();
      const first = await session(user.id, "first");
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await session(user.id, "second");
      const ended = await session(user.id);
      await endSessionOfUser(sql, user.id, ended);
      await createSessionRow(sql, { userId: user.id, authTime: new Date(Date.now() - 7200_000), amr: ["pwd"], ip: null, userAgent: null, expiresAt: new Date(Date.now() - 1000) });
      await session((await addUser()).id);

      const listed = await listActiveSessionsOfUser(sql, user.id);
      expect(listed.map((row) => row.id)).toEqual([second, first]);
      expect(listed[0]).toMatchObject({ ip: "192.0.2.1", userAgent: "second" });
    });

    it("ends only the user's own session, once", async () => {
      const user = await addUser();
      const other = await addUser();
      const theirs = await session(other.id);
      expect(await endSessionOfUser(sql, user.id, theirs)).toBe(false);
      expect(await findActiveSession(sql, theirs, new Date())).not.toBeNull();
      expect(await endSessionOfUser(sql, other.id, theirs)).toBe(true);
      expect(await endSessionOfUser(sql, other.id, theirs)).toBe(false);
      expect(await findActiveSession(sql, theirs, new Date())).toBeNull();
      expect(await endSessionOfUser(sql, other.id, "not-a-uuid")).toBe(false);
    });
  });

  describe("checkCurrentPassword", () => {
    const policy: ThrottlePolicy = {
      pair: { freeFailures: 3, firstDelaySeconds: 60, maxDelaySeconds: 600, windowSeconds: 900 },
      account: { freeFailures: 3, firstDelaySeconds: 60, maxDelaySeconds: 600, windowSeconds: 900 },
      address: { freeFailures: 100, firstDelaySeconds: 1, maxDelaySeconds: 60, windowSeconds: 900 },
    };
    const throttle = () => new SignInThrottle(createSignInThrottleStore(sql, { addressKey: "unit-test", purgeExpired: false }), policy);

    it("accepts the right password and clears the failures counted from this address", async () => {
      const user = await addUser({ password: "right-password" });
      const check = (password: string) => checkCurrentPassword(createSignInStore(sql), throttle(), { userId: user.id, username: user.username }, password, "192.0.2.7");
      expect(await check("wrong")).toEqual({ ok: false, reason: "bad_password" });
      expect(await check("right-password")).toEqual({ ok: true });
      const rows = await sql.query(`SELECT 1 FROM "sign_in_limits" WHERE "key" LIKE $1 AND "points" > 0`, [`signin-fail:pair:u.${user.id}:%`]);
      expect(rows).toHaveLength(0);
    });

    it("counts wrong passwords against the sign-in throttle: past the free ones, even the right one waits", async () => {
      const user = await addUser({ password: "right-password" });
      const check = (password: string) => checkCurrentPassword(createSignInStore(sql), throttle(), { userId: user.id, username: user.username }, password, null);
      for (let i = 0; i < 3; i++) expect(await check(`wrong-${i}`)).toEqual({ ok: false, reason: "bad_password" });
      expect(await check("right-password")).toMatchObject({ ok: false, reason: "throttled", retryAfterSeconds: 60 });
    });

    it("refuses when the account has no password", async () => {
      const user = await addUser({ password: null });
      expect(await checkCurrentPassword(createSignInStore(sql), throttle(), { userId: user.id, username: user.username }, "anything", null)).toEqual({ ok: false, reason: "no_password" });
    });
  });

  describe("findActiveSession keeps last_seen_at roughly current (the account page shows it)", () => {
    const lastSeen = async (id: string) =>
      new Date(((await sql.query<{ last_seen_at: Date }>(`SELECT "last_seen_at" FROM "sessions" WHERE "id" = $1::uuid`, [id]))[0]!).last_seen_at).getTime();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

    it("leaves it alone within five minutes, and refreshes it after", async () => {
      const { id: userId } = await addUser();
      const id = await session(userId);
      const created = await lastSeen(id);
      await findActiveSession(sql, id, new Date(created + 4 * 60_000));
      await settle();
      expect(await lastSeen(id)).toBe(created);
      const later = new Date(created + 6 * 60_000);
      expect(await findActiveSession(sql, id, later)).not.toBeNull();
      await settle();
      expect(await lastSeen(id)).toBe(later.getTime());
    });
  });
});
