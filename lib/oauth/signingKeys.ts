// The key ring: every key lives in the database (private half encrypted), so
// all instances on one database sign and verify with the same keys. Each
// process caches the decrypted keys and reloads them periodically.
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK } from "jose";
import type { KeyEncryption } from "./keyEncryption";
import type { SigningAlgorithm, SigningKeyStore, StoredSigningKey } from "./ports";

export const SUPPORTED_SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["RS256", "ES256"];

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

/** A published key's public half, for verifying what this server signed. */
export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  publicKey: CryptoKey;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: "sig";
}

/** Generates a key pair and returns the row to store (kid = RFC 7638 thumbprint). */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  encryption: KeyEncryption,
): Promise<Omit<StoredSigningKey, "createdAt">> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  const publicJwk: PublicJwk = { ...jwk, kid, alg, use: "sig" };
  const pkcs8 = await exportPKCS8(privateKey);
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    privateKeyEncrypted: encryption.encrypt(pkcs8, kid),
    status: "active",
  };
}

/** Makes sure one active key exists per supported algorithm. Run under the startup lock. */
export async function ensureSigningKeys(store: SigningKeyStore, encryption: KeyEncryption): Promise<string[]> {
  const existing = await store.listPublishedSigningKeys();
  const created: string[] = [];
  for (const alg of SUPPORTED_SIGNING_ALGORITHMS) {
    if (existing.some((key) => key.alg === alg && key.status === "active")) continue;
    const key = await generateSigningKey(alg, encryption);
    await store.insertSigningKey(key);
    created.push(`${alg} ${key.kid}`);
  }
  return created;
}

/**
 * The algorithms whose active key is `rotationDays` old or older, at `now`: a key's cryptoperiod is
 * bounded (NIST SP 800-57 Part 1 §5.3), so keys are replaced on a schedule, not only by hand.
 * An algorithm with no active key is not due: ensureSigningKeys creates it at start.
 */
export function keysDueForRotation(keys: readonly Pick<StoredSigningKey, "alg" | "status" | "createdAt">[], now: Date, rotationDays: number): SigningAlgorithm[] {
  const oldestAllowed = now.getTime() - rotationDays * 86_400_000;
  return SUPPORTED_SIGNING_ALGORITHMS.filter((alg) => {
    const active = keys.filter((key) => key.alg === alg && key.status === "active");
    // Several active keys of one algorithm never coexist after a rotation; if they did, the newest signs.
    const newest = Math.max(...active.map((key) => key.createdAt.getTime()));
    return active.length > 0 && newest <= oldestAllowed;
  });
}

/** Seconds added to a retiring key's lifetime for clocks that disagree (RPs verifying `exp` leniently). */
export const KEY_ROTATION_CLOCK_SKEW_SECONDS = 60;

/**
 * When a key retired now may leave the JWKS: after the longest lifetime a token
 * it signed can still have, plus the key-ring refresh interval (running
 * servers may sign with the old key until they reload) and a clock-skew margin.
 */
export function computeRetireAfter(options: {
  now: Date;
  /** Token lifetimes in seconds: the server's access token lifetime, client overrides, the default ID token lifetime… */
  tokenLifetimes: readonly (number | null | undefined)[];
  keyRefreshSeconds: number;
  clockSkewSeconds?: number;
}): Date {
  const longest = Math.max(0, ...options.tokenLifetimes.map((value) => value ?? 0));
  const margin = options.keyRefreshSeconds + (options.clockSkewSeconds ?? KEY_ROTATION_CLOCK_SKEW_SECONDS);
  return new Date(options.now.getTime() + (longest + margin) * 1000);
}

export interface KeyRotationReport {
  created: { alg: SigningAlgorithm; kid: string }[];
  retiring: string[];
  retired: string[];
  retireAfter: Date;
}

/**
 * Makes a new active key per algorithm and turns the previous active keys into
 * retiring ones (published, never signing) until `retireAfter`. Retiring keys
 * already past their retire_after become retired. Run under the startup lock.
 */
export async function rotateSigningKeys(
  store: SigningKeyStore,
  encryption: KeyEncryption,
  options: { algs?: readonly SigningAlgorithm[]; retireAfter: Date; now?: Date },
): Promise<KeyRotationReport> {
  const algs = [...new Set(options.algs ?? SUPPORTED_SIGNING_ALGORITHMS)];
  const keys = [];
  for (const alg of algs) keys.push(await generateSigningKey(alg, encryption));
  const result = await store.rotateSigningKeys(keys, options.retireAfter, options.now ?? new Date());
  return { created: keys.map(({ alg, kid }) => ({ alg, kid })), ...result, retireAfter: options.retireAfter };
}

/**
 * Whether a stored key is still published and trusted at `at` (epoch ms): active keys are, and
 * retiring keys until their retireAfter, whatever the stored status says until the next rotation.
 */
