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
import type { PrismaClient } from "./generated/client";

type ApplicationRow = Awaited<ReturnType<PrismaClient["application"]["findUnique"]>> & object;

export function toClientRecord(row: ApplicationRow): ClientRecord {
  return {
    id: row.id,
    clientId: row.clientId,
    displayName: row.displayName,
    clientType: row.clientType === "public" ? "public" : "confidential",
    consentType: row.consentType as ClientRecord["consentType"],
    clientSecretHashes: row.clientSecretHashes,
    redirectUris: row.redirectUris,
    postLogoutRedirectUris: row.postLogoutRedirectUris,
    permissions: row.permissions,
    requirements: row.requirements,
    accessTokenLifetime: row.accessTokenLifetime,
    authorizationCodeLifetime: row.authorizationCodeLifetime,
    idTokenLifetime: row.idTokenLifetime,
    refreshTokenLifetime: row.refreshTokenLifetime,
    refreshTokenAbsoluteLifetime: row.refreshTokenAbsoluteLifetime,
    accessTokenSigningAlg: row.accessTokenSigningAlg as ClientRecord["accessTokenSigningAlg"],
    idTokenSigningAlg: row.idTokenSigningAlg as ClientRecord["idTokenSigningAlg"],
    enabled: row.enabled,
  };
}

export function createClientStore(prisma: PrismaClient): ClientStore {
  return {
    async findClientByClientId(clientId) {
      // PostgreSQL text cannot hold U+0000, so no client has such an id; the query itself would fail.
      if (clientId.includes("\u0000")) return null;
      const row = await prisma.application.findUnique({ where: { clientId } });
      return row ? toClientRecord(row) : null;
    },
  };
}

const scopeSelect = { name: true, displayName: true, description: true, resources: true, claims: true } as const;

export function createScopeStore(prisma: PrismaClient): ScopeStore {
  return {
    async findScopesByNames(names): Promise<ScopeRecord[]> {
      return prisma.scope.findMany({ where: { name: { in: names } }, select: scopeSelect });
    },
    async listScopeNames() {
      const rows = await prisma.scope.findMany({ select: { name: true }, orderBy: { name: "asc" } });
      return rows.map((row) => row.name);
    },
  };
}

export function createTokenStore(prisma: PrismaClient): TokenStore {
  return {
    async recordAccessToken(token: NewAccessTokenRecord) {
      await prisma.token.create({
        data: {
          kind: "access_token",
          jti: token.jti,
          subject: token.subject,
          applicationId: token.applicationId,
          authorizationId: token.authorizationId ?? null,
          grantId: token.grantId ?? null,
          scopes: token.scopes,
          audiences: token.audiences,
          createdAt: token.createdAt,
          expiresAt: token.expiresAt,
        },
        select: { id: true },
      });
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
