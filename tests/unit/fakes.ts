// In-memory implementations of the ports in lib/oauth/ports.ts, plus small
// builders shared by the unit tests.
import type { AccessTokenRequest } from "@/lib/oauth/accessTokens";
import { issueTokens } from "@/lib/oauth/tokenResponse";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { generateSigningKey, KeyRing, SUPPORTED_SIGNING_ALGORITHMS } from "@/lib/oauth/signingKeys";
import type { StoredTokenState, TokenRevocationStore, TokenStateStore } from "@/lib/oauth/ports";
import { createAuthorizeEndpoint } from "@/lib/oauth/authorize";
import { InteractionSealer } from "@/lib/oauth/sealedInteraction";
import { createTokenEndpoint, type TokenEndpointDeps } from "@/lib/oauth/token";
import type { OAuthServerConfig } from "@/lib/oauth/config";
import type { ConsentDeps } from "@/lib/oauth/consent";
import type {
  ClientRecord,
  ClientStore,
  GrantStore,
  IssuedTokenRecord,
  NewAccessTokenRecord,
  ScopeRecord,
  ScopeStore,
  SigningKeyStore,
  StoredSigningKey,
  TokenStore,
  AuthorizationCodeStore,
  AuthorizationRecord,
  AuthorizationStore,
  CodeRedemption,
  EndUserSession,
  InteractionStore,
  StoredAuthorizationCode,
  StoredInteraction,
  UserRecord,
  UserStore,
} from "@/lib/oauth/ports";
import { hashClientSecret } from "@/lib/oauth/secrets";

/** A 32-byte key (base64url) for sealing interactions. */
export const TEST_INTERACTION_KEY = Buffer.alloc(32, 7).toString("base64url");

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
    managementApi: false,
    ...rest,
  };
}