export function isPublishedKey(key: { status: string; retireAfter?: Date | null }, at: number): boolean {
  if (key.status === "active") return true;
  return key.status === "retiring" && (!key.retireAfter || key.retireAfter.getTime() > at);
}

interface KeyRingState {
  active: Map<SigningAlgorithm, ActiveSigningKey>;
  /** Active and retiring keys by kid. */
  verification: Map<string, VerificationKey>;
  jwks: { keys: PublicJwk[] };
  jwksJson: string;
  loadedAt: number;
  /** The ring's generation when the load began; a load from before an invalidate() is not kept. */
  generation: number;
}

export class KeyRing {
  private state: KeyRingState | null = null;
  private generation = 0;
  private loading: Promise<KeyRingState> | null = null;
  private lastUnknownKidReload = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly encryption: KeyEncryption,
    private readonly refreshIntervalMs = 60_000,
    private readonly now: () => number = Date.now,
    /** At most one reload per this many ms because of an unknown kid (garbage tokens must not hammer the store). */
    private readonly unknownKidReloadMs = 5_000,
  ) {}

  /** The key to sign with for `alg`; throws if none is active. */
  async signingKey(alg: SigningAlgorithm): Promise<ActiveSigningKey> {
    const state = await this.current();
    const key = state.active.get(alg);
    if (!key) throw new Error(`No active ${alg} signing key. Restart the server to generate one.`);
    return key;
  }

  /** The public JWK Set (active and retiring keys), as an object and as JSON text. */
  async publicKeys(): Promise<{ keys: PublicJwk[]; json: string }> {
    const state = await this.current();
    return { keys: state.jwks.keys, json: state.jwksJson };
  }

  /**
   * The public key for `kid` (active or retiring), or null. An unknown kid
   * reloads the ring once — another instance may have just created the key —
   * but not more often than every `unknownKidReloadMs`.
   */
  async verificationKey(kid: string): Promise<VerificationKey | null> {
    const state = await this.current();
    const known = state.verification.get(kid);
    if (known) return known;
    if (this.now() - this.lastUnknownKidReload < this.unknownKidReloadMs) return null;
    this.lastUnknownKidReload = this.now();
    const fresh = await this.reload();
    return fresh.verification.get(kid) ?? null;
  }

  /**
   * Forces the next call to reload from the store (after a rotation). A load
   * already under way read the store before the rotation: it is not joined,
   * and its result is not kept.
   */
  invalidate(): void {
    this.generation++;
    this.state = null;
    this.loading = null;
  }

  private startLoading(): Promise<KeyRingState> {
    if (!this.loading) {
      const loading: Promise<KeyRingState> = this.load().finally(() => {
        if (this.loading === loading) this.loading = null;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  /** Keeps a loaded ring unless an invalidate() came after its load began. */
  private keep(fresh: KeyRingState): boolean {
    if (fresh.generation !== this.generation) return false;
    this.state = fresh;
    return true;
  }

  /** Waits for a fresh ring of the current generation (joining a reload already under way). */
  private async reload(): Promise<KeyRingState> {
    let fresh = await this.startLoading();
    while (!this.keep(fresh)) fresh = await this.startLoading();
    return fresh;
  }

  private async current(): Promise<KeyRingState> {
    const state = this.state;
    if (state && this.now() - state.loadedAt < this.refreshIntervalMs) return state;
    // A stale ring keeps serving while the reload runs; only a cold ring waits.
    if (state) {
      this.startLoading()
        .then((fresh) => this.keep(fresh))
        .catch(() => undefined);
      return state;
    }
    return this.reload();
  }

  private async load(): Promise<KeyRingState> {
    const generation = this.generation;
    const loadedAt = this.now();
    const stored = (await this.store.listPublishedSigningKeys()).filter((key) => isPublishedKey(key, loadedAt));
    const active = new Map<SigningAlgorithm, ActiveSigningKey>();
    for (const key of stored) {
      // Newest first: the first active key per algorithm signs.
      if (key.status !== "active" || active.has(key.alg)) continue;
      const pkcs8 = this.encryption.decrypt(key.privateKeyEncrypted, key.kid);
      active.set(key.alg, { kid: key.kid, alg: key.alg, privateKey: await importPKCS8(pkcs8, key.alg) });
    }
    const keys = stored.map((key) => JSON.parse(key.publicJwk) as PublicJwk);
    const verification = new Map<string, VerificationKey>();
    for (const [index, jwk] of keys.entries()) {
      const { kid, alg } = stored[index]!;
      verification.set(kid, { kid, alg, publicKey: (await importJWK(jwk, alg)) as CryptoKey });
    }
    const jwks = { keys };
    return { active, verification, jwks, jwksJson: JSON.stringify(jwks), loadedAt, generation };
  }
}
