// RFC 9068 JWT access tokens: signed, typed at+jwt, and recorded by jti so
// that they can later be revoked and introspected (the row is written with the
// rest of its token response: lib/oauth/tokenResponse.ts).
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { OAuthServerConfig } from "./config";
import type { ClientRecord, NewAccessTokenRecord, SigningAlgorithm } from "./ports";
import type { KeyRing } from "./signingKeys";

export interface AccessTokenRequest {
  client: ClientRecord;
  /** The user id, or the client_id for a client acting on its own behalf. */
  subject: string;
  scopes: string[];
  audiences: string[];
  authorizationId?: string | null;
  grantId?: string | null;
  /** Extra claims destined for the access token (e.g. from the principal). */
  claims?: Record<string, unknown>;
  /** Issued-at in epoch milliseconds. */
  now: number;
}

/** An access token ready to sign, and the row that records it. */
export interface PreparedAccessToken {
  alg: SigningAlgorithm;
  payload: Record<string, unknown>;
  record: NewAccessTokenRecord;
  /** Seconds (the token response's expires_in). */
  lifetime: number;
}

const RESERVED_CLAIMS = new Set(["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope"]);

/** The token's claims (RFC 9068 §2.2) and its row; nothing is signed or written yet. */
export function prepareAccessToken(config: OAuthServerConfig, request: AccessTokenRequest): PreparedAccessToken {
  const lifetime = request.client.accessTokenLifetime ?? config.accessTokenLifetime;
  const iat = Math.floor(request.now / 1000);
  const exp = iat + lifetime;
  const jti = randomUUID();
  const audiences = request.audiences.length > 0 ? request.audiences : [config.defaultAudience];

  const payload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.claims ?? {})) if (!RESERVED_CLAIMS.has(name)) payload[name] = value;
  payload.client_id = request.client.clientId;
  if (request.scopes.length > 0) payload.scope = request.scopes.join(" ");
  payload.iss = config.issuer;
  payload.sub = request.subject;
  payload.aud = audiences.length === 1 ? audiences[0]! : audiences;
  payload.iat = iat;
  payload.exp = exp;
  payload.jti = jti;

  return {
    alg: request.client.accessTokenSigningAlg ?? config.accessTokenSigningAlg,
    payload,
    lifetime,
    record: {
      jti,
      subject: request.subject,
      applicationId: request.client.id,
      authorizationId: request.authorizationId ?? null,
      grantId: request.grantId ?? null,
      scopes: request.scopes,
      audiences,
      createdAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
    },
  };
}

export async function signAccessToken(keys: KeyRing, token: PreparedAccessToken): Promise<string> {
  const key = await keys.signingKey(token.alg);
  return new SignJWT(token.payload).setProtectedHeader({ alg: token.alg, kid: key.kid, typ: "at+jwt" }).sign(key.privateKey);
}
