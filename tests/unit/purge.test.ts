// lib/db/purge.ts and the interaction store (lib/db/repositories.ts) in-process
// on PGlite and PostgreSQL (tests/helpers/backends.ts; decision 0010: bounded
// storage). No server needed; the schedule as the built server runs it is
// tests/integration/purgeSchedule.test.ts.
import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PURGE_LOCK_KEY, purgeExpired, startPurgeSchedule } from "@/lib/db/purge";
import { createGrantStore, createInteractionStore, createRefreshTokenStore } from "@/lib/db/repositories";
import type { ValidatedAuthorizationRequest } from "@/lib/oauth/ports";
import { describeEachBackend } from "../helpers/backends";

const APP = randomUUID();
const USER = randomUUID();
const NOW = new Date();
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const ahead = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const DAY = 24 * 3600;

describeEachBackend("purge", (db) => {
  beforeAll(async () => {
    await db.sql.query(`INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "updated_at") VALUES ($1, 'purge-app', 'Purge App', 'confidential', now())`, [APP]);
    await db.sql.query(`INSERT INTO "users" ("id", "username", "updated_at") VALUES ($1, 'purge-user', now())`, [USER]);
  });

  async function clearTables() {
    for (const table of ["interactions", "tokens", "authorizations", "sessions", "sign_in_limits", "known_sign_in_addresses", "audit_events"]) {
      await db.sql.query(`DELETE FROM "${table}"`);
    }
  }

  async function ids(table: string, column = "id"): Promise<string[]> {
    const rows = await db.sql.query<{ id: string }>(`SELECT "${column}" AS "id" FROM "${table}" ORDER BY 1`);
    return rows.map((row) => row.id).sort();
  }

  async function interaction(id: string, expiresAt: Date, consumed = false) {
    await db.sql.query(
      `INSERT INTO "interactions" ("id", "application_id", "request", "created_at", "expires_at", "consumed_at") VALUES ($1, $2::uuid, '{}'::jsonb, $3, $4, $5)`,
      [id, APP, ago(3600), expiresAt, consumed ? ago(10) : null],
    );
  }

  async function token(fields: { kind: string; expiresAt: Date; grantId?: string | null; status?: string; authorizationId?: string | null; valueHash?: string }) {
    const id = randomUUID();
    await db.sql.query(
      `INSERT INTO "tokens" ("id", "kind", "value_hash", "subject", "application_id", "authorization_id", "grant_id", "status", "payload", "created_at", "expires_at")
       VALUES ($1::uuid, $2, $3, $4, $5::uuid, $6::uuid, $7::uuid, $8, $9::jsonb, $10, $11)`,
      [
        id,
        fields.kind,
        fields.valueHash ?? null,
        USER,
        APP,
        fields.authorizationId ?? null,
        fields.grantId === undefined ? null : fields.grantId === "self" ? id : fields.grantId,
        fields.status ?? "valid",
        JSON.stringify({ absoluteExpiresAt: ahead(DAY).getTime() }),
        ago(7200),
        fields.expiresAt,
      ],
    );
    return id;
  }

  describe("purgeExpired: what goes and what stays", () => {
    beforeEach(clearTables);

    it("interactions past expiry go (pending or consumed); live ones stay", async () => {
      await interaction("expired-pending", ago(1));
      await interaction("expired-consumed", ago(60), true);
      await interaction("live-pending", ahead(600));
      await interaction("live-consumed", ahead(600), true);
      const report = await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW });
      expect(report).toMatchObject({ status: "purged", deleted: { interactions: 2 } });
      expect(await ids("interactions")).toEqual(["live-consumed", "live-pending"]);
    });

    it("deletes a backlog in bounded batches, all of it in one run", async () => {
      for (let i = 0; i < 25; i++) await interaction(`old-${String(i).padStart(2, "0")}`, ago(10));
      await interaction("live", ahead(600));
      const report = await purgeExpired(db, { auditRetentionDays: 90, batchSize: 4, now: () => NOW });
      expect(report).toMatchObject({ status: "purged", deleted: { interactions: 25 } });
      expect(await ids("interactions")).toEqual(["live"]);
    });

    it("tokens past expiry go; a grant's root stays while its grant has tokens, so reuse detection and revocation still work", async () => {
      // Client credentials: no grant.
      await token({ kind: "access_token", expiresAt: ago(1) });
      const liveAccess = await token({ kind: "access_token", expiresAt: ahead(600) });
      // A live grant: the code expired long ago, one refresh token rotated (its row live until its own expiry), one current.
      const liveCode = await token({ kind: "authorization_code", grantId: "self", status: "redeemed", expiresAt: ago(DAY) });
      const rotated = await token({ kind: "refresh_token", grantId: liveCode, status: "redeemed", expiresAt: ahead(DAY), valueHash: `rotated-${liveCode}` });
      const current = await token({ kind: "refresh_token", grantId: liveCode, expiresAt: ahead(DAY), valueHash: `current-${liveCode}` });
      await token({ kind: "access_token", grantId: liveCode, expiresAt: ago(1) });
      // A finished grant: everything expired.
      const oldCode = await token({ kind: "authorization_code", grantId: "self", status: "redeemed", expiresAt: ago(2 * DAY) });
      await token({ kind: "refresh_token", grantId: oldCode, status: "redeemed", expiresAt: ago(DAY) });
      await token({ kind: "access_token", grantId: oldCode, expiresAt: ago(DAY) });

      const first = await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW });
      expect(first).toMatchObject({ status: "purged", deleted: { tokens: 4 } });
      expect(await ids("tokens")).toEqual([liveAccess, liveCode, rotated, current, oldCode].sort());
      // The finished grant's root goes once its last token is gone (the next run).
      await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW });
      expect(await ids("tokens")).toEqual([liveAccess, liveCode, rotated, current].sort());

      // Reuse of the rotated refresh token is still detected, and revokes the grant (root included).
      const refresh = createRefreshTokenStore(db);
      const reuse = await refresh.rotateRefreshToken(`rotated-${liveCode}`, APP, [], new Date());
      expect(reuse.status).toBe("replayed");
      expect(await createGrantStore(db).revokeGrant(liveCode)).toBe(3);
      expect((await db.sql.query<{ status: string }>(`SELECT "status" FROM "tokens" WHERE "id" = $1::uuid`, [liveCode]))[0]?.status).toBe("revoked");
      expect((await refresh.rotateRefreshToken(`current-${liveCode}`, APP, [], new Date())).status).toBe("revoked");
    });

    it("ad-hoc and revoked authorizations without tokens go after a day; valid consent and those with tokens stay", async () => {
      const insert = async (type: string, status: string, updatedAt: Date) => {
        const id = randomUUID();
        await db.sql.query(
          `INSERT INTO "authorizations" ("id", "application_id", "user_id", "type", "status", "created_at", "updated_at") VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $6)`,
          [id, APP, USER, type, status, updatedAt],
        );
        return id;
      };
      await insert("ad-hoc", "valid", ago(2 * DAY));
      await insert("permanent", "revoked", ago(2 * DAY));
      const newAdHoc = await insert("ad-hoc", "valid", ago(60));
      const oldPermanent = await insert("permanent", "valid", ago(400 * DAY));
      const adHocWithTokens = await insert("ad-hoc", "valid", ago(2 * DAY));
      await token({ kind: "refresh_token", authorizationId: adHocWithTokens, expiresAt: ahead(DAY) });
      const report = await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW });
      expect(report).toMatchObject({ status: "purged", deleted: { authorizations: 2 } });
      expect(await ids("authorizations")).toEqual([newAdHoc, oldPermanent, adHocWithTokens].sort());
    });

    it("sessions past expiry go, ended or not; live sessions stay", async () => {
      const insert = async (expiresAt: Date, endedAt: Date | null) => {
        const id = randomUUID();
        await db.sql.query(
          `INSERT INTO "sessions" ("id", "user_id", "auth_time", "expires_at", "ended_at") VALUES ($1::uuid, $2::uuid, $3, $4, $5)`,
          [id, USER, ago(DAY), expiresAt, endedAt],
        );
        return id;
      };
      await insert(ago(1), null);
      await insert(ago(1), ago(60));
      const live = await insert(ahead(DAY), null);
      const endedLive = await insert(ahead(DAY), ago(60));
      expect(await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW })).toMatchObject({ deleted: { sessions: 2 } });
      expect(await ids("sessions")).toEqual([live, endedLive].sort());
    });

    it("sign-in limiter rows past their expiry and addresses no longer known go; live ones stay", async () => {
      const limit = (key: string, expire: Date | null) =>
        db.sql.query(`INSERT INTO "sign_in_limits" ("key", "points", "expire") VALUES ($1, 3, $2)`, [key, expire?.getTime() ?? null]);
      await limit("pair:expired", ago(60));
      await limit("account:expired", ago(2 * DAY));
      await limit("pair:counting", ahead(600));
      await limit("forever", null);
      const known = (hash: string, lastSuccess: Date) =>
        db.sql.query(`INSERT INTO "known_sign_in_addresses" ("user_id", "address_hash", "last_success_at") VALUES ($1::uuid, $2, $3)`, [USER, hash, lastSuccess]);
      await known("stale", ago(91 * DAY));
      await known("recent", ago(DAY));
      expect(await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW })).toMatchObject({ deleted: { signInThrottles: 3 } });
      expect(await ids("sign_in_limits", "key")).toEqual(["forever", "pair:counting"]);
      expect(await ids("known_sign_in_addresses", "address_hash")).toEqual(["recent"]);
    });

    it("audit events older than the retention go; with retention 'forever' (null) every event stays", async () => {
      const insert = (kind: string, at: Date) =>
        db.sql.query(`INSERT INTO "audit_events" ("id", "at", "kind") VALUES ($1::uuid, $2, $3)`, [randomUUID(), at, kind]);
      await insert("old", ago(91 * DAY));
      await insert("older", ago(400 * DAY));
      await insert("recent", ago(89 * DAY));
      expect(await purgeExpired(db, { auditRetentionDays: null, now: () => NOW })).toMatchObject({ deleted: { auditEvents: 0 } });
      expect(await ids("audit_events", "kind")).toEqual(["old", "older", "recent"]);
      expect(await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW })).toMatchObject({ deleted: { auditEvents: 2 } });
      expect(await ids("audit_events", "kind")).toEqual(["recent"]);
      expect(await purgeExpired(db, { auditRetentionDays: 30, now: () => NOW })).toMatchObject({ deleted: { auditEvents: 1 } });
    });
  });

  describe("purgeExpired: one run at a time", () => {
    beforeEach(clearTables);

    it("a second purge started while one runs in this process skips", async () => {
      for (let i = 0; i < 20; i++) await interaction(`old-${i}`, ago(10));
      const [first, second] = await Promise.all([
        purgeExpired(db, { auditRetentionDays: 90, batchSize: 2, now: () => NOW }),
        purgeExpired(db, { auditRetentionDays: 90, batchSize: 2, now: () => NOW }),
      ]);
      expect(first).toMatchObject({ status: "purged", deleted: { interactions: 20 } });
      expect(second).toEqual({ status: "skipped", reason: "running" });
    });

    it.runIf(db.kind === "postgres")(
      "PostgreSQL: while another instance holds the purge lock, a purge skips and deletes nothing; afterwards it runs",
      async () => {
        await interaction("old", ago(10));
        // Another session (a pooled connection of its own) stands for the other instance.
        await db.withSqlSession(async (other) => {
          await other.query(`SELECT pg_advisory_lock($1)`, [PURGE_LOCK_KEY]);
          try {
            expect(await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW })).toEqual({ status: "skipped", reason: "locked" });
            expect(await ids("interactions")).toEqual(["old"]);
          } finally {
            await other.query(`SELECT pg_advisory_unlock($1)`, [PURGE_LOCK_KEY]);
          }
        });
        expect(await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW })).toMatchObject({ status: "purged", deleted: { interactions: 1 } });
      },
    );

    it("a closing server's signal stops the run between batches; the rest waits for the next run", async () => {
      for (let i = 0; i < 6; i++) await interaction(`old-${i}`, ago(10));
      const closing = new AbortController();
      closing.abort();
      expect(await purgeExpired(db, { auditRetentionDays: 90, batchSize: 2, now: () => NOW, signal: closing.signal })).toMatchObject({
        status: "purged",
        deleted: { interactions: 0 },
      });
      expect(await ids("interactions")).toHaveLength(6);
    });

    it("the purge lock is released after a run: the lock can be taken again from another session", async () => {
      await purgeExpired(db, { auditRetentionDays: 90, now: () => NOW });
      await db.withSqlSession(async (session) => {
        const { rows } = await session.query(`SELECT pg_try_advisory_lock($1) AS "locked"`, [PURGE_LOCK_KEY]);
        expect(rows[0]!.locked).toBe(true);
        await session.query(`SELECT pg_advisory_unlock($1)`, [PURGE_LOCK_KEY]);
      });
    });

    it("the schedule runs soon after start, again on its interval, and stop() waits for a run in progress", async () => {
      await interaction("old-1", ago(10));
      const lines: string[] = [];
      const schedule = startPurgeSchedule(db, { auditRetentionDays: 90, intervalSeconds: 0.2, firstDelaySeconds: 0.05, log: (line) => lines.push(line) });
      try {
        await expect.poll(() => ids("interactions"), { timeout: 10_000 }).toEqual([]);
        await interaction("old-2", ago(10));
        await expect.poll(() => ids("interactions"), { timeout: 10_000 }).toEqual([]);
      } finally {
        await schedule.stop();
      }
      expect(lines.filter((line) => line === "[gatehouse] purge: deleted 1 interactions")).toHaveLength(2);
      await interaction("after-stop", ago(10));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await ids("interactions")).toEqual(["after-stop"]);
    });
  });

  describe("interaction store: consent rows and single use", () => {
    beforeEach(clearTables);
    const request: ValidatedAuthorizationRequest = {
      clientId: "purge-app",
      redirectUri: "https://app.example.test/cb",
      redirectUriProvided: true,
      scopes: ["openid"],
      state: "s".repeat(1024),
      nonce: "n".repeat(1024),
      codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      codeChallengeMethod: "S256",
      prompt: [],
      maxAge: null,
      loginHint: null,
    };
    const row = (id: string) => ({ id, applicationId: APP, request, userId: USER, createdAt: ago(5), expiresAt: ahead(1800) });

    it("a row round-trips (compactly), is created once, and is consumed once", async () => {
      const interactions = createInteractionStore(db);
      expect(await interactions.createInteraction(row("A".repeat(43)))).toBe(true);
      expect(await interactions.createInteraction(row("A".repeat(43)))).toBe(false);
      const found = await interactions.findInteraction("A".repeat(43));
      expect(found).toMatchObject({ applicationId: APP, userId: USER, consent: null, grantedScopes: [], request });
      const [stored] = await db.sql.query<{ request: unknown }>(`SELECT "request"::text AS "request" FROM "interactions"`);
      expect(String(stored!.request)).not.toContain("clientId"); // compact keys
      const consumed = await Promise.all([interactions.consumeInteraction("A".repeat(43)), interactions.consumeInteraction("A".repeat(43))]);
      expect(consumed.filter(Boolean)).toHaveLength(1);
      expect(await interactions.findInteraction("A".repeat(43))).toBeNull();
      // The consumed row stays (until it expires) so the same id cannot be created again.
      expect(await interactions.createInteraction(row("A".repeat(43)))).toBe(false);
    });

    it("a sealed interaction is consumed once; it also consumes a pending row of its id", async () => {
      const interactions = createInteractionStore(db);
      const marker = { id: "B".repeat(43), applicationId: APP, userId: USER, createdAt: ago(5), expiresAt: ahead(1800) };
      const results = await Promise.all([interactions.consumeSealedInteraction(marker), interactions.consumeSealedInteraction(marker)]);
      expect(results.sort()).toEqual([false, true]);
      expect(await interactions.createInteraction(row("B".repeat(43)))).toBe(false);

      expect(await interactions.createInteraction(row("C".repeat(43)))).toBe(true);
      expect(await interactions.consumeSealedInteraction({ ...marker, id: "C".repeat(43) })).toBe(true);
      expect(await interactions.findInteraction("C".repeat(43))).toBeNull();
      expect(await interactions.consumeInteraction("C".repeat(43))).toBeNull();
    });
  });
});
