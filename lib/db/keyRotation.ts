// Signing key rotation (`keys:rotate`): under the startup advisory lock, so
// concurrent rotations (or a rotation during a start) never leave two active
// keys for one algorithm.
import type { KeyEncryption } from "../oauth/keyEncryption";
import { DEFAULT_ID_TOKEN_LIFETIME } from "../oauth/idTokens";
import type { SigningAlgorithm } from "../oauth/ports";
import { computeRetireAfter, rotateSigningKeys, type KeyRotationReport } from "../oauth/signingKeys";
import type { Database } from "./client";
import { withStartupLock } from "./migrate";
import { createSigningKeyStore } from "./repositories";

/** The longest lifetime (seconds) any token this server signs can have: server default, client overrides, ID tokens. */
export async function longestSignedTokenLifetime(db: Database, serverAccessTokenLifetime: number): Promise<number> {
  const rows = await db.sql.query<{ access: number | null; id: number | null }>(
    `SELECT max("access_token_lifetime") AS "access", max("id_token_lifetime") AS "id" FROM "applications"`,
  );
  return Math.max(serverAccessTokenLifetime, DEFAULT_ID_TOKEN_LIFETIME, Number(rows[0]?.access ?? 0), Number(rows[0]?.id ?? 0));
}

export async function rotateKeys(
  db: Database,
  options: {
    encryption: KeyEncryption;
    algs?: readonly SigningAlgorithm[];
    accessTokenLifetime: number;
    keyRefreshSeconds: number;
  },
): Promise<KeyRotationReport & { longestLifetime: number }> {
  return db.withSqlSession((session) =>
    withStartupLock(session, async () => {
      const now = new Date();
      const longestLifetime = await longestSignedTokenLifetime(db, options.accessTokenLifetime);
      const retireAfter = computeRetireAfter({ now, tokenLifetimes: [longestLifetime], keyRefreshSeconds: options.keyRefreshSeconds });
      const report = await rotateSigningKeys(createSigningKeyStore(db.prisma), options.encryption, {
        algs: options.algs,
        retireAfter,
        now,
      });
      return { ...report, longestLifetime };
    }),
  );
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
