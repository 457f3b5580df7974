// Issue #13 item 8: signing keys are replaced automatically every GATEHOUSE_KEY_ROTATION_DAYS, by
// exactly one instance. The rule (which keys are due) is pure; the rotation is store-level, on both
// backends; the schedule audits what it did.
import { describe, expect, it } from "vitest";
import { rotateKeysDue, startKeyRotationSchedule } from "@/lib/db/keyRotation";
import { ensureSigningKeys, keysDueForRotation } from "@/lib/oauth/signingKeys";
import { createSigningKeyStore } from "@/lib/db/repositories";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import type { AuditEventInput } from "@/lib/oauth/ports";
import { openDatabase, type Database } from "@/lib/db/client";
import { migrateDatabase } from "@/lib/db/bootstrap";
import { describeEachBackend, POSTGRES_REACHABLE } from "../helpers/backends";
import { createTestDatabase } from "../helpers/postgres";
import { PROJECT_ROOT } from "../helpers/server";
import { TEST_SECRET } from "./fakes";

const DAY = 86_400_000;
const NOW = new Date(Date.UTC(2026, 11, 7, 12, 0, 0));
const key = (alg: "RS256" | "ES256", ageDays: number, status: "active" | "retiring" = "active") => ({
  alg,
  status,
  createdAt: new Date(NOW.getTime() - ageDays * DAY),
});

describe("keysDueForRotation", () => {
  it("an active key as old as the rotation period is due; a younger one is not", () => {
    expect(keysDueForRotation([key("RS256", 90), key("ES256", 89.9)], NOW, 90)).toEqual(["RS256"]);
    expect(keysDueForRotation([key("RS256", 91), key("ES256", 120)], NOW, 90)).toEqual(["RS256", "ES256"]);
    expect(keysDueForRotation([key("RS256", 10), key("ES256", 10)], NOW, 90)).toEqual([]);
  });

  it("retiring keys do not count: only the active key's age does", () => {
    expect(keysDueForRotation([key("RS256", 400, "retiring"), key("RS256", 1), key("ES256", 2)], NOW, 90)).toEqual([]);
  });

  it("an algorithm without an active key is not due (the start creates one)", () => {
    expect(keysDueForRotation([key("RS256", 400, "retiring")], NOW, 90)).toEqual([]);
  });

  it("with several active keys of one algorithm, the newest decides", () => {
    expect(keysDueForRotation([key("ES256", 200), key("ES256", 3), key("RS256", 3)], NOW, 90)).toEqual([]);
  });
});

const encryption = new KeyEncryption(TEST_SECRET);
const rotation = { encryption, accessTokenLifetime: 3600, keyRefreshSeconds: 60 };

