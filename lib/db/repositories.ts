import { randomUUID } from "node:crypto";
// The queries the protocol core needs, named after what it asks.
import type {
  AuthorizationCodeBinding,
  AuthorizationCodeStore,
  AuthorizationRecord,
  AuthorizationStore,
  CodeRedemption,
  InteractionStore,
  RefreshTokenPayload,
  RefreshTokenRotation,
  RefreshTokenStore,
  StoredRefreshToken,
  StoredAuthorizationCode,
  StoredInteraction,
  UserStore,
  ClientRecord,
  ClientStore,
  GrantStore,
  IssuedTokenRecord,
  ScopeRecord,
  ScopeStore,
  SigningKeyStore,
  StoredSigningKey,
  TokenStore,
} from "../oauth/ports";
import { compactRequest, expandRequest } from "../oauth/sealedInteraction";
import type { CatalogCache } from "./catalogCache";
import type { Database } from "./client";
import { GroupCommit } from "./groupCommit";
import type { PrismaClient } from "./generated/client";

/** Columns of "applications" as the driver returns them. */
interface ApplicationRow {
  id: string;
  client_id: string;
  display_name: string;
  client_type: string;
  consent_type: string;
  client_secret_hashes: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  permissions: string[];
  requirements: string[];
  access_token_lifetime: number | null;
  authorization_code_lifetime: number | null;
  id_token_lifetime: number | null;
  refresh_token_lifetime: number | null;
  refresh_token_absolute_lifetime: number | null;
  access_token_signing_alg: string | null;
  id_token_signing_alg: string | null;
  enabled: boolean;
  management_api: boolean;
}

export function toClientRecord(row: ApplicationRow): ClientRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    displayName: row.display_name,
    clientType: row.client_type === "public" ? "public" : "confidential",
    consentType: row.consent_type as ClientRecord["consentType"],
    clientSecretHashes: row.client_secret_hashes ?? [],
    redirectUris: row.redirect_uris ?? [],
    postLogoutRedirectUris: row.post_logout_redirect_uris ?? [],
    permissions: row.permissions ?? [],
    requirements: row.requirements ?? [],
    accessTokenLifetime: row.access_token_lifetime,
    authorizationCodeLifetime: row.authorization_code_lifetime,
    idTokenLifetime: row.id_token_lifetime,
    refreshTokenLifetime: row.refresh_token_lifetime,
    refreshTokenAbsoluteLifetime: row.refresh_token_absolute_lifetime,
    accessTokenSigningAlg: row.access_token_signing_alg as ClientRecord["accessTokenSigningAlg"],
    idTokenSigningAlg: row.id_token_signing_alg as ClientRecord["idTokenSigningAlg"],
    enabled: row.enabled,
    managementApi: row.management_api === true,
  };
}

// The hot-path stores below use raw SQL on the driver (Database.sql): one
// statement each, no per-query compilation. Column names come from
// prisma/schema.prisma's @map attributes; tests/integration exercise them on both backends.

/**
 * Clients by client_id. With a catalog cache (lib/db/catalogCache.ts), a client
 * is read once and then kept until a notification says its row changed; without
 * one (the CLI, tests of the store), every call reads.
 */
export function createClientStore(db: Database, catalog?: CatalogCache): ClientStore {
  const read = async (clientId: string) => {
    const rows = await db.sql.query<ApplicationRow>(`SELECT * FROM "applications" WHERE "client_id" = $1`, [clientId]);
    return rows[0] ? toClientRecord(rows[0]) : null;
  };
  return {
    async findClientByClientId(clientId) {
      // PostgreSQL text cannot hold U+0000, so no client has such an id; the query itself would fail.
      if (clientId.includes("\u0000")) return null;
      return catalog ? catalog.client(clientId, () => read(clientId)) : read(clientId);
    },
  };
}

interface ScopeRow {
  name: string;
  display_name: string;
  description: string;
  resources: string[];
  claims: string[];
  access_token_claims: string[];
}

function toScopeRecord(row: ScopeRow): ScopeRecord {
  return {
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    resources: row.resources ?? [],
    claims: row.claims ?? [],
    accessTokenClaims: row.access_token_claims ?? [],
  };
}

