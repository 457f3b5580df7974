// id_token_hint (OIDC Core §3.1.2.1; RP-Initiated Logout 1.0 §2): an ID token
// this server signed, sent back by an app to say which user it expects. Both
// /connect/authorize and /connect/logout read it. Only our signature and our
// issuer count; exp is deliberately not checked, because an expired ID token
// still names the user (and logout hints are often old).
import { compactVerify, decodeProtectedHeader } from "jose";
import type { OAuthServerConfig } from "./config";
import type { SigningAlgorithm } from "./ports";
import { SUPPORTED_SIGNING_ALGORITHMS, type KeyRing } from "./signingKeys";

/** Longer than any ID token we issue, short enough not to be a denial-of-service lever. */
const MAX_HINT_LENGTH = 16 * 1024;

export interface IdTokenHintClaims {
  sub: string;
  aud: string[];
  azp: string | null;
  sid: string | null;
}

export interface IdTokenHintDeps {
  config: Pick<OAuthServerConfig, "issuer">;
  keys: Pick<KeyRing, "verificationKey">;
}

/** The hint's claims when we signed it (expired or not) and it names us as issuer; otherwise null. */
export async function verifyIdTokenHint(deps: IdTokenHintDeps, token: string): Promise<IdTokenHintClaims | null> {
  if (token.length > MAX_HINT_LENGTH) return null;
  try {
    const header = decodeProtectedHeader(token);
    if (typeof header.kid !== "string" || !SUPPORTED_SIGNING_ALGORITHMS.includes(header.alg as SigningAlgorithm)) return null;
    if (header.typ !== undefined && header.typ.toUpperCase() !== "JWT") return null; // e.g. an at+jwt access token
    const key = await deps.keys.verificationKey(header.kid);
    if (!key || key.alg !== header.alg) return null;
    const { payload } = await compactVerify(token, key.publicKey, { algorithms: [key.alg] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (claims.iss !== deps.config.issuer || typeof claims.sub !== "string" || !claims.sub) return null;
    const aud = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : null;
    if (!aud || aud.length === 0 || !aud.every((value): value is string => typeof value === "string")) return null;
    return {
      sub: claims.sub,
      aud,
      azp: typeof claims.azp === "string" ? claims.azp : null,
      sid: typeof claims.sid === "string" ? claims.sid : null,
    };
  } catch {
    return null;
  }
}
