// Deletes what has expired, so that storage stays bounded (docs/decisions/0010-bounded-storage-and-purge.md).
//
// One instance at a time: the run holds a PostgreSQL advisory lock on its own
// connection (pg_try_advisory_lock: an instance that finds it taken skips this
// run). Deletes go in batches of `batchSize` rows, one short statement each, so
// that a large backlog never holds row locks for long nor blocks the embedded
// database's single connection for more than a moment.
import { KNOWN_ADDRESS_DAYS } from "./signInThrottleStore";
import type { Database } from "./client";
import type { SqlSession } from "./migrate";
import { startRepeatingTask, type RepeatingTask } from "./schedule";

/** Key of the advisory lock held while purging (the startup lock is STARTUP_LOCK_KEY in migrate.ts). */
export const PURGE_LOCK_KEY = 7_301_947_222;

export interface PurgeOptions {
  /** Audit events older than this many days are deleted; null keeps them forever. */
  auditRetentionDays: number | null;
  /** Rows per DELETE statement. */
  batchSize?: number;
  now?: () => Date;
  /** Stops the run between two batches (the server is closing); what is left waits for the next run. */
  signal?: AbortSignal;
}

export interface PurgeCounts {
  interactions: number;
  tokens: number;
  authorizations: number;
  sessions: number;
  signInThrottles: number;
  auditEvents: number;
}

export type PurgeReport =
  | { status: "purged"; deleted: PurgeCounts }
  /** "locked": another instance is purging; "running": this process already is. */
  | { status: "skipped"; reason: "locked" | "running" };

const DEFAULT_BATCH_SIZE = 1000;

interface Batching {
  batchSize: number;
  signal?: AbortSignal;
}
/**
 * An ad-hoc or revoked authorization without tokens is deleted only when it has
 * not changed for this long: a new ad-hoc authorization has no tokens for the
 * moment between its insert and its code's.
 */
const AUTHORIZATION_GRACE_SECONDS = 24 * 3600;
/**
 * A sign-in throttle row untouched (window started, lock ended) for this long is
 * forgotten: longer than any throttle window or lock (lib/auth/throttle.ts: 15 minutes).
 */

/** A DELETE of at most $2 rows that returns how many went: `selectIds` selects the doomed ids ($1 = a timestamp). */
function batchDelete(table: string, selectIds: string): string {
  return `WITH doomed AS (${selectIds} LIMIT $2),
          gone AS (DELETE FROM "${table}" WHERE "id" IN (SELECT "id" FROM doomed) RETURNING 1)
          SELECT count(*)::int AS "n" FROM gone`;
}