const SCOPE_COLUMNS = `"name", "display_name", "description", "resources", "claims", "access_token_claims"`;

/**
 * Scopes by name. With a catalog cache the whole table is read once (scopes are
 * few: the standard ones and an API's handful) and kept until any scope changes;
 * without one, each call reads the names it asks for.
 */
export function createScopeStore(db: Database, catalog?: CatalogCache): ScopeStore {
  const readAll = async () => (await db.sql.query<ScopeRow>(`SELECT ${SCOPE_COLUMNS} FROM "scopes"`)).map(toScopeRecord);
  return {
    async findScopesByNames(names): Promise<ScopeRecord[]> {
      if (names.length === 0) return [];
      if (catalog) {
        const table = await catalog.scopeTable(readAll);
        return [...new Set(names)].flatMap((name) => table.get(name) ?? []);
      }
      const rows = await db.sql.query<ScopeRow>(`SELECT ${SCOPE_COLUMNS} FROM "scopes" WHERE "name" = ANY($1::text[])`, [names]);
      return rows.map(toScopeRecord);
    },
    async listScopeNames() {
      if (catalog) return [...(await catalog.scopeTable(readAll)).keys()].sort();
      const rows = await db.prisma.scope.findMany({ select: { name: true }, orderBy: { name: "asc" } });
      return rows.map((row) => row.name);
    },
  };
}

/** The columns of one issued token row, in the order insertIssuedTokensSql binds them. */
const ISSUED_TOKEN_COLUMNS = [
  ["id", "uuid"],
  ["kind", "text"],
  ["jti", "text"],
  ["value_hash", "text"],
  ["subject", "text"],
  ["application_id", "uuid"],
  ["authorization_id", "uuid"],
  ["grant_id", "uuid"],
  ["scopes", "text[]"],
  ["audiences", "text[]"],
  ["payload", "jsonb"],
  ["created_at", "timestamptz"],
  ["expires_at", "timestamptz"],
] as const;

const issuedTokensSql = new Map<string, string>();

/**
 * One INSERT for the rows of a token response. Each row of a grant is written
 * revoked when its grant root already is (a replay revoked the grant before this
 * response's rows existed): the check and the write are one statement. Rows of
 * no grant (client_credentials) have no root to check: a plain INSERT, which
 * PostgreSQL plans for less than the INSERT … SELECT with its subquery.
 */
function insertIssuedTokensSql(rowCount: number, ofGrant: boolean): string {
  const key = `${rowCount}:${ofGrant}`;
  const cached = issuedTokensSql.get(key);
  if (cached) return cached;
  const width = ISSUED_TOKEN_COLUMNS.length;
  const rows = Array.from({ length: rowCount }, (_, row) => ISSUED_TOKEN_COLUMNS.map(([, type], column) => `$${row * width + column + 1}::${type}`));
  const values = rows.map((row) => `(${row.join(", ")})`).join(", ");
  const names = ISSUED_TOKEN_COLUMNS.map(([name]) => `"${name}"`);
  const sql = ofGrant
    ? `INSERT INTO "tokens" (${names.join(", ")}, "status")
     SELECT ${names.map((name) => `r.${name}`).join(", ")},
            CASE WHEN EXISTS (SELECT 1 FROM "tokens" g WHERE g."id" = r."grant_id" AND g."status" = 'revoked') THEN 'revoked' ELSE 'valid' END
       FROM (VALUES ${values}) AS r (${names.join(", ")})`
    : `INSERT INTO "tokens" (${names.join(", ")}, "status") VALUES ${rows.map((row) => `(${row.join(", ")}, 'valid')`).join(", ")}`;
  issuedTokensSql.set(key, sql);
  return sql;
}

function issuedTokenParameters(token: IssuedTokenRecord): unknown[] {
  const refresh = token.kind === "refresh_token" ? token : null;
  return [
    randomUUID(),
    token.kind,
    token.kind === "access_token" ? token.jti : null,
    refresh?.valueHash ?? null,
    token.subject,
    token.applicationId,
    token.authorizationId ?? null,
    token.grantId ?? null,
    token.scopes,
    token.audiences,
    refresh ? JSON.stringify(refresh.payload) : null,
    token.createdAt,
    token.expiresAt,
  ];
}

