// lib/db/audit.ts in-process on both backends (an in-memory PGlite and a
// throwaway PostgreSQL database, tests/helpers/backends.ts): concurrent events
// are grouped into few INSERTs, none is lost, and a failed INSERT rejects
// exactly the callers whose events it carried. Store-level, so a unit test
// (until issue #11 it ran in the integration suite on each backend).
import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import { createAuditLog } from "@/lib/db/audit";
import type { Database, SqlExecutor } from "@/lib/db/client";
import { describeEachBackend } from "../helpers/backends";

/** The database of the backend block running now (set by its beforeAll; the blocks run one after the other). */
let db: Database;

const INSERT = /INSERT INTO "audit_events"/;

/**
 * The database's executor, watched: the size of each audit INSERT's batch, in
 * order; `failInsert(n)` makes the n-th audit INSERT (1-based) reject instead of running.
 */
function watchedExecutor(sql: SqlExecutor) {
  const batches: number[] = [];
  const failures = new Map<number, Error>();
  const executor: SqlExecutor = {
    async query(text, params) {
      if (INSERT.test(text)) {
        batches.push((params![0] as unknown[]).length);
        const failure = failures.get(batches.length);
        if (failure) throw failure;
      }
      return sql.query(text, params);
    },
  };
  return {
    executor,
    batches,
    failInsert(n: number, error: Error) {
      failures.set(n, error);
    },
  };
}

async function storedOfKind(kind: string) {
  return db.sql.query<{ kind: string; client_id: string | null; details: { n: number } | null }>(
    `SELECT "kind", "client_id", "details" FROM "audit_events" WHERE "kind" = $1`,
    [kind],
  );
}

describeEachBackend("lib/db/audit", (backendDb) => {
  beforeAll(() => {
    db = backendDb;
  });

  describe("the audit log writer (group commit)", () => {
    test("200 concurrent record() calls: all 200 stored, with far fewer INSERT statements than events", async () => {
      const watched = watchedExecutor(db.sql);
      const audit = createAuditLog(watched.executor);
      const kind = `test.grouped.${randomUUID().slice(0, 8)}`;
      await Promise.all(Array.from({ length: 200 }, (_, n) => audit.record({ kind, clientId: "bench", details: { n } })));

      const rows = await storedOfKind(kind);
      expect(rows).toHaveLength(200);
      expect(rows.map((row) => row.details!.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, n) => n));
      expect(watched.batches.reduce((sum, size) => sum + size, 0)).toBe(200);
      expect(watched.batches.length).toBeLessThan(200);
      // The first event goes alone; everything that arrived during its INSERT goes in the next.
      expect(watched.batches.length).toBeLessThanOrEqual(3);
    });

    test("a failed INSERT rejects exactly the callers of its batch; earlier and later events are stored", async () => {
      const watched = watchedExecutor(db.sql);
      const audit = createAuditLog(watched.executor);
      const kind = `test.failing.${randomUUID().slice(0, 8)}`;
      const failure = new Error("the database went away");
      watched.failInsert(2, failure);

      // A starts the first INSERT; B1..B10 arrive while it runs, so they form the second batch.
      const a = audit.record({ kind, clientId: "a" });
      const bs = Array.from({ length: 10 }, (_, n) => audit.record({ kind, clientId: `b${n}` }));
      const outcomes = await Promise.allSettled([a, ...bs]);
      expect(outcomes[0]).toEqual({ status: "fulfilled", value: undefined });
      for (const outcome of outcomes.slice(1)) expect(outcome).toEqual({ status: "rejected", reason: failure });

      // The writer goes on: the next event is stored by a third INSERT.
      await audit.record({ kind, clientId: "c" });
      expect(watched.batches).toEqual([1, 10, 1]);
      expect((await storedOfKind(kind)).map((row) => row.client_id).sort()).toEqual(["a", "c"]);
    });

    test("input PostgreSQL cannot store (NUL, a lone surrogate) is replaced instead of failing the batch", async () => {
      const audit = createAuditLog(db.sql);
      const kind = `test.unstorable.${randomUUID().slice(0, 8)}`;
      await Promise.all([
        audit.record({ kind, clientId: "nul\u0000client", details: { grant_type: "x\u0000y", half: "\uD800" } }),
        audit.record({ kind, clientId: "neighbour" }),
      ]);
      const rows = await db.sql.query<{ client_id: string; details: Record<string, string> | null }>(
        `SELECT "client_id", "details" FROM "audit_events" WHERE "kind" = $1 ORDER BY "client_id"`,
        [kind],
      );
      expect(rows.map((row) => row.client_id)).toEqual(["neighbour", "nul\uFFFDclient"]);
      expect(rows[1]!.details).toEqual({ grant_type: "x\uFFFDy", half: "\uFFFD" });
    });
  });
});
