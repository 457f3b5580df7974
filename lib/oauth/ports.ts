// What the protocol core needs from storage, named after the questions it asks.
// lib/db implements these with Prisma; unit tests use in-memory versions.

export type ClientType = "public" | "confidential";
export type ConsentType = "explicit" | "implicit" | "external" | "systematic";
export type SigningAlgorithm = "RS256" | "ES256";

export interface ClientRecord {
  /** Database id (used to link tokens and authorizations). */
  id: string;
  clientId: string;
  displayName: string;
  clientType: ClientType;
  consentType: ConsentType;
  /** SHA-256 (hex) of each valid secret. */
  clientSecretHashes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  permissions: string[];
  requirements: string[];
  accessTokenLifetime: number | null;
  authorizationCodeLifetime: number | null;
  idTokenLifetime: number | null;
  refreshTokenLifetime: number | null;
  refreshTokenAbsoluteLifetime: number | null;
  accessTokenSigningAlg: SigningAlgorithm | null;
  idTokenSigningAlg: SigningAlgorithm | null;
  enabled: boolean;
}

export interface ScopeRecord {
  name: string;
  displayName: string;
  description: string;
  resources: string[];
  claims: string[];
}

export interface ClientStore {
  findClientByClientId(clientId: string): Promise<ClientRecord | null>;
}

export interface ScopeStore {
  findScopesByNames(names: string[]): Promise<ScopeRecord[]>;
  listScopeNames(): Promise<string[]>;
}

export interface NewAccessTokenRecord {
  jti: string;
  subject: string;
  /** Database id of the client. */
  applicationId: string;
  authorizationId?: string | null;
  grantId?: string | null;
  scopes: string[];
  audiences: string[];
  createdAt: Date;
  expiresAt: Date;
}

export interface TokenStore {
  recordAccessToken(token: NewAccessTokenRecord): Promise<void>;
}

export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Public JWK as JSON text. */
  publicJwk: string;
  privateKeyEncrypted: string;
  status: "active" | "retiring" | "retired";
  createdAt: Date;
}

export interface SigningKeyStore {
  /** Keys that are active or retiring, newest first. */
  listPublishedSigningKeys(): Promise<StoredSigningKey[]>;
  insertSigningKey(key: Omit<StoredSigningKey, "createdAt">): Promise<void>;
}

/** The signed-in end user of the current browser request, from the portal session. */
export interface EndUserSession {
  sessionId: string;
  userId: string;
  /** When the user last presented credentials (OIDC auth_time). */
  authTime: Date;
  /** Authentication methods references (RFC 8176), e.g. ["pwd"]. */
  amr: string[];
}

/** Reads (and validates against its session row) the portal session of a request. */
export type SessionReader = (request: Request) => Promise<EndUserSession | null>;