/** Runs `statement` ($1 = a timestamp, $2 = batch size) until a batch deletes fewer than a full batch. */
async function deleteInBatches(session: SqlSession, statement: string, at: Date, batch: Batching): Promise<number> {
  const { batchSize, signal } = batch;
  let total = 0;
  for (;;) {
    if (signal?.aborted) return total;
    const { rows } = await session.query(statement, [at, batchSize]);
    const deleted = Number(rows[0]?.n ?? 0);
    total += deleted;
    if (deleted < batchSize) return total;
    // Let waiting requests in between batches (the embedded database has one connection).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Interactions past their expiry, consumed or not (a consumed row only guards its seal until then). */
function purgeInteractions(session: SqlSession, now: Date, batching: Batching): Promise<number> {
  return deleteInBatches(
    session,
    batchDelete("interactions", `SELECT "id" FROM "interactions" WHERE "expires_at" <= $1`),
    now,
    batching,
  );
}

/**
 * Codes, access and refresh tokens past their own expiry. A grant's root (the
 * code every token of the grant names in grant_id) stays while any token of its
 * grant is left: a replayed code and the revoked-root check of refresh rotation
 * still find it. Rotated and revoked rows stay until their own expiry, so reuse
 * detection works for as long as the token could have been used.
 */
function purgeTokens(session: SqlSession, now: Date, batching: Batching): Promise<number> {
  return deleteInBatches(
    session,
    batchDelete(
      "tokens",
      `SELECT t."id" FROM "tokens" t
        WHERE t."expires_at" <= $1
          AND NOT EXISTS (SELECT 1 FROM "tokens" f WHERE f."grant_id" = t."id" AND f."id" <> t."id")`,
    ),
    now,
    batching,
  );
}

/** One-flow (ad-hoc) and revoked authorizations nothing refers to any more; a user's valid consent stays. */
function purgeAuthorizations(session: SqlSession, now: Date, batching: Batching): Promise<number> {
  return deleteInBatches(
    session,
    batchDelete(
      "authorizations",
      `SELECT a."id" FROM "authorizations" a
        WHERE (a."type" = 'ad-hoc' OR a."status" <> 'valid')
          AND a."updated_at" <= $1::timestamptz - make_interval(secs => ${AUTHORIZATION_GRACE_SECONDS})
          AND NOT EXISTS (SELECT 1 FROM "tokens" t WHERE t."authorization_id" = a."id")`,
    ),
    now,
    batching,
  );
}

/** Sign-in sessions past their expiry (ended ones included). */
function purgeSessions(session: SqlSession, now: Date, batching: Batching): Promise<number> {
  return deleteInBatches(session, batchDelete("sessions", `SELECT "id" FROM "sessions" WHERE "expires_at" <= $1`), now, batching);
}

/**
 * Sign-in limiter rows (lib/db/signInThrottleStore.ts) past their expiry, and
 * known sign-in addresses that no longer count as known. The limiter library
 * also clears its expired rows on its own timer; this keeps the table bounded
 * on an instance where that timer has not run.
 */
async function purgeSignInThrottles(session: SqlSession, now: Date, batching: Batching): Promise<number> {
  const limits = await deleteInBatches(
    session,
    `WITH doomed AS (SELECT "key" FROM "sign_in_limits" WHERE "expire" IS NOT NULL AND "expire" <= (extract(epoch FROM $1::timestamptz) * 1000)::bigint LIMIT $2),
          gone AS (DELETE FROM "sign_in_limits" WHERE "key" IN (SELECT "key" FROM doomed) RETURNING 1)
          SELECT count(*)::int AS "n" FROM gone`,
    now,
    batching,
  );
  const knownUntil = new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 86_400_000);
  const addresses = await deleteInBatches(
    session,
    `WITH doomed AS (SELECT "user_id", "address_hash" FROM "known_sign_in_addresses" WHERE "last_success_at" <= $1 LIMIT $2),
          gone AS (DELETE FROM "known_sign_in_addresses" k USING doomed d
                    WHERE k."user_id" = d."user_id" AND k."address_hash" = d."address_hash" RETURNING 1)
          SELECT count(*)::int AS "n" FROM gone`,
    knownUntil,
    batching,
  );
  return limits + addresses;
}

/** Audit events older than the retention (GATEHOUSE_AUDIT_RETENTION_DAYS). */
function purgeAuditEvents(session: SqlSession, now: Date, retentionDays: number | null, batching: Batching): Promise<number> {
  if (retentionDays === null) return Promise.resolve(0);
  const cutoff = new Date(now.getTime() - retentionDays * 24 * 3600 * 1000);
  return deleteInBatches(session, batchDelete("audit_events", `SELECT "id" FROM "audit_events" WHERE "at" < $1`), cutoff, batching);
}

/**
 * PGlite is one connection, on which an advisory lock is re-entrant: within a
 * process this flag is what keeps two runs apart (kept on globalThis, since the
 * server bundle and Next.js's bundles each load this module).
 */
const RUNNING = Symbol.for("gatehouse.purgeRunning");
type GlobalWithPurge = typeof globalThis & { [RUNNING]?: Set<Database> };

/** Deletes everything expired, once, unless another run (here or on another instance) is under way. */
export async function purgeExpired(db: Database, options: PurgeOptions): Promise<PurgeReport> {
  const holder = globalThis as GlobalWithPurge;
  holder[RUNNING] ??= new Set();
  const running = holder[RUNNING];
  if (running.has(db)) return { status: "skipped", reason: "running" };
  running.add(db);
  try {
    return await db.withSqlSession(async (session) => {
      const { rows } = await session.query(`SELECT pg_try_advisory_lock($1) AS "locked"`, [PURGE_LOCK_KEY]);
      if (rows[0]?.locked !== true) return { status: "skipped", reason: "locked" } as const;
      try {
        const now = (options.now ?? (() => new Date()))();
        const batching: Batching = { batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE, signal: options.signal };
        const deleted: PurgeCounts = {
          interactions: await purgeInteractions(session, now, batching),
          tokens: await purgeTokens(session, now, batching),
          authorizations: await purgeAuthorizations(session, now, batching),
          sessions: await purgeSessions(session, now, batching),
          signInThrottles: await purgeSignInThrottles(session, now, batching),
          auditEvents: await purgeAuditEvents(session, now, options.auditRetentionDays, batching),
        };
        return { status: "purged", deleted } as const;
      } finally {
        await session.query(`SELECT pg_advisory_unlock($1)`, [PURGE_LOCK_KEY]);
      }
    });
  } finally {
    running.delete(db);
  }
}

/**
 * Runs purgeExpired every `intervalSeconds`, the first time `firstDelaySeconds`
 * after start (lib/db/schedule.ts); a failure is logged, never thrown.
 */
export function startPurgeSchedule(
  db: Database,
  options: PurgeOptions & { intervalSeconds: number; firstDelaySeconds?: number; log?: (message: string) => void },
): RepeatingTask {
  const log = options.log ?? ((message: string) => console.log(message));
  return startRepeatingTask({
    intervalSeconds: options.intervalSeconds,
    firstDelaySeconds: options.firstDelaySeconds ?? Math.min(30, options.intervalSeconds),
    async run(signal) {
      const report = await purgeExpired(db, { ...options, signal });
      if (report.status === "purged") {
        const parts = Object.entries(report.deleted).filter(([, count]) => count > 0).map(([table, count]) => `${count} ${table}`);
        if (parts.length > 0) log(`[gatehouse] purge: deleted ${parts.join(", ")}`);
      }
    },
    onError: (error) => log(`[gatehouse] purge failed (next run in ${options.intervalSeconds} s): ${error instanceof Error ? error.message : String(error)}`),
  });
}