export function makeScope(name: string, resources: string[] = [], overrides: Partial<ScopeRecord> = {}): ScopeRecord {
  return { name, displayName: name, description: "", resources, claims: [], accessTokenClaims: [], ...overrides };
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

  /** RedirectUriSource (lib/oauth/cors.ts), like lib/db/redirectOrigins.ts. */
  async listEnabledRedirectUris(): Promise<string[]> {
    return [...this.clients.values()].filter((client) => client.enabled).flatMap((client) => client.redirectUris);
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

type StoredStatus = "valid" | "redeemed" | "revoked";

/**
 * What token responses write: access token rows here, refresh token rows into
 * `grants.refreshTokens`. Like lib/db's one INSERT, a row whose grant root (the
 * code in `grants.codes`) is already revoked is written revoked.
 */
export class InMemoryTokenStore implements TokenStore {
  readonly accessTokens: Array<NewAccessTokenRecord & { status: StoredStatus }> = [];
  failWith: Error | null = null;

  constructor(private readonly grants: { codes?: InMemoryAuthorizationCodeStore; refreshTokens?: InMemoryRefreshTokenStore } = {}) {}

  async recordIssuedTokens(tokens: readonly IssuedTokenRecord[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const token of tokens) {
      const status: StoredStatus = token.grantId && this.grants.codes?.isRootRevoked(token.grantId) ? "revoked" : "valid";
      if (token.kind === "access_token") {
        this.accessTokens.push({ ...structuredClone(token), status });
      } else {
        if (!this.grants.refreshTokens) throw new Error("InMemoryTokenStore: no refresh token store to write to");
        this.grants.refreshTokens.add(token, status);
      }
    }
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

  rotateCalls = 0;

  async rotateSigningKeys(
    keys: Omit<StoredSigningKey, "createdAt">[],
    retireAfter: Date,
    now: Date,
  ): Promise<{ retiring: string[]; retired: string[] }> {
    this.rotateCalls++;
    const retired: string[] = [];
    for (const key of this.keys) {
      if (key.status === "retiring" && key.retireAfter && key.retireAfter.getTime() <= now.getTime()) {
        key.status = "retired";
        retired.push(key.kid);
      }
    }
    const algs = new Set(keys.map((key) => key.alg));
    const retiring: string[] = [];
    for (const key of this.keys) {
      if (key.status === "active" && algs.has(key.alg)) {
        key.status = "retiring";
        key.retireAfter = retireAfter;
        retiring.push(key.kid);
      }
    }
    for (const key of keys) await this.insertSigningKey({ ...key, status: "active", retireAfter: null });
    return { retiring, retired };
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

// ---- authorization code flow -------------------------------------------------

/** Codes in memory; as a GrantStore, revoking a grant revokes its root (the code), which stops everything issued from it. */
export class InMemoryAuthorizationCodeStore implements AuthorizationCodeStore, GrantStore {
  readonly codes = new Map<string, StoredAuthorizationCode & { valueHash: string; status: "valid" | "redeemed" | "revoked" }>();
  /** grant ids revoked, in order. */
  readonly revokedGrants: string[] = [];

  async recordAuthorizationCode(code: Omit<StoredAuthorizationCode, "id"> & { valueHash: string; createdAt: Date }) {
    const id = crypto.randomUUID();
    const { createdAt: _createdAt, ...rest } = code;
    this.codes.set(code.valueHash, { ...structuredClone(rest), id, status: "valid" });
  }

  async redeemAuthorizationCode(valueHash: string, applicationId: string, now: Date): Promise<CodeRedemption> {
    const code = this.codes.get(valueHash);
    if (!code) return { status: "unknown" };
    if (code.applicationId !== applicationId) return { status: "wrong_client" };
    if (code.status !== "valid") return { status: "replayed", code };
    if (code.expiresAt <= now) return { status: "expired" };
    code.status = "redeemed";
    return { status: "redeemed", code };
  }

  /** Whether the grant's root (the code) has been revoked, e.g. by a replay. */
  isRootRevoked(grantId: string): boolean {
    return [...this.codes.values()].some((code) => code.id === grantId && code.status === "revoked");
  }

  async isGrantRevoked(grantId: string) {
    return this.isRootRevoked(grantId);
  }

  async revokeGrant(grantId: string) {
    this.revokedGrants.push(grantId);
    let count = 0;
    for (const code of this.codes.values()) if (code.id === grantId && code.status !== "revoked") (code.status = "revoked"), count++;
    return count;
  }
}

/** A code store that is also the token endpoint's grant store (grants without refresh tokens). */
export function codeStores(): { codes: InMemoryAuthorizationCodeStore; grants: InMemoryAuthorizationCodeStore } {
  const codes = new InMemoryAuthorizationCodeStore();
  return { codes, grants: codes };
}

export class InMemoryUserStore implements UserStore {
  readonly users = new Map<string, UserRecord>();
  constructor(users: UserRecord[] = []) {
    for (const user of users) this.users.set(user.id, user);
  }
  async findUserById(id: string) {
    return this.users.get(id) ?? null;
  }
}

export function makeUser(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: crypto.randomUUID(),
    username: "alice",
    email: "alice@example.com",
    emailVerified: true,
    name: "Alice Example",
    enabled: true,
    updatedAt: new Date("2026-01-01T00:00:00Z"),
    ...overrides,
  };
}

export class InMemoryAuthorizationStore implements AuthorizationStore {
  readonly authorizations: AuthorizationRecord[] = [];
  async findPermanentAuthorization(userId: string, applicationId: string) {
    return this.authorizations.filter((a) => a.userId === userId && a.applicationId === applicationId && a.type === "permanent").at(-1) ?? null;
  }
  async savePermanentAuthorization(userId: string, applicationId: string, scopes: string[]) {
    const existing = await this.findPermanentAuthorization(userId, applicationId);
    if (existing) {
      existing.scopes = [...new Set([...existing.scopes, ...scopes])];
      return existing;
    }
    const created: AuthorizationRecord = { id: crypto.randomUUID(), userId, applicationId, scopes, type: "permanent" };
    this.authorizations.push(created);
    return created;
  }
  async createAdHocAuthorization(userId: string, applicationId: string, scopes: string[]) {
    const created: AuthorizationRecord = { id: crypto.randomUUID(), userId, applicationId, scopes, type: "ad-hoc" };
    this.authorizations.push(created);
    return created;
  }
}

export class InMemoryInteractionStore implements InteractionStore {
  /** Rows not yet consumed (a consent waiting for the user's decision). */
  readonly interactions = new Map<string, StoredInteraction>();
  /** Ids consumed: kept like the database's marked rows, so a seal cannot be replayed. */
  readonly consumed = new Set<string>();
  constructor(private readonly now: () => number = Date.now) {}
  async createInteraction(interaction: Omit<StoredInteraction, "consent" | "grantedScopes">) {
    if (this.interactions.has(interaction.id) || this.consumed.has(interaction.id)) return false;
    this.interactions.set(interaction.id, { ...structuredClone(interaction), consent: null, grantedScopes: [] });
    return true;
  }
  async findInteraction(id: string) {
    const found = this.interactions.get(id);
    return found && found.expiresAt.getTime() > this.now() ? structuredClone(found) : null;
  }
  async updateInteraction(id: string, patch: Partial<Pick<StoredInteraction, "userId" | "consent" | "grantedScopes">>) {
    const found = this.interactions.get(id);
    if (found) Object.assign(found, patch);
  }
  async consumeInteraction(id: string) {
    const found = await this.findInteraction(id);
    if (found) {
      this.interactions.delete(id);
      this.consumed.add(id);
    }
    return found;
  }
  async consumeSealedInteraction(interaction: { id: string }) {
    if (this.consumed.has(interaction.id)) return false;
    this.interactions.delete(interaction.id);
    this.consumed.add(interaction.id);
    return true;
  }
}

// ---- authorization endpoint fixture ----------------------------------------

/** A clock the tests move by hand (epoch milliseconds). */
export class FakeClock {
  constructor(public ms: number = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** RFC 7636 Appendix B: the verifier and its S256 challenge. */
export const PKCE = {
  verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
  challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
} as const;

export function makeSession(user: UserRecord, overrides: Partial<EndUserSession> = {}): EndUserSession {
  return { sessionId: crypto.randomUUID(), userId: user.id, authTime: new Date(), amr: ["pwd"], ...overrides };
}

export const WEB_SECRET = "web-app-secret-0123456789";
export const WEB_CALLBACK = "https://app.example.test/callback";
export const SPA_CALLBACK = "https://spa.example.test/cb";
export const QUERY_CALLBACK = "https://query.example.test/cb?dummy1=lorem&dummy2=ipsum";
export const MULTI_CALLBACKS = ["https://multi.example.test/a", "https://multi.example.test/b"];
/** A native app's loopback redirect URIs (RFC 8252 §7.3): registered without a port, and with one. */
export const NATIVE_CALLBACKS = ["http://127.0.0.1/callback", "http://[::1]:8400/cb"];
/** A confidential web app developed on a loopback port: its port does not vary. */
export const LOOPBACK_WEB_CALLBACK = "http://127.0.0.1:3000/callback";
export const ORDERS_API = "https://orders.example.test";

/** Permissions for the authorization code flow (endpoint + grant). */
export const CODE_FLOW = ["ept:authorization", "ept:token", "gt:authorization_code", "rst:code"];
const USER_SCOPES = ["scp:profile", "scp:email", "scp:orders:read", "scp:offline_access"];

/**
 * Clients for every consent type and misconfiguration the authorization
 * endpoint distinguishes, plus the scopes they use.
 */
export function authorizationClients(): ClientRecord[] {
  const redirect = (clientId: string) => [`https://${clientId}.example.test/cb`];
  return [
    makeClient({ clientId: "web-app", displayName: "Web App", secret: WEB_SECRET, redirectUris: [WEB_CALLBACK], permissions: [...CODE_FLOW, "gt:refresh_token", ...USER_SCOPES] }),
    makeClient({ clientId: "spa", displayName: "Single Page App", clientType: "public", consentType: "implicit", redirectUris: [SPA_CALLBACK], permissions: [...CODE_FLOW, ...USER_SCOPES] }),
    makeClient({ clientId: "query-app", consentType: "implicit", secret: WEB_SECRET, redirectUris: [QUERY_CALLBACK], permissions: [...CODE_FLOW] }),
    makeClient({ clientId: "multi-app", consentType: "implicit", secret: WEB_SECRET, redirectUris: MULTI_CALLBACKS, permissions: [...CODE_FLOW] }),
    makeClient({ clientId: "external-app", consentType: "external", secret: WEB_SECRET, redirectUris: redirect("external-app"), permissions: [...CODE_FLOW, ...USER_SCOPES] }),
    makeClient({ clientId: "systematic-app", consentType: "systematic", secret: WEB_SECRET, redirectUris: redirect("systematic-app"), permissions: [...CODE_FLOW, ...USER_SCOPES] }),
    makeClient({ clientId: "no-authz-endpoint", consentType: "implicit", secret: WEB_SECRET, redirectUris: redirect("no-authz-endpoint"), permissions: ["ept:token", "gt:authorization_code"] }),
    makeClient({ clientId: "no-code-grant", consentType: "implicit", secret: WEB_SECRET, redirectUris: redirect("no-code-grant"), permissions: ["ept:authorization", "ept:token", "gt:client_credentials"] }),
    makeClient({ clientId: "no-code-response", consentType: "implicit", secret: WEB_SECRET, redirectUris: redirect("no-code-response"), permissions: ["ept:authorization", "ept:token", "gt:authorization_code"] }),
    makeClient({ clientId: "other-app", consentType: "implicit", secret: WEB_SECRET, redirectUris: redirect("other-app"), permissions: [...CODE_FLOW, ...USER_SCOPES] }),
    makeClient({ clientId: "native-app", displayName: "Native App", clientType: "public", consentType: "implicit", redirectUris: NATIVE_CALLBACKS, permissions: [...CODE_FLOW, ...USER_SCOPES] }),
    makeClient({ clientId: "loopback-web", consentType: "implicit", secret: WEB_SECRET, redirectUris: [LOOPBACK_WEB_CALLBACK], permissions: [...CODE_FLOW] }),
    makeClient({ clientId: "disabled-app", consentType: "implicit", secret: WEB_SECRET, redirectUris: redirect("disabled-app"), permissions: [...CODE_FLOW], enabled: false }),
  ];
}

export function authorizationScopes(): ScopeRecord[] {
  return [
    makeScope("openid", [], { claims: ["sub"] }),
    makeScope("profile", [], { displayName: "Your profile", description: "Name and username", claims: ["name", "preferred_username", "updated_at"], accessTokenClaims: ["preferred_username"] }),
    makeScope("email", [], { displayName: "Your email address", claims: ["email", "email_verified"], accessTokenClaims: ["email", "email_verified"] }),
    makeScope("orders:read", [ORDERS_API], { displayName: "Read your orders" }),
    makeScope("offline_access", [], { displayName: "Stay signed in" }),
    makeScope("admin", ["https://admin.example.test"]),
  ];
}

export type AuthorizeParams = Record<string, string | null | undefined> | Array<[string, string]>;

/** A code request for `clientId` with PKCE, state and nonce; `null` removes a default. */
export function codeRequestParams(clientId: string, redirectUri: string | null, overrides: Record<string, string | null> = {}): Record<string, string | null> {
  return {
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "openid",
    state: "state-" + crypto.randomUUID(),
    nonce: "nonce-" + crypto.randomUUID(),
    code_challenge: PKCE.challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
}

function toSearchParams(params: AuthorizeParams): URLSearchParams {
  const search = new URLSearchParams();
  const entries = Array.isArray(params) ? params : Object.entries(params);
  for (const [name, value] of entries) if (value != null) search.append(name, value);
  return search;
}

export function createAuthorizeFixture(options: { extraClients?: ClientRecord[]; keys?: KeyRing } = {}) {
  const config = testConfig();
  // Without a ring of its own, no key verifies: every id_token_hint is refused.
  const keys = options.keys ?? new KeyRing(new InMemorySigningKeyStore(), new KeyEncryption(TEST_SECRET));
  const clock = new FakeClock();
  const user = makeUser({ username: "alice", name: "Alice Example", email: "alice@example.com" });
  const otherUser = makeUser({ username: "bob", name: "Bob Example", email: "bob@example.com" });
  const clients = new InMemoryClientStore([...authorizationClients(), ...(options.extraClients ?? [])]);
  const scopes = new InMemoryScopeStore(authorizationScopes());
  const users = new InMemoryUserStore([user, otherUser]);
  const authorizations = new InMemoryAuthorizationStore();
  const interactions = new InMemoryInteractionStore(clock.now);
  const interactionSealer = new InteractionSealer(TEST_INTERACTION_KEY);
  const codes = new InMemoryAuthorizationCodeStore();
  const holder: { session: EndUserSession | null } = { session: null };
  const sessionReads: Request[] = [];
  const audit = new InMemoryAuditLog();
  const authorize = createAuthorizeEndpoint({
    config,
    clients,
    scopes,
    authorizations,
    interactions,
    interactionSealer,
    codes,
    // What the store's one statement reads: the session, its user if enabled, their remembered consent.
    readSignedIn: async (request, applicationId) => {
      sessionReads.push(request);
      const session = holder.session;
      if (!session) return null;
      const signedInUser = await users.findUserById(session.userId);
      if (!signedInUser?.enabled) return null;
      return { session, user: signedInUser, remembered: await authorizations.findPermanentAuthorization(session.userId, applicationId) };
    },
    keys,
    audit,
    clientAddress: testClientAddress,
    now: clock.now,
    log: () => undefined,
  });
  const authorizeUrl = `${config.issuer}/connect/authorize`;
  const consentDeps: ConsentDeps = { config, clients, scopes, authorizations, interactions, users, audit };
  return {
    audit,
    config,
    clock,
    user,
    otherUser,
    clients,
    scopes,
    users,
    authorizations,
    interactions,
    interactionSealer,
    codes,
    authorize,
    /** The request a login-page URL carries sealed (null when it does not open). */
    openSealed(value: string) {
      return interactionSealer.open(value, clock.now());
    },
    consentDeps,
    sessionReads,
    get session() {
      return holder.session;
    },
    set session(value: EndUserSession | null) {
      holder.session = value;
    },
    /** The user (re)enters credentials now. */
    signIn(who: UserRecord = user): EndUserSession {
      holder.session = makeSession(who, { authTime: new Date(clock.now()) });
      return holder.session;
    },
    signOut(): void {
      holder.session = null;
    },
    get(params: AuthorizeParams, headers: Record<string, string> = {}): Promise<Response> {
      return authorize(new Request(`${authorizeUrl}?${toSearchParams(params)}`, { headers }));
    },
    post(params: AuthorizeParams, contentType = "application/x-www-form-urlencoded"): Promise<Response> {
      return authorize(new Request(authorizeUrl, { method: "POST", headers: { "Content-Type": contentType }, body: toSearchParams(params).toString() }));
    },
    resume(interactionId: string): Promise<Response> {
      return authorize(new Request(`${authorizeUrl}?interaction=${encodeURIComponent(interactionId)}`));
    },
    async clientRow(clientId: string): Promise<ClientRecord> {
      const client = clients.clients.get(clientId);
      if (!client) throw new Error(`no client ${clientId}`);
      return client;
    },
  };
}

export type AuthorizeFixture = ReturnType<typeof createAuthorizeFixture>;

/** The Location of a 303, parsed. */
/**
 * The token endpoint over an authorize fixture's stores and clock, so codes it
 * issues can be redeemed; `overrides` adds or replaces deps (token stores, refresh tokens…).
 */
export function tokenEndpointFor(
  fx: AuthorizeFixture,
  keys: KeyRing,
  overrides: Partial<TokenEndpointDeps> & { refreshTokens?: InMemoryRefreshTokenStore } = {},
) {
  return createTokenEndpoint({
    config: fx.config,
    keys,
    tokens: new InMemoryTokenStore({ codes: fx.codes }),
    scopes: fx.scopes,
    clients: fx.clients,
    codes: fx.codes,
    // With refresh tokens, revoking a grant revokes them as well as the code.
    grants: overrides.refreshTokens ?? fx.codes,
    audit: fx.audit,
    now: fx.clock.now,
    ...overrides,
  });
}

export function redirectLocation(response: Response): URL {
  if (response.status !== 303) throw new Error(`expected a 303, got ${response.status}`);
  const location = response.headers.get("location");
  if (!location) throw new Error("303 without Location");
  return new URL(location);
}

/** The code from a successful authorization redirect. */
export function codeFrom(response: Response): string {
  const code = redirectLocation(response).searchParams.get("code");
  if (!code) throw new Error(`no code in ${response.headers.get("location")}`);
  return code;
}

// ---- presented tokens: bearer validation, introspection, revocation ---------

type LedgerRow = StoredTokenState & { jti: string | null; valueHash: string | null };

/**
 * The "tokens" table in memory: records what token responses write (TokenStore)
 * and answers the lookups and revocations of bearer.ts, introspect.ts and revoke.ts.
 */
export class InMemoryTokenLedger implements TokenStore, TokenStateStore, TokenRevocationStore {
  readonly rows = new Map<string, LedgerRow>();
  /** Every lookup, e.g. ["jti:…", "hash:…"]. */
  readonly lookups: string[] = [];
  /** Database ids of clients disabled in the dashboard (the applications join in lib/db). */
  readonly disabledApplications = new Set<string>();
  /** Redirect URIs by client database id (the applications join in lib/db reads them for CORS). */
  readonly redirectUrisOf = new Map<string, string[]>();
  failWith: Error | null = null;

  async recordIssuedTokens(tokens: readonly IssuedTokenRecord[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const token of tokens) {
      const id = crypto.randomUUID();
      const root = token.grantId ? this.rows.get(token.grantId) : undefined;
      this.rows.set(id, {
        id,
        kind: token.kind,
        jti: token.kind === "access_token" ? token.jti : null,
        valueHash: token.kind === "refresh_token" ? token.valueHash : null,
        subject: token.subject,
        applicationId: token.applicationId,
        authorizationId: token.authorizationId ?? null,
        grantId: token.grantId ?? null,
        scopes: [...token.scopes],
        audiences: [...token.audiences],
        status: root?.status === "revoked" ? "revoked" : "valid",
        grantRevoked: false,
        clientEnabled: true,
        createdAt: new Date(),
        expiresAt: token.expiresAt,
      });
    }
  }

  /** An opaque token (code, refresh token) stored by value hash; a grant root when grantId is "self". */
  addOpaqueToken(row: Partial<LedgerRow> & { kind: string; valueHash: string; applicationId: string; grantId?: string | null | "self" }): LedgerRow {
    const id = row.id ?? crypto.randomUUID();
    const stored: LedgerRow = {
      subject: "user-1",
      authorizationId: null,
      scopes: [],
      audiences: [],
      status: "valid",
      grantRevoked: false,
      clientEnabled: true,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
      jti: null,
      ...row,
      id,
      grantId: row.grantId === "self" ? id : (row.grantId ?? null),
    };
    this.rows.set(id, stored);
    return stored;
  }

  byJti(jti: string): LedgerRow | undefined {
    return [...this.rows.values()].find((row) => row.jti === jti);
  }

  private withGrant(row: LedgerRow | undefined): StoredTokenState | null {
    if (!row) return null;
    const { jti: _jti, valueHash: _valueHash, ...state } = row;
    const root = row.grantId ? this.rows.get(row.grantId) : undefined;
    return structuredClone({
      ...state,
      grantRevoked: root?.status === "revoked",
      clientEnabled: !this.disabledApplications.has(row.applicationId),
      clientRedirectUris: this.redirectUrisOf.get(row.applicationId) ?? [],
    });
  }

  async findAccessTokenByJti(jti: string): Promise<StoredTokenState | null> {
    this.lookups.push(`jti:${jti}`);
    if (this.failWith) throw this.failWith;
    return this.withGrant([...this.rows.values()].find((row) => row.jti === jti && row.kind === "access_token"));
  }

  async findTokenByValueHash(valueHash: string): Promise<StoredTokenState | null> {
    this.lookups.push(`hash:${valueHash}`);
    if (this.failWith) throw this.failWith;
    return this.withGrant([...this.rows.values()].find((row) => row.valueHash === valueHash));
  }

  async revokeToken(id: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.status === "revoked") return false;
    row.status = "revoked";
    return true;
  }

  async revokeGrant(grantId: string): Promise<number> {
    let count = 0;
    for (const row of this.rows.values()) {
      if (row.grantId === grantId && row.status !== "revoked") {
        row.status = "revoked";
        count++;
      }
    }
    return count;
  }
}

/** Which server's keys a fixture holds: "this" server's, or "another" server's (a foreign signer). */
export type TestKeySet = "this" | "another";
const keySets = new Map<TestKeySet, Promise<Omit<StoredSigningKey, "createdAt">[]>>();

/**
 * Adds an active RS256 and ES256 key to `store`, generated once per test file
 * and key set: an RSA key pair takes up to a second to make, and most tests
 * only need keys, not new ones. Encrypted with TEST_SECRET.
 */
export async function addTestSigningKeys(store: InMemorySigningKeyStore, set: TestKeySet = "this"): Promise<void> {
  let keys = keySets.get(set);
  if (!keys) {
    const encryption = new KeyEncryption(TEST_SECRET);
    keys = Promise.all(SUPPORTED_SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg, encryption)));
    keySets.set(set, keys);
  }
  for (const key of await keys) await store.insertSigningKey(structuredClone(key));
}

/**
 * A key ring with RS256 and ES256 keys (`keySet` "another" for a foreign
 * server's), a token ledger, and `issue()` to sign access tokens the way the
 * token endpoint does.
 */
export async function createTokenFixture(configOverrides: Partial<OAuthServerConfig> = {}, keySet: TestKeySet = "this") {
  const config = testConfig(configOverrides);
  const encryption = new KeyEncryption(TEST_SECRET);
  const keyStore = new InMemorySigningKeyStore();
  await addTestSigningKeys(keyStore, keySet);
  const keys = new KeyRing(keyStore, encryption);
  const tokens = new InMemoryTokenLedger();
  const clock = new FakeClock();
  return {
    config,
    keys,
    keyStore,
    tokens,
    clock,
    /** Signs and records an access token for `client` the way the token endpoint does (user tokens: pass a grantId). */
    async issue(request: Omit<AccessTokenRequest, "audiences" | "now"> & { audiences?: string[]; now?: number }): Promise<IssuedAccessToken> {
      const issued = await issueTokens(
        { config, keys, tokens },
        {
          client: request.client,
          subject: request.subject,
          scopes: request.scopes,
          audiences: request.audiences ?? [],
          grant: request.grantId ? { id: request.grantId, authorizationId: request.authorizationId ?? null } : null,
          accessTokenClaims: request.claims,
          now: request.now ?? clock.now(),
        },
      );
      return { accessToken: issued.body.access_token, jti: issued.accessTokenJti, expiresIn: issued.body.expires_in, expiresAt: issued.accessTokenExpiresAt };
    },
  };
}

export type TokenFixture = Awaited<ReturnType<typeof createTokenFixture>>;

/** An access token as the token fixture's issue() returns it. */
export interface IssuedAccessToken {
  accessToken: string;
  jti: string;
  expiresIn: number;
  expiresAt: Date;
}

/** A form POST to /connect/introspect or /connect/revoke. */
export function clientFormRequest(
  path: string,
  body: Record<string, string> | string,
  options: { basic?: [string, string]; headers?: Record<string, string>; method?: string } = {},
): Request {
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded", ...options.headers };
  if (options.basic) headers.Authorization = basicHeader(options.basic[0], options.basic[1]);
  return new Request(`https://id.example.test${path}`, {
    method: options.method ?? "POST",
    headers,
    body: typeof body === "string" ? body : new URLSearchParams(body).toString(),
  });
}

// ---- refresh tokens -----------------------------------------------------------

import type { NewRefreshTokenRecord, RefreshTokenRotation, RefreshTokenStore, StoredRefreshToken } from "@/lib/oauth/ports";

type RefreshRow = StoredRefreshToken & { valueHash: string; status: "valid" | "redeemed" | "revoked"; createdAt: Date };

/**
 * Refresh tokens in memory. Given the code store, a grant's root is its code: revoking
 * the grant here revokes the code too, and a revoked code (a replay) stops the grant.
 */
export class InMemoryRefreshTokenStore implements RefreshTokenStore, GrantStore {
  readonly tokens = new Map<string, RefreshRow>();
  /** Users whose account is disabled, and consents that were withdrawn (by id). */
  readonly disabledUsers = new Set<string>();
  readonly revokedAuthorizations = new Set<string>();
  /** grant ids revoked, in order. */
  readonly revokedGrants: string[] = [];

  constructor(private readonly codes: InMemoryAuthorizationCodeStore) {}

  /** A row written with its token response (InMemoryTokenStore.recordIssuedTokens). */
  add(token: NewRefreshTokenRecord, status: RefreshRow["status"]): void {
    this.tokens.set(token.valueHash, { ...structuredClone(token), id: crypto.randomUUID(), status });
  }

  async rotateRefreshToken(valueHash: string, applicationId: string, requestedScopes: string[], now: Date): Promise<RefreshTokenRotation> {
    const row = this.tokens.get(valueHash);
    if (!row) return { status: "unknown" };
    if (row.applicationId !== applicationId) return { status: "wrong_client" };
    const grantRevoked = await this.isGrantRevoked(row.grantId);
    // From here on no await: the check and the update are one step, as in the SQL statement.
    if (row.status === "redeemed") return { status: "replayed", token: structuredClone(row) };
    if (row.status === "revoked" || grantRevoked) return { status: "revoked" };
    if (row.expiresAt <= now) return { status: "expired" };
    if (!requestedScopes.every((scope) => row.scopes.includes(scope))) return { status: "scope_exceeded", token: structuredClone(row) };
    row.status = "redeemed";
    return { status: "rotated", token: structuredClone(row), grantAuthorized: this.#isGrantAuthorized(row.subject, row.authorizationId) };
  }

  #isGrantAuthorized(subject: string, authorizationId: string | null) {
    return !this.disabledUsers.has(subject) && !(authorizationId !== null && this.revokedAuthorizations.has(authorizationId));
  }

  async revokeGrant(grantId: string) {
    this.revokedGrants.push(grantId);
    let count = await this.codes.revokeGrant(grantId);
    for (const row of this.tokens.values()) if (row.grantId === grantId && row.status !== "revoked") (row.status = "revoked"), count++;
    return count;
  }

  async isGrantRevoked(grantId: string) {
    return this.codes.isRootRevoked(grantId);
  }

  /** The live (valid) refresh tokens of a grant. */
  valid(grantId: string): RefreshRow[] {
    return [...this.tokens.values()].filter((row) => row.grantId === grantId && row.status === "valid");
  }
}

// ---- RP-initiated logout (lib/oauth/logout.ts) ---------------------------------

export const LOGOUT_CALLBACK = "https://spa.example.test/signed-out";
/** A native app's private-use scheme URI (RFC 8252 §7.1). */
export const LOGOUT_NATIVE_CALLBACK = "com.example.app:/signed-out";

/** The logout endpoint with a key ring, two clients, a settable session and a record of what it ended. */
export async function createLogoutFixture() {
  const { createLogoutEndpoint } = await import("@/lib/oauth/logout");
  const { issueIdToken } = await import("@/lib/oauth/idTokens");
  const config = testConfig();
  const encryption = new KeyEncryption(TEST_SECRET);
  const keyStore = new InMemorySigningKeyStore();
  await addTestSigningKeys(keyStore);
  const keys = new KeyRing(keyStore, encryption);
  const foreignStore = new InMemorySigningKeyStore();
  await addTestSigningKeys(foreignStore, "another");
  const foreignKeys = new KeyRing(foreignStore, encryption);
  const spa = makeClient({
    clientId: "spa",
    displayName: "Demo SPA",
    clientType: "public",
    postLogoutRedirectUris: [LOGOUT_CALLBACK],
    permissions: [...CODE_FLOW, "ept:logout"],
  });
  const other = makeClient({ clientId: "other", postLogoutRedirectUris: ["https://other.example.test/bye"], permissions: [...CODE_FLOW, "ept:logout"] });
  const noLogout = makeClient({ clientId: "no-logout", postLogoutRedirectUris: ["https://nolo.example.test/bye"], permissions: [...CODE_FLOW] });
  const native = makeClient({ clientId: "native", clientType: "public", postLogoutRedirectUris: [LOGOUT_NATIVE_CALLBACK], permissions: [...CODE_FLOW, "ept:logout"] });
  const clients = new InMemoryClientStore([spa, other, noLogout, native]);
  const user = makeUser();
  const fixture = {
    config,
    keys,
    clients,
    spa,
    user,
    session: makeSession(user) as EndUserSession | null,
    ended: [] as string[],
    endpoint: null as unknown as (request: Request) => Promise<Response>,
    /** An ID token for `client` (spa by default) tied to the current session. */
    idToken(options: { client?: ClientRecord; sessionId?: string; now?: number; ring?: KeyRing; issuer?: string } = {}): Promise<string> {
      return issueIdToken(
        { config: { issuer: options.issuer ?? config.issuer }, keys: options.ring ?? keys },
        {
          client: options.client ?? spa,
          subject: user.id,
          nonce: null,
          authTime: Math.floor(Date.now() / 1000),
          sessionId: options.sessionId ?? fixture.session?.sessionId ?? "",
          amr: ["pwd"],
          now: options.now,
        },
      );
    },
    foreignKeys,
  };
  fixture.endpoint = createLogoutEndpoint({
    config,
    clients,
    keys,
    readSession: async () => fixture.session,
    endSession: async (sessionId) => {
      fixture.ended.push(sessionId);
    },
    clearSessionCookies: () => ["authjs.session-token=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"],
  });
  return fixture;
}

export type LogoutFixture = Awaited<ReturnType<typeof createLogoutFixture>>;

// ---- audit log -------------------------------------------------------------------

import type { AuditEventInput, AuditLog } from "@/lib/oauth/ports";

/** Events kept in order; `failWith` makes every record() reject (a database outage). */
export class InMemoryAuditLog implements AuditLog {
  readonly events: AuditEventInput[] = [];
  failWith: Error | null = null;

  async record(event: AuditEventInput): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.events.push(structuredClone(event));
  }

  ofKind(kind: string): AuditEventInput[] {
    return this.events.filter((event) => event.kind === kind);
  }
}

/** Unit tests say where a request came from with this header (server.ts stamps the real one). */
export const TEST_ADDRESS_HEADER = "x-test-client-ip";
export const testClientAddress = (request: Request): string | null => request.headers.get(TEST_ADDRESS_HEADER);
