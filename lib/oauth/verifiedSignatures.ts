// A bounded memory of the access tokens whose signature this process has
// verified. A resource server presents the same token on every call for its
// lifetime (userinfo, introspection), and an RS256 verification costs more
// than the rest of such a request's work. Only the signature is remembered:
// expiry is checked again on each use, and every use still reads the token's
// row (revocation, disabled client), so nothing about whether a token is
// active is cached here.
import type { JWTPayload } from "jose";
import { LruMap } from "../lruMap";

/** What a verification established: the claims as signed, and the key that signed them. */
export interface VerifiedSignature {
  payload: JWTPayload;
  kid: string;
}

/** About 1 KB an entry (the token is the key): a few MB at most. */
export const VERIFIED_SIGNATURES_KEPT = 4_096;

export class VerifiedSignatureCache {
  private readonly entries: LruMap<string, VerifiedSignature>;

  constructor(maxSize = VERIFIED_SIGNATURES_KEPT) {
    this.entries = new LruMap(maxSize);
  }

  /**
   * The verification of exactly this token string, if this process made one. Keyed by the whole
   * compact JWS: a changed header, payload or signature is another string, and is verified anew.
   */
  recall(token: string): VerifiedSignature | undefined {
    return this.entries.get(token);
  }

  remember(token: string, verified: VerifiedSignature): void {
    this.entries.set(token, { payload: Object.freeze({ ...verified.payload }), kid: verified.kid });
  }

  get size(): number {
    return this.entries.size;
  }
}