/** The most token rows one INSERT takes (each row binds 13 parameters). */
const MAX_ISSUED_TOKENS_PER_STATEMENT = 64;

/**
 * Token rows are written by group commit (./groupCommit.ts): the rows of
 * concurrent token responses share one INSERT. A response's rows are still
 * written together, and the response leaves only after they are stored.
 */
export function createTokenStore(db: Database): TokenStore & { flush(): Promise<void> } {
  const writer = new GroupCommit<IssuedTokenRecord>(async (tokens) => {
    const ofGrant = tokens.some((token) => token.grantId != null);
    await db.sql.query(insertIssuedTokensSql(tokens.length, ofGrant), tokens.flatMap(issuedTokenParameters));
  }, MAX_ISSUED_TOKENS_PER_STATEMENT);
  return {
    recordIssuedTokens: (tokens) => writer.add(tokens),
    flush: () => writer.flush(),
  };
}

/** Every row of a grant carries the root's id as grant_id, the root (the code) included. */
export function createGrantStore(db: Database): GrantStore {
  return {
    async revokeGrant(grantId) {
      const rows = await db.sql.query<{ id: string }>(
        `UPDATE "tokens" SET "status" = 'revoked' WHERE "grant_id" = $1::uuid AND "status" <> 'revoked' RETURNING "id"`,
        [grantId],
      );
      return rows.length;
    },
  };
}

export function createSigningKeyStore(prisma: PrismaClient): SigningKeyStore {
  return {
    async listPublishedSigningKeys(): Promise<StoredSigningKey[]> {
      // A retiring key past retire_after is left out even before a rotation marks it retired.
      const rows = await prisma.signingKey.findMany({
        where: {
          OR: [
            { status: "active" },
            { status: "retiring", OR: [{ retireAfter: null }, { retireAfter: { gt: new Date() } }] },
          ],
        },
        orderBy: [{ createdAt: "desc" }, { kid: "asc" }],
      });
      return rows.map((row) => ({
        kid: row.kid,
        alg: row.alg as StoredSigningKey["alg"],
        publicJwk: row.publicJwk,
        privateKeyEncrypted: row.privateKeyEncrypted,
        status: row.status as StoredSigningKey["status"],
        createdAt: row.createdAt,
        retireAfter: row.retireAfter,
      }));
    },
    async insertSigningKey(key) {
      await prisma.signingKey.create({ data: { ...key } });
    },
    async rotateSigningKeys(keys, retireAfter, now) {
      return prisma.$transaction(async (tx) => {
        const expired = await tx.signingKey.findMany({
          where: { status: "retiring", retireAfter: { lte: now } },
          select: { kid: true },
        });
        if (expired.length) {
          await tx.signingKey.updateMany({ where: { kid: { in: expired.map((key) => key.kid) } }, data: { status: "retired" } });
        }
        const algs = [...new Set(keys.map((key) => key.alg))];
        const previous = await tx.signingKey.findMany({ where: { status: "active", alg: { in: algs } }, select: { kid: true } });
        if (previous.length) {
          await tx.signingKey.updateMany({
            where: { kid: { in: previous.map((key) => key.kid) } },
            data: { status: "retiring", retireAfter },
          });
        }
        for (const key of keys) {
          await tx.signingKey.create({ data: { ...key, status: "active", retireAfter: null } });
        }
        return { retiring: previous.map((key) => key.kid), retired: expired.map((key) => key.kid) };
      });
    },
  };
}

