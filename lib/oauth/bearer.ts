// Validating an access token presented to this server (RFC 6750 bearer,
// RFC 9068 JWT profile): the signature with our published keys, typ at+jwt,
// our issuer, exp; then its row by jti, which must still be valid, whose
// grant root must not have been revoked and whose client must be enabled.
// Used by userinfo, introspection and revocation; the answer is a value,
// never a thrown error, so each endpoint decides what an inactive token means
// for it.
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import type { OAuthServerConfig } from "./config";
import type { StoredTokenState, TokenStateStore } from "./ports";
import { SUPPORTED_SIGNING_ALGORITHMS, type KeyRing } from "./signingKeys";
import type { VerifiedSignatureCache } from "./verifiedSignatures";

export interface BearerDeps {
  config: Pick<OAuthServerConfig, "issuer">;
  keys: Pick<KeyRing, "verificationKey">;
  tokens: TokenStateStore;
  /** Epoch milliseconds (tests move it by hand). */
  now?: () => number;
  /** Signatures already verified by this process (lib/oauth/verifiedSignatures.ts); none: verify every time. */
  verifiedSignatures?: VerifiedSignatureCache;
}

export interface ValidAccessToken {
  jti: string;
  /** The user id, or the client_id for a client acting on its own behalf. */
  subject: string;
  /**
   * "user" for a token issued on behalf of an end user (it belongs to a grant the
   * user authorized); "client" for client_credentials, whose subject is a client_id.
   */
  subjectType: "user" | "client";
  clientId: string;
  /** Database id of the client the token was issued to. */
  applicationId: string;
  scopes: string[];
  audiences: string[];
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds. */
  expiresAt: number;
  /** The verified claims, as signed. */
  payload: JWTPayload;
  /** The token's row. */
  record: StoredTokenState;
}

export type InactiveReason = "malformed" | "foreign" | "expired" | "revoked" | "unknown";

export type AccessTokenCheck =
  | { active: true; token: ValidAccessToken }
  | { active: false; reason: InactiveReason; description: string };

/** Longer than any token this server signs, by far. */
const MAX_TOKEN_LENGTH = 8 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Three base64url segments: the shape of a JWS in compact serialization (our access tokens). */
export function looksLikeJwt(value: string): boolean {
  return value.length <= MAX_TOKEN_LENGTH && COMPACT_JWS.test(value);
}

class UnknownSigningKey extends Error {}

const inactive = (reason: InactiveReason, description: string): AccessTokenCheck => ({ active: false, reason, description });

const DESCRIPTIONS: Record<InactiveReason | "clientDisabled", string> = {
  malformed: "The access token is malformed: it is not a JWT access token (typ at+jwt) issued by this server.",
  foreign: "The access token was not issued by this server (unknown key, wrong issuer, or a signature that does not verify).",
  expired: "The access token has expired; obtain a new one.",
  revoked: "The access token has been revoked.",
  clientDisabled: "The access token was issued to a client that has been disabled.",
  unknown: "The access token is not known to this server.",
};

/** Maps a jose verification failure to why the token is inactive. */
function classify(error: unknown): InactiveReason | null {
  if (error instanceof UnknownSigningKey) return "foreign";
  if (error instanceof joseErrors.JWTExpired) return "expired";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "foreign";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return error.claim === "iss" ? "foreign" : "malformed";
  if (error instanceof joseErrors.JOSEError) return "malformed";
  return null;
}

type SignatureCheck = { ok: true; payload: JWTPayload } | { ok: false; reason: InactiveReason };

/** The claims every access token of ours carries (RFC 9068 §2.2). */
const REQUIRED_CLAIMS = ["exp", "iat", "jti", "sub", "client_id"];

/**
 * The signature with one of our keys, whose algorithm must be the header's (no algorithm
 * substitution), typ at+jwt (RFC 9068 §4), our issuer, the required claims and exp.
 */
async function verifyWithOurKeys(deps: BearerDeps, token: string, nowMs: number): Promise<SignatureCheck & { kid?: string }> {
  let kid: string | undefined;
  try {
    const { payload } = await jwtVerify(
      token,
      async (header: JWTHeaderParameters) => {
        const key = typeof header.kid === "string" ? await deps.keys.verificationKey(header.kid) : null;
        if (!key || key.alg !== header.alg) throw new UnknownSigningKey();
        kid = key.kid;
        return key.publicKey;
      },
      {
        issuer: deps.config.issuer,
        typ: "at+jwt",
        algorithms: [...SUPPORTED_SIGNING_ALGORITHMS],
        requiredClaims: REQUIRED_CLAIMS,
        currentDate: new Date(nowMs),
      },
    );
    return { ok: true, payload, kid };
  } catch (error) {
    const reason = classify(error);
    if (reason === null) throw error;
    return { ok: false, reason };
  }
}

/**
 * verifyWithOurKeys, once per token string and process: a token verified before is taken from the
 * cache while the key that signed it is still one of ours, its expiry checked again (RFC 7519 §4.1.4).
 */
async function verifySignatureAndClaims(deps: BearerDeps, token: string, nowMs: number): Promise<SignatureCheck> {
  const cache = deps.verifiedSignatures;
  const remembered = cache?.recall(token);
  if (remembered && (await deps.keys.verificationKey(remembered.kid))) {
    return remembered.payload.exp! * 1000 <= nowMs ? { ok: false, reason: "expired" } : { ok: true, payload: remembered.payload };
  }
  const verified = await verifyWithOurKeys(deps, token, nowMs);
  if (verified.ok && cache && verified.kid) cache.remember(token, { payload: verified.payload, kid: verified.kid });
  return verified;
}

/**
 * Whether `token` is a live access token of this server. Store failures (the
 * key ring or the token lookup) are thrown, not reported as an inactive token.
 */
export async function validateAccessToken(deps: BearerDeps, token: string): Promise<AccessTokenCheck> {
  if (!looksLikeJwt(token)) return inactive("malformed", DESCRIPTIONS.malformed);
  const nowMs = deps.now?.() ?? Date.now();

  const verified = await verifySignatureAndClaims(deps, token, nowMs);
  if (!verified.ok) return inactive(verified.reason, DESCRIPTIONS[verified.reason]);
  const { payload } = verified;
  if (typeof payload.jti !== "string" || typeof payload.sub !== "string" || typeof payload.client_id !== "string") {
    return inactive("malformed", DESCRIPTIONS.malformed);
  }

  const record = await deps.tokens.findAccessTokenByJti(payload.jti);
  if (!record || record.subject !== payload.sub) return inactive("unknown", DESCRIPTIONS.unknown);
  if (record.status !== "valid" || record.grantRevoked) return inactive("revoked", DESCRIPTIONS.revoked);
  if (!record.clientEnabled) return inactive("revoked", DESCRIPTIONS.clientDisabled);
  if (record.expiresAt.getTime() <= nowMs) return inactive("expired", DESCRIPTIONS.expired);

  const clientId = payload.client_id;
  return {
    active: true,
    token: {
      jti: payload.jti,
      subject: record.subject,
      // client_credentials tokens carry no grant and name the client itself as subject.
      subjectType: record.grantId === null && record.subject === clientId ? "client" : "user",
      clientId,
      applicationId: record.applicationId,
      scopes: record.scopes,
      audiences: record.audiences,
      issuedAt: payload.iat!,
      expiresAt: payload.exp!,
      payload,
      record,
    },
  };
}
