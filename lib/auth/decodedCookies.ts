// Decoded session cookies, remembered by value. Decoding an Auth.js cookie
// derives its key (HKDF) and a key thumbprint and decrypts the JWE on every
// call; a browser sends the same cookie on every request, so the result for a
// value is kept and only the row check (the session still live, its user still
// enabled) runs each time. The value is the whole ciphertext: an entry is
// reached only by presenting that exact cookie, and one that fails to decode
// is never kept (a stranger cannot fill the map with garbage).

import { LruMap } from "../lruMap";

/** Seconds of clock skew Auth.js's decode accepts on `exp` (@auth/core/jwt decode's clockTolerance). */
export const AUTH_JS_CLOCK_TOLERANCE_SECONDS = 15;

interface DecodedCookie {
  payload: Record<string, unknown>;
  /** Epoch milliseconds after which decode would refuse the cookie; Infinity without `exp`. */
  refusedAfter: number;
}

export class DecodedCookieCache {
  readonly #entries: LruMap<string, DecodedCookie>;

  constructor(
    maxEntries = 10_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.#entries = new LruMap(maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The payload of `token`, from the cache while it would still decode, else
   * from `decode` (whose failures propagate and are not remembered).
   */
  async decode(token: string, decode: (token: string) => Promise<Record<string, unknown> | null>): Promise<Record<string, unknown> | null> {
    const cached = this.#entries.get(token);
    if (cached) {
      if (this.clock() <= cached.refusedAfter) return cached.payload;
      this.#entries.delete(token);
      return decode(token); // expired: let Auth.js say so, as without the cache
    }
    const payload = await decode(token);
    if (payload) this.#remember(token, payload);
    return payload;
  }

  #remember(token: string, payload: Record<string, unknown>) {
    const exp = typeof payload.exp === "number" ? payload.exp : null;
    const refusedAfter = exp === null ? Number.POSITIVE_INFINITY : (exp + AUTH_JS_CLOCK_TOLERANCE_SECONDS) * 1000;
    this.#entries.set(token, { payload, refusedAfter });
  }
}