export function createUserStore(db: Database): UserStore {
  return {
    async findUserById(id) {
      if (!UUID.test(id)) return null;
      const rows = await db.sql.query<{
        id: string;
        username: string;
        email: string | null;
        email_verified: boolean;
        name: string;
        enabled: boolean;
        updated_at: Date;
      }>(`SELECT "id", "username", "email", "email_verified", "name", "enabled", "updated_at" FROM "users" WHERE "id" = $1::uuid`, [id]);
      const row = rows[0];
      return row
        ? { id: row.id, username: row.username, email: row.email, emailVerified: row.email_verified, name: row.name, enabled: row.enabled, updatedAt: row.updated_at }
        : null;
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toAuthorizationRecord(row: { id: string; applicationId: string; userId: string; scopes: string[]; type: string }): AuthorizationRecord {
  return { id: row.id, applicationId: row.applicationId, userId: row.userId, scopes: row.scopes, type: row.type === "ad-hoc" ? "ad-hoc" : "permanent" };
}

export function createAuthorizationStore(db: Database): AuthorizationStore {
  return {
    async findPermanentAuthorization(userId, applicationId) {
      const rows = await db.sql.query<{ id: string; scopes: string[] }>(
        `SELECT "id", "scopes" FROM "authorizations"
          WHERE "user_id" = $1::uuid AND "application_id" = $2::uuid AND "status" = 'valid' AND "type" = 'permanent'
          ORDER BY "created_at" DESC LIMIT 1`,
        [userId, applicationId],
      );
      const row = rows[0];
      return row ? { id: row.id, applicationId, userId, scopes: row.scopes ?? [], type: "permanent" } : null;
    },
    async savePermanentAuthorization(userId, applicationId, scopes) {
      return db.prisma.$transaction(async (tx) => {
        const existing = await tx.authorization.findFirst({
          where: { userId, applicationId, status: "valid", type: "permanent" },
          orderBy: { createdAt: "desc" },
        });
        if (existing) {
          const merged = [...new Set([...existing.scopes, ...scopes])];
          return toAuthorizationRecord(await tx.authorization.update({ where: { id: existing.id }, data: { scopes: merged } }));
        }
        return toAuthorizationRecord(await tx.authorization.create({ data: { userId, applicationId, scopes, type: "permanent" } }));
      });
    },
    async createAdHocAuthorization(userId, applicationId, scopes) {
      return toAuthorizationRecord(await db.prisma.authorization.create({ data: { userId, applicationId, scopes, type: "ad-hoc" } }));
    },
  };
}

/** Columns of "interactions" as the driver returns them. */
interface InteractionRow {
  id: string;
  application_id: string;
  request: unknown;
  user_id: string | null;
  consent: string | null;
  granted_scopes: string[] | null;
  created_at: Date | string;
  expires_at: Date | string;
}

const INTERACTION_COLUMNS = `"id", "application_id", "request", "user_id", "consent", "granted_scopes", "created_at", "expires_at"`;

function toStoredInteraction(row: InteractionRow): StoredInteraction | null {
  const request = expandRequest(jsonColumn(row.request));
  if (!request) return null;
  return {
    id: row.id,
    applicationId: row.application_id,
    request,
    userId: row.user_id,
    consent: row.consent === "granted" || row.consent === "denied" ? row.consent : null,
    grantedScopes: row.granted_scopes ?? [],
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  };
}

// Only a signed-in user's consent step writes here (decision 0010); a request
// waiting for sign-in is sealed into the login URL. The request is stored compactly.
export function createInteractionStore(db: Database): InteractionStore {
  return {
    async createInteraction(interaction) {
      const rows = await db.sql.query(
        `INSERT INTO "interactions" ("id", "application_id", "request", "user_id", "created_at", "expires_at")
         VALUES ($1, $2::uuid, $3::jsonb, $4::uuid, $5, $6)
         ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
        [
          interaction.id,
          interaction.applicationId,
          JSON.stringify(compactRequest(interaction.request)),
          interaction.userId,
          interaction.createdAt,
          interaction.expiresAt,
        ],
      );
      return rows.length === 1;
    },
    async findInteraction(id) {
      const rows = await db.sql.query<InteractionRow>(
        `SELECT ${INTERACTION_COLUMNS} FROM "interactions" WHERE "id" = $1 AND "expires_at" > now() AND "consumed_at" IS NULL`,
        [id],
      );
      return rows[0] ? toStoredInteraction(rows[0]) : null;
    },
    async updateInteraction(id, patch) {
      await db.prisma.interaction.updateMany({ where: { id, consumedAt: null }, data: patch });
    },
    async consumeInteraction(id) {
      // One statement: of concurrent consumers exactly one sees the row updated. The marked row stays
      // until it expires (then lib/db/purge.ts deletes it), so the seal it came from cannot make it again.
      const rows = await db.sql.query<InteractionRow>(
        `UPDATE "interactions" SET "consumed_at" = now()
          WHERE "id" = $1 AND "consumed_at" IS NULL AND "expires_at" > now()
          RETURNING ${INTERACTION_COLUMNS}`,
        [id],
      );
      return rows[0] ? toStoredInteraction(rows[0]) : null;
    },
    async consumeSealedInteraction(interaction) {
      // A marker row without the request; a pending row of the same id (a consent page left open) is consumed by it.
      const rows = await db.sql.query(
        `INSERT INTO "interactions" ("id", "application_id", "request", "user_id", "created_at", "expires_at", "consumed_at")
         VALUES ($1, $2::uuid, NULL, $3::uuid, $4, $5, now())
         ON CONFLICT ("id") DO UPDATE SET "consumed_at" = now() WHERE "interactions"."consumed_at" IS NULL
         RETURNING "id"`,
        [interaction.id, interaction.applicationId, interaction.userId, interaction.createdAt, interaction.expiresAt],
      );
      return rows.length === 1;
    },
  };
}

/** Columns every opaque-token row (codes, refresh tokens) shares. */
interface TokenRow {
  id: string;
  subject: string;
  application_id: string;
  authorization_id: string | null;
  scopes: string[];
  audiences: string[];
  status: string;
  expires_at: Date;
  payload: unknown;
}

/** A JSON column: PGlite returns it parsed, some drivers as text. */
function jsonColumn(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

function tokenRowFields(row: TokenRow) {
  return {
    id: row.id,
    subject: row.subject,
    applicationId: row.application_id,
    authorizationId: row.authorization_id,
    scopes: row.scopes ?? [],
    audiences: row.audiences ?? [],
    expiresAt: row.expires_at instanceof Date ? row.expires_at : new Date(row.expires_at),
  };
}

interface CodeRow extends TokenRow {
  created_at?: Date;
}

function toStoredCode(row: CodeRow): StoredAuthorizationCode {
  return {
    ...tokenRowFields(row),
    binding: jsonColumn(row.payload) as AuthorizationCodeBinding,
    ...(row.created_at ? { createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at) } : {}),
  };
}

/**
 * Codes are written one INSERT each and redeemed one UPDATE each. Sharing statements between concurrent
 * requests, as token rows do, was measured and dropped: the code flow waits on both steps in turn, and
 * batching them cost it 17 % of its throughput (docs/benchmarks.md, issue #12 second round).
 */
export function createAuthorizationCodeStore(db: Database): AuthorizationCodeStore {
  const columns = `"id", "subject", "application_id", "authorization_id", "scopes", "audiences", "status", "expires_at", "payload", "created_at"`;
  return {
    async recordAuthorizationCode(code) {
      const id = randomUUID();
      // The code is the root of its grant: everything issued from it carries grant_id = its id.
      await db.sql.query(
        `INSERT INTO "tokens" ("id", "kind", "value_hash", "subject", "application_id", "authorization_id", "grant_id",
           "scopes", "audiences", "status", "payload", "created_at", "expires_at")
         VALUES ($1::uuid, 'authorization_code', $2, $3, $4::uuid, $5::uuid, $1::uuid, $6::text[], $7::text[], 'valid', $8::jsonb, $9, $10)`,
        [id, code.valueHash, code.subject, code.applicationId, code.authorizationId, code.scopes, code.audiences, JSON.stringify(code.binding), code.createdAt, code.expiresAt],
      );
    },
    async redeemAuthorizationCode(valueHash, applicationId, now): Promise<CodeRedemption> {
      // One statement decides: of concurrent redemptions exactly one sees its row updated.
      const redeemed = await db.sql.query<CodeRow>(
        `UPDATE "tokens" SET "status" = 'redeemed', "redeemed_at" = $3
          WHERE "value_hash" = $1 AND "kind" = 'authorization_code' AND "status" = 'valid'
            AND "application_id" = $2::uuid AND "expires_at" > $3
          RETURNING ${columns}`,
        [valueHash, applicationId, now],
      );
      if (redeemed[0]) return { status: "redeemed", code: toStoredCode(redeemed[0]) };
      const rows = await db.sql.query<CodeRow>(
        `SELECT ${columns} FROM "tokens" WHERE "value_hash" = $1 AND "kind" = 'authorization_code'`,
        [valueHash],
      );
      const row = rows[0];
      if (!row) return { status: "unknown" };
      if (row.application_id !== applicationId) return { status: "wrong_client" };
      if (row.status !== "valid") return { status: "replayed", code: toStoredCode(row) };
      return { status: "expired" };
    },
  };
}

interface RefreshTokenRow extends TokenRow {
  grant_id: string;
  grant_revoked?: boolean;
}

function toStoredRefreshToken(row: RefreshTokenRow): StoredRefreshToken {
  return {
    ...tokenRowFields(row),
    grantId: row.grant_id,
    payload: jsonColumn(row.payload) as RefreshTokenPayload,
  };
}

/**
 * SQL for the user id a token row's subject names, or NULL when the subject is
 * not a user id (a client_id): compared with users."id" it keeps the primary
 * key's index, and the CASE keeps the cast away from anything but a UUID.
 */
export function userIdOfSubject(alias: string): string {
  return `CASE WHEN ${alias}."subject" ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN ${alias}."subject"::uuid END`;
}

export function createRefreshTokenStore(db: Database): RefreshTokenStore {
  const columns = `"id", "grant_id", "subject", "application_id", "authorization_id", "scopes", "audiences", "status", "expires_at", "payload"`;
  return {
    async rotateRefreshToken(valueHash, applicationId, requestedScopes, now): Promise<RefreshTokenRotation> {
      // One statement: of concurrent rotations exactly one sees its row updated. It also
      // reads whether the grant is still authorized (user enabled, consent valid), which the
      // caller checks next; a refused grant is then revoked whole, the rotated token with it.
      // (Sharing one UPDATE between concurrent rotations was measured and dropped: refresh at 0.86x.)
      const rotated = await db.sql.query<RefreshTokenRow & { grant_authorized: boolean }>(
        `UPDATE "tokens" t SET "status" = 'redeemed', "redeemed_at" = $3
          WHERE t."value_hash" = $1 AND t."kind" = 'refresh_token' AND t."status" = 'valid'
            AND t."application_id" = $2::uuid AND t."expires_at" > $3 AND t."scopes" @> $4::text[]
            AND NOT EXISTS (SELECT 1 FROM "tokens" g WHERE g."id" = t."grant_id" AND g."status" = 'revoked')
          RETURNING ${columns.replace(/"(\w+)"/g, 't."$1"')},
            (EXISTS (SELECT 1 FROM "users" u WHERE u."id" = ${userIdOfSubject("t")} AND u."enabled")
              AND (t."authorization_id" IS NULL
                   OR EXISTS (SELECT 1 FROM "authorizations" z WHERE z."id" = t."authorization_id" AND z."status" = 'valid'))) AS "grant_authorized"`,
        [valueHash, applicationId, now, requestedScopes],
      );
      if (rotated[0]) return { status: "rotated", token: toStoredRefreshToken(rotated[0]), grantAuthorized: rotated[0].grant_authorized === true };
      const rows = await db.sql.query<RefreshTokenRow>(
        `SELECT ${columns.replace(/"(\w+)"/g, 't."$1"')}, COALESCE(g."status" = 'revoked', false) AS "grant_revoked"
           FROM "tokens" t LEFT JOIN "tokens" g ON g."id" = t."grant_id"
          WHERE t."value_hash" = $1 AND t."kind" = 'refresh_token'`,
        [valueHash],
      );
      const row = rows[0];
      if (!row) return { status: "unknown" };
      if (row.application_id !== applicationId) return { status: "wrong_client" };
      if (row.status === "redeemed") return { status: "replayed", token: toStoredRefreshToken(row) };
      if (row.status !== "valid" || row.grant_revoked) return { status: "revoked" };
      if (new Date(row.expires_at).getTime() <= now.getTime()) return { status: "expired" };
      return { status: "scope_exceeded", token: toStoredRefreshToken(row) };
    },
  };
}
