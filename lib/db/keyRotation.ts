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
