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
  /**
   * Marked by an administrator for the management API: only such a client may obtain the
   * gatehouse:admin scope, and only with client_credentials (docs/decisions/0020-management-api.md).
   */
  managementApi: boolean;
}

export interface ScopeRecord {
  name: string;
  displayName: string;
  description: string;
  resources: string[];
  /** Claims the scope releases (ID token, userinfo). */
  claims: string[];
  /** Of those, the claims that also go into access tokens. */
  accessTokenClaims: string[];
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

/** A refresh token's row as written (only the SHA-256 of its value is kept). */
export type NewRefreshTokenRecord = Omit<StoredRefreshToken, "id"> & { valueHash: string; createdAt: Date };

/** One row of what a token response hands out. */
export type IssuedTokenRecord =
  | ({ kind: "access_token" } & NewAccessTokenRecord)
  | ({ kind: "refresh_token" } & NewRefreshTokenRecord);

export interface TokenStore {
  /**
   * Records the rows of one token response in one atomic statement (which may
   * also carry the rows of concurrent responses), resolving once they are stored. A row whose
   * grant root is already revoked when it is written (a replay of the code or of
   * the refresh token got there first and revoked the grant) is written revoked,
   * so that the replay's revocation covers it too; a revocation running at the
   * same instant is covered by the readers, which check the root as well
   * (StoredTokenState.grantRevoked, RefreshTokenStore.rotateRefreshToken).
   */
  recordIssuedTokens(tokens: readonly IssuedTokenRecord[]): Promise<void>;
}

/**
 * A grant: the authorization code that started it and every token issued from
 * it, which carry the code's id as their grant id (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
 */
export interface GrantStore {
  /** Revokes every token of the grant, its root included, in one statement; returns how many rows it revoked. */
  revokeGrant(grantId: string): Promise<number>;
}

export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Public JWK as JSON text. */
  publicJwk: string;
  privateKeyEncrypted: string;
  status: "active" | "retiring" | "retired";
  createdAt: Date;
  /** For a retiring key: when every token it signed has expired and it may leave the JWKS (null: never set). */
  retireAfter?: Date | null;
}

export interface SigningKeyRotationResult {
  /** Kids that were active and are now retiring. */
  retiring: string[];
  /** Kids of retiring keys past their retire_after, now retired. */
  retired: string[];
}

export interface SigningKeyStore {
  /** Keys that are active or retiring (minus retiring keys past retire_after), newest first. */
  listPublishedSigningKeys(): Promise<StoredSigningKey[]>;
  insertSigningKey(key: Omit<StoredSigningKey, "createdAt">): Promise<void>;
  /**
   * In one transaction: retiring keys past retire_after become retired; for
   * each new key's algorithm, the active keys become retiring with
   * `retireAfter`; the new keys are inserted as active.
   */
  rotateSigningKeys(keys: Omit<StoredSigningKey, "createdAt">[], retireAfter: Date, now: Date): Promise<SigningKeyRotationResult>;
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

/** The signed-in user of a request as the authorization endpoint needs them: an enabled user with their remembered consent for one client. */
export interface SignedInUser {
  session: EndUserSession;
  user: UserRecord;
  /** The user's valid permanent authorization of the client, if any. */
  remembered: AuthorizationRecord | null;
}

/**
 * Who is signed in on `request`, for the client `applicationId`: session,
 * user and remembered consent read together (one statement), or null when
 * nobody is, the session has ended or expired, or the user is disabled.
 */
export type SignedInReader = (request: Request, applicationId: string) => Promise<SignedInUser | null>;

export interface UserRecord {
  id: string;
  username: string;
  email: string | null;
  emailVerified: boolean;
  name: string;
  enabled: boolean;
  updatedAt: Date;
}

export interface UserStore {
  findUserById(id: string): Promise<UserRecord | null>;
}

export interface AuthorizationRecord {
  id: string;
  applicationId: string;
  userId: string;
  scopes: string[];
  type: "permanent" | "ad-hoc";
}

/** A user's consents (OpenIddict's authorizations). */
export interface AuthorizationStore {
  /** The user's valid, remembered consent for a client, if any. */
  findPermanentAuthorization(userId: string, applicationId: string): Promise<AuthorizationRecord | null>;
  /** Remembers consent: extends the existing permanent authorization with `scopes`, or creates one. */
  savePermanentAuthorization(userId: string, applicationId: string, scopes: string[]): Promise<AuthorizationRecord>;
  /** A one-flow authorization (systematic consent) that tokens can still be tied to and revoked with. */
  createAdHocAuthorization(userId: string, applicationId: string, scopes: string[]): Promise<AuthorizationRecord>;
}

/** The validated authorization request, as kept while the user signs in or consents. */
export interface ValidatedAuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** Whether redirect_uri was sent (then the token request must repeat it, RFC 6749 §4.1.3). */
  redirectUriProvided: boolean;
  scopes: string[];
  state: string | null;
  nonce: string | null;
  codeChallenge: string;
  codeChallengeMethod: "S256";
  prompt: Array<"none" | "login" | "consent" | "select_account">;
  maxAge: number | null;
  loginHint: string | null;
  /** The user an id_token_hint named (OIDC Core §3.1.2.1); absent without a hint. */
  expectedSubject?: string;
}