describeEachBackend("automatic key rotation", (db) => {
  async function keysAgedBy(days: Record<"RS256" | "ES256", number>) {
    await db.sql.query(`DELETE FROM "signing_keys"`);
    await ensureSigningKeys(createSigningKeyStore(db.prisma), encryption);
    for (const [alg, age] of Object.entries(days)) {
      await db.sql.query(`UPDATE "signing_keys" SET "created_at" = now() - make_interval(days => $2::int) WHERE "alg" = $1`, [alg, age]);
    }
  }
  const activeKids = async () =>
    (await db.sql.query<{ alg: string; kid: string }>(`SELECT "alg", "kid" FROM "signing_keys" WHERE "status" = 'active' ORDER BY "alg"`)).map(
      (row) => `${row.alg} ${row.kid}`,
    );

  it("rotates only the algorithm whose key is due; the old key retires with a retire_after", async () => {
    await keysAgedBy({ RS256: 91, ES256: 10 });
    const before = await activeKids();
    const report = await rotateKeysDue(db, { ...rotation, rotationDays: 90 });
    expect(report?.created.map((created) => created.alg)).toEqual(["RS256"]);
    const after = await activeKids();
    expect(after).toHaveLength(2);
    expect(after.find((kid) => kid.startsWith("ES256"))).toBe(before.find((kid) => kid.startsWith("ES256")));
    expect(after.find((kid) => kid.startsWith("RS256"))).not.toBe(before.find((kid) => kid.startsWith("RS256")));
    const [retiring] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "signing_keys" WHERE "status" = 'retiring' AND "retire_after" IS NOT NULL`);
    expect(retiring!.n).toBe(1);
    // Checked again at once: nothing is due any more.
    expect(await rotateKeysDue(db, { ...rotation, rotationDays: 90 })).toBeNull();
  });

  it("nothing is due: nothing changes", async () => {
    await keysAgedBy({ RS256: 5, ES256: 5 });
    const before = await activeKids();
    expect(await rotateKeysDue(db, { ...rotation, rotationDays: 90 })).toBeNull();
    expect(await activeKids()).toEqual(before);
  });

  it("several instances checking at the same moment rotate each due key exactly once", async () => {
    await keysAgedBy({ RS256: 100, ES256: 100 });
    const reports = await Promise.all(Array.from({ length: 4 }, () => rotateKeysDue(db, { ...rotation, rotationDays: 90 })));
    expect(reports.filter((report) => report !== null)).toHaveLength(1);
    const [counts] = await db.sql.query<{ active: number; retiring: number }>(
      `SELECT count(*) FILTER (WHERE "status" = 'active')::int AS "active", count(*) FILTER (WHERE "status" = 'retiring')::int AS "retiring" FROM "signing_keys"`,
    );
    expect(counts).toEqual({ active: 2, retiring: 2 });
  });

  it("the schedule rotates a due key soon after start, audits it as the system's and tells the ring", async () => {
    await keysAgedBy({ RS256: 100, ES256: 1 });
    const events: AuditEventInput[] = [];
    let invalidated = 0;
    const logged: string[] = [];
    const schedule = startKeyRotationSchedule(db, {
      ...rotation,
      rotationDays: 90,
      checkSeconds: 0.05,
      audit: { record: async (event) => void events.push(event) },
      onRotated: () => invalidated++,
      log: (message) => logged.push(message),
    });
    try {
      await expect.poll(() => events.length, { timeout: 10_000 }).toBe(1);
    } finally {
      await schedule.stop();
    }
    expect(events[0]).toMatchObject({ kind: "system.keys.rotated", actor: "system", reason: "older than 90 days (GATEHOUSE_KEY_ROTATION_DAYS)" });
    expect((events[0]!.details!.created as { alg: string }[]).map((created) => created.alg)).toEqual(["RS256"]);
    expect(invalidated).toBe(1);
    expect(logged.join("\n")).toMatch(/signing keys older than 90 days rotated: new RS256 /);
    // Later checks found nothing due: still one rotation.
    expect(events).toHaveLength(1);
  });
});

describe.runIf(POSTGRES_REACHABLE)("automatic key rotation across instances (PostgreSQL: one connection pool per instance)", () => {
  it("four instances on one database checking at once rotate each due key exactly once", async () => {
    const database = await createTestDatabase();
    const instances: Database[] = [];
    try {
      for (let i = 0; i < 4; i++) instances.push(await openDatabase({ databaseUrl: database.url, dataDir: "unused", poolSize: 2 }));
      await migrateDatabase(instances[0]!, PROJECT_ROOT);
      await ensureSigningKeys(createSigningKeyStore(instances[0]!.prisma), encryption);
      await instances[0]!.sql.query(`UPDATE "signing_keys" SET "created_at" = now() - interval '100 days'`);
      const reports = await Promise.all(instances.map((instance) => rotateKeysDue(instance, { ...rotation, rotationDays: 90 })));
      expect(reports.filter((report) => report !== null)).toHaveLength(1);
      const [counts] = await instances[0]!.sql.query<{ active: number; retiring: number }>(
        `SELECT count(*) FILTER (WHERE "status" = 'active')::int AS "active", count(*) FILTER (WHERE "status" = 'retiring')::int AS "retiring" FROM "signing_keys"`,
      );
      expect(counts).toEqual({ active: 2, retiring: 2 });
    } finally {
      for (const instance of instances) await instance.close();
      await database.drop();
    }
  }, 60_000);
});
