// RFC 9068 JWT access tokens: signed, typed at+jwt, and recorded by jti so
// that they can later be revoked and introspected.
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { OAuthServerConfig } from "./config";
import type { ClientRecord, TokenStore } from "./ports";
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
  /** Issued-at in epoch milliseconds (defaults to now). */
  now?: number;
}

export interface IssuedAccessToken {
  accessToken: string;
  jti: string;
  expiresIn: number;
  expiresAt: Date;
}

export interface AccessTokenIssuerDeps {
  config: OAuthServerConfig;
  keys: KeyRing;
  tokens: TokenStore;
}

const RESERVED_CLAIMS = new Set(["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope"]);

export async function issueAccessToken(deps: AccessTokenIssuerDeps, request: AccessTokenRequest): Promise<IssuedAccessToken> {
  const { config } = deps;
  const lifetime = request.client.accessTokenLifetime ?? config.accessTokenLifetime;
  const nowMs = request.now ?? Date.now();
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + lifetime;
  const jti = randomUUID();
  const audiences = request.audiences.length > 0 ? request.audiences : [config.defaultAudience];
  const alg = request.client.accessTokenSigningAlg ?? config.accessTokenSigningAlg;

  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.claims ?? {})) if (!RESERVED_CLAIMS.has(name)) extra[name] = value;
  const payload: Record<string, unknown> = {
    ...extra,
    client_id: request.client.clientId,
    ...(request.scopes.length > 0 ? { scope: request.scopes.join(" ") } : {}),
  };

  const sign = async () => {
    const key = await deps.keys.signingKey(alg);
    return new SignJWT(payload)
      .setProtectedHeader({ alg, kid: key.kid, typ: "at+jwt" })
      .setIssuer(config.issuer)
      .setSubject(request.subject)
      .setAudience(audiences.length === 1 ? audiences[0]! : audiences)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(key.privateKey);
  };
  const expiresAt = new Date(exp * 1000);
  // Signing (thread pool) and the insert (database) overlap.
  const [accessToken] = await Promise.all([
    sign(),
    deps.tokens.recordAccessToken({
      jti,
      subject: request.subject,
      applicationId: request.client.id,
      authorizationId: request.authorizationId ?? null,
      grantId: request.grantId ?? null,
      scopes: request.scopes,
      audiences,
      createdAt: new Date(iat * 1000),
      expiresAt,
    }),
  ]);
  return { accessToken, jti, expiresIn: lifetime, expiresAt };
}
