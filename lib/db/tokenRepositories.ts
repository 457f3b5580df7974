// The queries behind presented tokens: bearer validation (userinfo and, later,
// resource servers), introspection and revocation. Raw SQL on the driver like
// the other hot-path stores in repositories.ts; one statement per question.
import type { StoredTokenState, StoredTokenStatus, TokenRevocationStore, TokenStateStore } from "../oauth/ports";
import type { Database } from "./client";
import { GroupRead } from "./groupRead";
import { createGrantStore, userIdOfSubject } from "./repositories";

interface TokenStateRow {
  id: string;
  jti: string | null;
  value_hash: string | null;
  kind: string;
  subject: string;
  application_id: string;
  authorization_id: string | null;
  grant_id: string | null;
  scopes: string[];
  audiences: string[];
  status: string;
  grant_revoked: boolean;
  client_enabled: boolean;
  client_redirect_uris: string[] | null;
  created_at: Date;
  expires_at: Date;
  user_id: string | null;
  user_username: string | null;
  user_email: string | null;
  user_email_verified: boolean | null;
  user_name: string | null;
  user_enabled: boolean | null;
  user_updated_at: Date | string | null;
}

function toStatus(status: string): StoredTokenStatus {
  return status === "valid" || status === "redeemed" ? status : "revoked";
}

function toTokenState(row: TokenStateRow): StoredTokenState {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    applicationId: row.application_id,
    authorizationId: row.authorization_id,
    grantId: row.grant_id,
    scopes: row.scopes ?? [],
    audiences: row.audiences ?? [],
    status: toStatus(row.status),
    grantRevoked: row.grant_revoked === true,
    clientEnabled: row.client_enabled === true,
    clientRedirectUris: row.client_redirect_uris ?? [],
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
    expiresAt: row.expires_at instanceof Date ? row.expires_at : new Date(row.expires_at),
    subjectUser:
      row.user_id === null
        ? null
        : {
            id: row.user_id,
            username: row.user_username!,
            email: row.user_email,
            emailVerified: row.user_email_verified === true,
            name: row.user_name!,
            enabled: row.user_enabled === true,
            updatedAt: new Date(row.user_updated_at!),
          },
  };
}

// The token, its grant root and its client in one read: a replayed code
// revokes the root (grants/authorizationCode.ts), and a token whose row was
// written just after that revocation is still refused because its root says
// so. A client disabled in the dashboard takes its live tokens down with it
// (and back, if it is enabled again before they expire). A token of a grant
// brings its user along (userinfo's claims need no second read); its subject
// is then a user id.
const SELECT_WITH_GRANT = `
  SELECT t."id", t."jti", t."value_hash", t."kind", t."subject", t."application_id", t."authorization_id", t."grant_id",
         t."scopes", t."audiences", t."status", t."created_at", t."expires_at",
         COALESCE(g."status" = 'revoked', false) AS "grant_revoked",
         a."enabled" AS "client_enabled", a."redirect_uris" AS "client_redirect_uris",
         u."id" AS "user_id", u."username" AS "user_username", u."email" AS "user_email",
         u."email_verified" AS "user_email_verified", u."name" AS "user_name", u."enabled" AS "user_enabled",
         u."updated_at" AS "user_updated_at"
    FROM "tokens" t
    JOIN "applications" a ON a."id" = t."application_id"
    LEFT JOIN "tokens" g ON g."id" = t."grant_id"
    LEFT JOIN "users" u ON t."grant_id" IS NOT NULL AND u."id" = ${userIdOfSubject("t")}`;

/** The most tokens one read takes. */
const MAX_TOKENS_PER_READ = 64;

/**
 * Concurrent lookups share statements (./groupRead.ts): introspection and userinfo under load ask for
 * many tokens at once, and one `= ANY($1)` statement answers all of them.
 */
export function createTokenStateStore(db: Database): TokenStateStore {
  const byJti = new GroupRead<StoredTokenState>(async (jtis) => {
    const rows = await db.sql.query<TokenStateRow>(`${SELECT_WITH_GRANT} WHERE t."jti" = ANY($1::text[]) AND t."kind" = 'access_token'`, [jtis]);
    return new Map(rows.map((row) => [row.jti!, toTokenState(row)]));
  }, MAX_TOKENS_PER_READ);
  const byValueHash = new GroupRead<StoredTokenState>(async (hashes) => {
    const rows = await db.sql.query<TokenStateRow>(`${SELECT_WITH_GRANT} WHERE t."value_hash" = ANY($1::text[])`, [hashes]);
    return new Map(rows.map((row) => [row.value_hash!, toTokenState(row)]));
  }, MAX_TOKENS_PER_READ);
  return {
    async findAccessTokenByJti(jti) {
      if (jti.includes("\u0000")) return null; // PostgreSQL text cannot hold U+0000
      return (await byJti.get(jti)) ?? null;
    },
    async findTokenByValueHash(valueHash) {
      return (await byValueHash.get(valueHash)) ?? null;
    },
  };
}

export function createTokenRevocationStore(db: Database): TokenRevocationStore {
  // One definition of "revoke a grant" (the replay defence uses the same statement).
  const grants = createGrantStore(db);
  return {
    async revokeToken(id) {
      const rows = await db.sql.query<{ id: string }>(
        `UPDATE "tokens" SET "status" = 'revoked' WHERE "id" = $1::uuid AND "status" <> 'revoked' RETURNING "id"`,
        [id],
      );
      return rows.length > 0;
    },
    revokeGrant: (grantId) => grants.revokeGrant(grantId),
  };
}
