import { randomUUID } from "node:crypto";
// The queries the protocol core needs, named after what it asks.
import type {
  ClientRecord,
  ClientStore,
  NewAccessTokenRecord,
  ScopeRecord,
  ScopeStore,
  SigningKeyStore,
  StoredSigningKey,
  TokenStore,
} from "../oauth/ports";
import type { Database } from "./client";
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
  };
}

// The hot-path stores below use raw SQL on the driver (Database.sql): one
// statement each, no per-query compilation. Column names come from
// prisma/schema.prisma's @map attributes; tests/integration exercise them on both backends.

export function createClientStore(db: Database): ClientStore {
  return {
    async findClientByClientId(clientId) {
      // PostgreSQL text cannot hold U+0000, so no client has such an id; the query itself would fail.
      if (clientId.includes("\u0000")) return null;
      const rows = await db.sql.query<ApplicationRow>(`SELECT * FROM "applications" WHERE "client_id" = $1`, [clientId]);
      return rows[0] ? toClientRecord(rows[0]) : null;
    },
  };
}

export function createScopeStore(db: Database): ScopeStore {
  return {
    async findScopesByNames(names): Promise<ScopeRecord[]> {
      if (names.length === 0) return [];
      const rows = await db.sql.query<{ name: string; display_name: string; description: string; resources: string[]; claims: string[] }>(
        `SELECT "name", "display_name", "description", "resources", "claims" FROM "scopes" WHERE "name" = ANY($1::text[])`,
        [names],
      );
      return rows.map((row) => ({
        name: row.name,
        displayName: row.display_name,
        description: row.description,
        resources: row.resources ?? [],
        claims: row.claims ?? [],
      }));
    },
    async listScopeNames() {
      const rows = await db.prisma.scope.findMany({ select: { name: true }, orderBy: { name: "asc" } });
      return rows.map((row) => row.name);
    },
  };
}

export function createTokenStore(db: Database): TokenStore {
  return {
    async recordAccessToken(token: NewAccessTokenRecord) {
      await db.sql.query(
        `INSERT INTO "tokens" ("id", "kind", "jti", "subject", "application_id", "authorization_id", "grant_id",
           "scopes", "audiences", "status", "created_at", "expires_at")
         VALUES ($1::uuid, 'access_token', $2, $3, $4::uuid, $5::uuid, $6::uuid, $7::text[], $8::text[], 'valid', $9, $10)`,
        [
          randomUUID(),
          token.jti,
          token.subject,
          token.applicationId,
          token.authorizationId ?? null,
          token.grantId ?? null,
          token.scopes,
          token.audiences,
          token.createdAt,
          token.expiresAt,
        ],
      );
    },
  };
}

export function createSigningKeyStore(prisma: PrismaClient): SigningKeyStore {
  return {
    async listPublishedSigningKeys(): Promise<StoredSigningKey[]> {
      const rows = await prisma.signingKey.findMany({
        where: { status: { in: ["active", "retiring"] } },
        orderBy: [{ createdAt: "desc" }, { kid: "asc" }],
      });
      return rows.map((row) => ({
        kid: row.kid,
        alg: row.alg as StoredSigningKey["alg"],
        publicJwk: row.publicJwk,
        privateKeyEncrypted: row.privateKeyEncrypted,
        status: row.status as StoredSigningKey["status"],
        createdAt: row.createdAt,
      }));
    },
    async insertSigningKey(key) {
      await prisma.signingKey.create({ data: { ...key } });
    },
  };
}
