// In-memory implementations of the ports in lib/oauth/ports.ts, plus small
// builders shared by the unit tests.
import type { OAuthServerConfig } from "@/lib/oauth/config";
import type {
  ClientRecord,
  ClientStore,
  NewAccessTokenRecord,
  ScopeRecord,
  ScopeStore,
  SigningKeyStore,
  StoredSigningKey,
  TokenStore,
} from "@/lib/oauth/ports";
import { hashClientSecret } from "@/lib/oauth/secrets";

/** A 32+ character deployment secret for KeyEncryption. */
export const TEST_SECRET = "unit-test-secret-0123456789abcdefghijklmnop";

export function testConfig(overrides: Partial<OAuthServerConfig> = {}): OAuthServerConfig {
  return {
    issuer: "https://id.example.test",
    accessTokenLifetime: 3600,
    accessTokenSigningAlg: "RS256",
    defaultAudience: "https://id.example.test/resources",
    ...overrides,
  };
}

let nextClientRow = 1;

/**
 * A confidential client allowed to use the token endpoint with client_credentials.
 * `secret` (plain text) is hashed into clientSecretHashes.
 */
export function makeClient(overrides: Partial<ClientRecord> & { secret?: string } = {}): ClientRecord {
  const { secret, ...rest } = overrides;
  return {
    id: `00000000-0000-4000-8000-${String(nextClientRow++).padStart(12, "0")}`,
    clientId: "service-a",
    displayName: "Service A",
    clientType: "confidential",
    consentType: "explicit",
    clientSecretHashes: secret === undefined ? [] : [hashClientSecret(secret)],
    redirectUris: [],
    postLogoutRedirectUris: [],
    permissions: ["ept:token", "gt:client_credentials"],
    requirements: [],
    accessTokenLifetime: null,
    authorizationCodeLifetime: null,
    idTokenLifetime: null,
    refreshTokenLifetime: null,
    refreshTokenAbsoluteLifetime: null,
    accessTokenSigningAlg: null,
    idTokenSigningAlg: null,
    enabled: true,
    ...rest,
  };
}

export function makeScope(name: string, resources: string[] = [], overrides: Partial<ScopeRecord> = {}): ScopeRecord {
  return { name, displayName: name, description: "", resources, claims: [], ...overrides };
}

export class InMemoryClientStore implements ClientStore {
  readonly clients = new Map<string, ClientRecord>();
  lookups: string[] = [];
  /** When set, every lookup rejects with this error (simulates a database outage). */
  failWith: Error | null = null;

  constructor(clients: ClientRecord[] = []) {
    for (const client of clients) this.add(client);
  }

  add(client: ClientRecord): ClientRecord {
    this.clients.set(client.clientId, client);
    return client;
  }

  async findClientByClientId(clientId: string): Promise<ClientRecord | null> {
    this.lookups.push(clientId);
    if (this.failWith) throw this.failWith;
    return structuredClone(this.clients.get(clientId) ?? null);
  }
}

export class InMemoryScopeStore implements ScopeStore {
  readonly scopes = new Map<string, ScopeRecord>();
  failWith: Error | null = null;

  constructor(scopes: ScopeRecord[] = []) {
    for (const scope of scopes) this.scopes.set(scope.name, scope);
  }

  async findScopesByNames(names: string[]): Promise<ScopeRecord[]> {
    if (this.failWith) throw this.failWith;
    // Like the database: no particular order, no duplicates.
    return [...this.scopes.values()].filter((scope) => names.includes(scope.name)).reverse().map((s) => structuredClone(s));
  }

  async listScopeNames(): Promise<string[]> {
    if (this.failWith) throw this.failWith;
    return [...this.scopes.keys()].sort();
  }
}

export class InMemoryTokenStore implements TokenStore {
  readonly accessTokens: NewAccessTokenRecord[] = [];
  failWith: Error | null = null;

  async recordAccessToken(token: NewAccessTokenRecord): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.accessTokens.push(structuredClone(token));
  }
}

export class InMemorySigningKeyStore implements SigningKeyStore {
  readonly keys: StoredSigningKey[] = [];
  listCalls = 0;
  private tick = 0;

  async listPublishedSigningKeys(): Promise<StoredSigningKey[]> {
    this.listCalls++;
    return this.keys
      .filter((key) => key.status === "active" || key.status === "retiring")
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.kid.localeCompare(b.kid))
      .map((key) => ({ ...key }));
  }

  async insertSigningKey(key: Omit<StoredSigningKey, "createdAt">): Promise<void> {
    if (this.keys.some((existing) => existing.kid === key.kid)) throw new Error(`duplicate kid ${key.kid}`);
    // Strictly increasing timestamps so "newest first" is well defined.
    this.keys.push({ ...key, createdAt: new Date(Date.UTC(2026, 0, 1) + ++this.tick * 1000) });
  }

  setStatus(kid: string, status: StoredSigningKey["status"]): void {
    const key = this.keys.find((candidate) => candidate.kid === kid);
    if (!key) throw new Error(`no key ${kid}`);
    key.status = status;
  }
}

/** A form POST to the token endpoint. */
export function tokenRequest(
  body: Record<string, string> | string,
  options: { basic?: [string, string]; authorization?: string; headers?: Record<string, string>; url?: string } = {},
): Request {
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", ...options.headers };
  if (options.basic) headers.Authorization = basicHeader(options.basic[0], options.basic[1]);
  if (options.authorization) headers.Authorization = options.authorization;
  return new Request(options.url ?? "https://id.example.test/connect/token", {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : new URLSearchParams(body).toString(),
  });
}

/** RFC 6749 §2.3.1: each part form-urlencoded, then base64 of "id:secret". */
export function basicHeader(clientId: string, secret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`, "utf8").toString("base64")}`;
}
