// Signing key rotation (`keys:rotate`, the dashboard, and the automatic one every
// GATEHOUSE_KEY_ROTATION_DAYS): under the startup advisory lock, so concurrent
// rotations (or a rotation during a start) never leave two active keys for one
// algorithm.
import type { KeyEncryption } from "../oauth/keyEncryption";
import { DEFAULT_ID_TOKEN_LIFETIME } from "../oauth/idTokens";
import type { AuditLog, SigningAlgorithm } from "../oauth/ports";
import { computeRetireAfter, keysDueForRotation, rotateSigningKeys, type KeyRotationReport } from "../oauth/signingKeys";
import type { Database } from "./client";
import { withStartupLock } from "./migrate";
import { createSigningKeyStore } from "./repositories";
import { startRepeatingTask, type RepeatingTask } from "./schedule";

/** The longest lifetime (seconds) any token this server signs can have: server default, client overrides, ID tokens. */
export async function longestSignedTokenLifetime(db: Database, serverAccessTokenLifetime: number): Promise<number> {
  const rows = await db.sql.query<{ access: number | null; id: number | null }>(
    `SELECT max("access_token_lifetime") AS "access", max("id_token_lifetime") AS "id" FROM "applications"`,
  );
  return Math.max(serverAccessTokenLifetime, DEFAULT_ID_TOKEN_LIFETIME, Number(rows[0]?.access ?? 0), Number(rows[0]?.id ?? 0));
}

interface RotationOptions {
  encryption: KeyEncryption;
  accessTokenLifetime: number;
  keyRefreshSeconds: number;
}

/**
 * PGlite is one connection, on which the advisory lock is re-entrant: within a process this chain
 * is what keeps two rotations apart (kept on globalThis, since the server bundle and Next.js's
 * bundles each load this module).
 */
const ROTATIONS = Symbol.for("gatehouse.keyRotations");
type GlobalWithRotations = typeof globalThis & { [ROTATIONS]?: WeakMap<Database, Promise<unknown>> };

/** Runs `work` under the startup lock, after any rotation this process has under way on `db`. */
function underRotationLock<T>(db: Database, work: () => Promise<T>): Promise<T> {
  const holder = globalThis as GlobalWithRotations;
  holder[ROTATIONS] ??= new WeakMap();
  const previous = holder[ROTATIONS].get(db) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => db.withSqlSession((session) => withStartupLock(session, work)));
  holder[ROTATIONS].set(db, next);
  return next;
}

/** Rotates `algs` (all when undefined); the caller holds the rotation lock. */
async function rotateLocked(db: Database, options: RotationOptions, algs: readonly SigningAlgorithm[] | undefined) {
  const now = new Date();
  const longestLifetime = await longestSignedTokenLifetime(db, options.accessTokenLifetime);
  const retireAfter = computeRetireAfter({ now, tokenLifetimes: [longestLifetime], keyRefreshSeconds: options.keyRefreshSeconds });
  const report = await rotateSigningKeys(createSigningKeyStore(db.prisma), options.encryption, { algs, retireAfter, now });
  return { ...report, longestLifetime };
}

export async function rotateKeys(
  db: Database,
  options: RotationOptions & { algs?: readonly SigningAlgorithm[] },
): Promise<KeyRotationReport & { longestLifetime: number }> {
  return underRotationLock(db, () => rotateLocked(db, options, options.algs));
}

/**
 * Rotates the algorithms whose active key is `rotationDays` old (GATEHOUSE_KEY_ROTATION_DAYS), or
 * nothing. The age is read under the lock, so of several instances checking at once the first
 * rotates and the others find fresh keys: exactly one rotation per due key.
 */
export async function rotateKeysDue(
  db: Database,
  options: RotationOptions & { rotationDays: number; now?: () => Date },
): Promise<(KeyRotationReport & { longestLifetime: number }) | null> {
  return underRotationLock(db, async () => {
    const published = await createSigningKeyStore(db.prisma).listPublishedSigningKeys();
    const due = keysDueForRotation(published, (options.now ?? (() => new Date()))(), options.rotationDays);
    return due.length === 0 ? null : rotateLocked(db, options, due);
  });
}

/**
 * Checks every `checkSeconds` (and soon after start) whether a key is due, and rotates it; the
 * rotation is audited as the system's and announced to the other instances by the catalog's
 * notifications (their rings reload). A failure is logged and tried again at the next check.
 */
export function startKeyRotationSchedule(
  db: Database,
  options: RotationOptions & {
    rotationDays: number;
    checkSeconds: number;
    audit: AuditLog;
    onRotated?: () => void;
    log?: (message: string) => void;
  },
): RepeatingTask {
  const log = options.log ?? ((message: string) => console.log(message));
  return startRepeatingTask({
    intervalSeconds: options.checkSeconds,
    firstDelaySeconds: Math.min(5, options.checkSeconds),
    async run() {
      const report = await rotateKeysDue(db, options);
      if (!report) return;
      options.onRotated?.();
      log(`[gatehouse] signing keys older than ${options.rotationDays} days rotated: new ${report.created.map((key) => `${key.alg} ${key.kid}`).join(", ")}`);
      await options.audit.record({
        kind: "system.keys.rotated",
        actor: "system",
        reason: `older than ${options.rotationDays} days (GATEHOUSE_KEY_ROTATION_DAYS)`,
        details: { created: report.created, retiring: report.retiring, retired: report.retired, retireAfter: report.retireAfter.toISOString() },
      });
    },
    onError: (error) => log(`[gatehouse] automatic key rotation failed (next check in ${options.checkSeconds} s): ${error instanceof Error ? error.message : String(error)}`),
  });
}

export interface SigningKeySummary {
  kid: string;
  alg: SigningAlgorithm;
  /** As stored; a retiring key whose retireAfter has passed is no longer published or trusted. */
  status: "active" | "retiring" | "retired";
  createdAt: Date;
  retireAfter: Date | null;
}

/** The keys for the dashboard, active first, then retiring, then retired, newest first; no private material. */
export async function listSigningKeys(db: Pick<Database, "sql">, limit = 50): Promise<SigningKeySummary[]> {
  const rows = await db.sql.query<{ kid: string; alg: string; status: string; created_at: Date | string; retire_after: Date | string | null }>(
    `SELECT "kid", "alg", "status", "created_at", "retire_after" FROM "signing_keys"
      ORDER BY CASE "status" WHEN 'active' THEN 0 WHEN 'retiring' THEN 1 ELSE 2 END, "created_at" DESC, "kid"
      LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg as SigningAlgorithm,
    status: row.status === "active" || row.status === "retiring" ? row.status : "retired",
    createdAt: new Date(row.created_at),
    retireAfter: row.retire_after === null ? null : new Date(row.retire_after),
  }));
}
