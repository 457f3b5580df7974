// OpenID Connect ID tokens (OIDC Core §2, §3.1.3.6–3.1.3.7): who signed in,
// when and how, for the client that asked. Issued by the authorization_code
// grant when the openid scope was granted. The claims the granted scopes
// release are computed at authorization time (idTokenClaimsFor) and travel
// with the code, so the token endpoint signs without another query.
import { createHash } from "node:crypto";
import { SignJWT } from "jose";
import { userClaimValue } from "./claims";
import type { OAuthServerConfig } from "./config";
import type { ClientRecord, ScopeRecord, SigningAlgorithm, UserRecord } from "./ports";
import type { KeyRing } from "./signingKeys";

/** OIDC Core §2 leaves the lifetime to the OP; an hour is the common default. */
export const DEFAULT_ID_TOKEN_LIFETIME = 3600;
/** OIDC Core §3.1.3.7 (and Discovery's id_token_signing_alg_values_supported) make RS256 the default. */
export const DEFAULT_ID_TOKEN_SIGNING_ALG: SigningAlgorithm = "RS256";

/**
 * Claims the token itself sets from the grant; a scope that lists one of
 * these releases nothing under that name (sub comes from the code's subject).
 */
const PROTOCOL_CLAIMS = new Set([
  "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "c_hash", "s_hash", "sid",
]);

/** Every claim an ID token from this server can carry (discovery's claims_supported). */
export const ID_TOKEN_CLAIMS_SUPPORTED = [
  "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr",
  "name", "preferred_username", "updated_at", "email", "email_verified",
] as const;

/**
 * The user claims the granted scopes release into the ID token (each scope
 * record's `claims`), in scope order. A claim without a value is left out.
 */
export function idTokenClaimsFor(user: UserRecord, grantedScopes: ScopeRecord[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const scope of grantedScopes) {
    for (const claim of scope.claims) {
      if (PROTOCOL_CLAIMS.has(claim) || Object.hasOwn(claims, claim)) continue;
      const value = userClaimValue(user, claim);
      if (value !== undefined && value !== null) claims[claim] = value;
    }
  }
  return claims;
}

/** The hash function an alg's at_hash uses (OIDC Core §3.1.3.6): SHA-256 for RS256 and ES256. */
const HASH_FOR_ALG: Record<SigningAlgorithm, "sha256"> = { RS256: "sha256", ES256: "sha256" };

/** at_hash: base64url of the left-most half of the hash of the access token's ASCII octets. */
export function accessTokenHash(accessToken: string, alg: SigningAlgorithm): string {
  const digest = createHash(HASH_FOR_ALG[alg]).update(accessToken, "ascii").digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

export interface IdTokenRequest {
  client: ClientRecord;
  /** The user id: the same sub as the access token's. */
  subject: string;
  /** The nonce of the authorization request; null leaves the claim out. */
  nonce: string | null;
  /** When the user last authenticated, epoch seconds. */
  authTime: number;
  /** The portal session the user signed in with. */
  sessionId: string;
  amr: string[];
  /** User claims released by the granted scopes (from idTokenClaimsFor). */
  claims?: Record<string, unknown>;
  /** The access token issued in the same response, for at_hash. */
  accessToken?: string;
  /** Issued-at in epoch milliseconds (defaults to now). */
  now?: number;
}

export interface IdTokenIssuerDeps {
  config: Pick<OAuthServerConfig, "issuer">;
  keys: KeyRing;
}

export async function issueIdToken(deps: IdTokenIssuerDeps, request: IdTokenRequest): Promise<string> {
  const { client } = request;
  const alg = client.idTokenSigningAlg ?? DEFAULT_ID_TOKEN_SIGNING_ALG;
  const lifetime = client.idTokenLifetime ?? DEFAULT_ID_TOKEN_LIFETIME;
  const iat = Math.floor((request.now ?? Date.now()) / 1000);

  const payload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.claims ?? {})) {
    if (!PROTOCOL_CLAIMS.has(name) && value !== undefined && value !== null) payload[name] = value;
  }
  payload.auth_time = request.authTime;
  if (request.nonce !== null && request.nonce !== "") payload.nonce = request.nonce;
  if (request.accessToken !== undefined) payload.at_hash = accessTokenHash(request.accessToken, alg);
  if (request.sessionId) payload.sid = request.sessionId;
  if (request.amr.length > 0) payload.amr = request.amr;

  const key = await deps.keys.signingKey(alg);
  return new SignJWT(payload)
    .setProtectedHeader({ alg, kid: key.kid, typ: "JWT" })
    .setIssuer(deps.config.issuer)
    .setSubject(request.subject)
    .setAudience(client.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .sign(key.privateKey);
}