export interface StoredInteraction {
  id: string;
  applicationId: string;
  request: ValidatedAuthorizationRequest;
  userId: string | null;
  consent: "granted" | "denied" | null;
  grantedScopes: string[];
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Interactions that need a row: a signed-in user being asked for consent.
 * (A request waiting for sign-in is sealed into the login page's URL instead:
 * lib/oauth/sealedInteraction.ts.) A consumed row stays, marked, until it
 * expires, so that the sealed request it was made from cannot be replayed.
 */
export interface InteractionStore {
  /** Inserts the row; false when a row with this id exists already (pending or consumed). */
  createInteraction(interaction: Omit<StoredInteraction, "consent" | "grantedScopes">): Promise<boolean>;
  /** An interaction that has not expired nor been consumed. */
  findInteraction(id: string): Promise<StoredInteraction | null>;
  updateInteraction(id: string, patch: Partial<Pick<StoredInteraction, "userId" | "consent" | "grantedScopes">>): Promise<void>;
  /** Marks consumed and returns an unexpired, unconsumed interaction: at most one caller gets it. */
  consumeInteraction(id: string): Promise<StoredInteraction | null>;
  /**
   * Single use of a sealed interaction completed without a consent page: records
   * its id as consumed (one statement). False when it already was; a pending row
   * with this id is consumed by it.
   */
  consumeSealedInteraction(interaction: { id: string; applicationId: string; userId: string; createdAt: Date; expiresAt: Date }): Promise<boolean>;
}

export interface AuthorizationCodeBinding {
  redirectUri: string;
  redirectUriProvided: boolean;
  codeChallenge: string;
  codeChallengeMethod: "S256";
  nonce: string | null;
  /** auth_time, epoch seconds. */
  authTime: number;
  sessionId: string;
  amr: string[];
  /** Claims the principal carries into the access token (by destination). */
  accessTokenClaims: Record<string, unknown>;
  /**
   * User claims the granted scopes release into the ID token, taken from the
   * user record at authorization time; empty when openid was not granted.
   */
  idTokenClaims: Record<string, unknown>;
}

export interface StoredAuthorizationCode {
  id: string;
  subject: string;
  applicationId: string;
  authorizationId: string | null;
  scopes: string[];
  audiences: string[];
  expiresAt: Date;
  binding: AuthorizationCodeBinding;
  /** When the code was issued (the start of its grant); absent from stores that do not keep it. */
  createdAt?: Date;
}

export type CodeRedemption =
  | { status: "redeemed"; code: StoredAuthorizationCode }
  | { status: "replayed"; code: StoredAuthorizationCode }
  | { status: "expired" | "wrong_client" | "unknown" };

export interface AuthorizationCodeStore {
  /** Resolves once the code is stored; it is the root of its grant. */
  recordAuthorizationCode(code: Omit<StoredAuthorizationCode, "id"> & { valueHash: string; createdAt: Date }): Promise<void>;
  /**
   * Marks the code redeemed in one atomic statement, only if it is valid,
   * unexpired and issued to `applicationId`; otherwise says why not.
   */
  redeemAuthorizationCode(valueHash: string, applicationId: string, now: Date): Promise<CodeRedemption>;
}

// ---- Presented tokens: bearer validation, introspection, revocation -----------
// (RFC 6750, RFC 7662, RFC 7009). Rows of the "tokens" table as the core sees them.

export type StoredTokenStatus = "valid" | "redeemed" | "revoked";

export interface StoredTokenState {
  /** Row id (a code's id is also its grant id). */
  id: string;
  /** "access_token" | "refresh_token" | "authorization_code" | ... */
  kind: string;
  /** The user id, or the client_id of a client acting on its own behalf. */
  subject: string;
  /** Database id of the client the token was issued to. */
  applicationId: string;
  authorizationId: string | null;
  /** The grant root (the authorization code, later the first refresh token); null for client_credentials. */
  grantId: string | null;
  scopes: string[];
  audiences: string[];
  status: StoredTokenStatus;
  /** Whether the grant root has been revoked (e.g. a replayed code): nothing issued from it may be used. */
  grantRevoked: boolean;
  /** Whether the client it was issued to is still enabled: a disabled client's tokens are not honoured. */
  clientEnabled: boolean;
  /** The redirect URIs of that client (CORS at userinfo: its origins); absent from stores that do not read them. */
  clientRedirectUris?: string[];
  /**
   * The user a token of a grant was issued for, read with it (userinfo's claims); null for a
   * client's own token or a user who no longer exists; absent from stores that do not read it.
   */
  subjectUser?: UserRecord | null;
  /** When the row was written (the token's iat). */
  createdAt: Date;
  expiresAt: Date;
}

export interface TokenStateStore {
  /** The access token recorded under `jti`, with its grant root's revocation and its client's state, in one statement. */
  findAccessTokenByJti(jti: string): Promise<StoredTokenState | null>;
  /** The token of any kind whose opaque value hashes (hashOpaqueValue) to `valueHash`. */
  findTokenByValueHash(valueHash: string): Promise<StoredTokenState | null>;
}

export interface TokenRevocationStore extends GrantStore {
  /** Marks one token revoked; false when it already was (or does not exist). */
  revokeToken(id: string): Promise<boolean>;
}

// ---- Refresh tokens (RFC 6749 §6, RFC 9700 §4.14) ------------------------------

/** What a refresh token carries for the tokens it later produces (its row's payload). */
export interface RefreshTokenPayload {
  /** auth_time of the original sign-in, epoch seconds. */
  authTime: number;
  sessionId: string;
  amr: string[];
  /** Access-token claims granted with the code (by destination). */
  accessTokenClaims: Record<string, unknown>;
  /** ID-token claims granted with the code; the nonce is deliberately not kept (OIDC Core §12.2). */
  idTokenClaims: Record<string, unknown>;
  /** The grant's absolute end, epoch milliseconds: no refresh token of the grant outlives it. */
  absoluteExpiresAt: number;
}

export interface StoredRefreshToken {
  id: string;
  /** The grant root (the authorization code's id). */
  grantId: string;
  subject: string;
  applicationId: string;
  authorizationId: string | null;
  scopes: string[];
  audiences: string[];
  expiresAt: Date;
  payload: RefreshTokenPayload;
}

export type RefreshTokenRotation =
  /** `grantAuthorized`: whether the user is still enabled and the consent (when there is one) still valid, read in the same statement. */
  | { status: "rotated"; token: StoredRefreshToken; grantAuthorized: boolean }
  /** Already rotated: someone holds a copy (RFC 9700 §4.14.2). */
  | { status: "replayed"; token: StoredRefreshToken }
  /** A live token whose scopes do not cover the requested ones (it was left untouched). */
  | { status: "scope_exceeded"; token: StoredRefreshToken }
  | { status: "wrong_client" | "expired" | "revoked" | "unknown" };

/** Refresh tokens are written with the response they belong to (TokenStore.recordIssuedTokens). */
export interface RefreshTokenStore {
  /**
   * Marks the token redeemed in one atomic statement, only if it is valid, unexpired,
   * issued to `applicationId`, covers `requestedScopes` and its grant root is not revoked;
   * otherwise says why not (and leaves it as it was).
   */
  rotateRefreshToken(valueHash: string, applicationId: string, requestedScopes: string[], now: Date): Promise<RefreshTokenRotation>;
}

// ---------------------------------------------------------------- audit

/**
 * What the audit log records. Kinds in use:
 * signin.succeeded / signin.failed / signout; consent.granted / consent.denied /
 * consent.withdrawn; token.issued / token.refused (reason = OAuth error code);
 * account.* (a user acting on their own account); admin.* (dashboard changes,
 * actor = the admin's user id).
 */
export interface AuditEventInput {
  kind: string;
  /** Who did it: a user id, or null for a client or the system. */
  actor?: string | null;
  /** The user the event is about. */
  userId?: string | null;
  /** The client_id the event is about. */
  clientId?: string | null;
  ip?: string | null;
  /** Why (an OAuth error code or a short phrase); operators only. */
  reason?: string | null;
  details?: Record<string, unknown> | null;
  at?: Date;
  /** The X-Request-Id of the request that caused it; the audit writer takes the current request's when unset. */
  requestId?: string | null;
}

export interface AuditLog {
  /** Resolves once the event is stored (writes are grouped, never dropped). */
  record(event: AuditEventInput): Promise<void>;
}
