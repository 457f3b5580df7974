// The key ring: every key lives in the database (private half encrypted), so
// all instances on one database sign and verify with the same keys. Each
// process caches the decrypted keys and reloads them periodically.
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type JWK } from "jose";
import type { KeyEncryption } from "./keyEncryption";
import type { SigningAlgorithm, SigningKeyStore, StoredSigningKey } from "./ports";

export const SUPPORTED_SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["RS256", "ES256"];

export interface ActiveSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
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

interface KeyRingState {
  active: Map<SigningAlgorithm, ActiveSigningKey>;
  jwks: { keys: PublicJwk[] };
  jwksJson: string;
  loadedAt: number;
}

export class KeyRing {
  private state: KeyRingState | null = null;
  private loading: Promise<KeyRingState> | null = null;

  constructor(
    private readonly store: SigningKeyStore,
    private readonly encryption: KeyEncryption,
    private readonly refreshIntervalMs = 60_000,
    private readonly now: () => number = Date.now,
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

  /** Forces the next call to reload from the store (after a rotation). */
  invalidate(): void {
    this.state = null;
  }

  private async current(): Promise<KeyRingState> {
    const state = this.state;
    if (state && this.now() - state.loadedAt < this.refreshIntervalMs) return state;
    if (!this.loading) {
      this.loading = this.load().finally(() => {
        this.loading = null;
      });
    }
    // A stale ring keeps serving while the reload runs; only a cold ring waits.
    if (state) {
      this.loading.then((fresh) => (this.state = fresh)).catch(() => undefined);
      return state;
    }
    this.state = await this.loading;
    return this.state;
  }

  private async load(): Promise<KeyRingState> {
    const stored = await this.store.listPublishedSigningKeys();
    const active = new Map<SigningAlgorithm, ActiveSigningKey>();
    for (const key of stored) {
      // Newest first: the first active key per algorithm signs.
      if (key.status !== "active" || active.has(key.alg)) continue;
      const pkcs8 = this.encryption.decrypt(key.privateKeyEncrypted, key.kid);
      active.set(key.alg, { kid: key.kid, alg: key.alg, privateKey: await importPKCS8(pkcs8, key.alg) });
    }
    const keys = stored.map((key) => JSON.parse(key.publicJwk) as PublicJwk);
    const jwks = { keys };
    return { active, jwks, jwksJson: JSON.stringify(jwks), loadedAt: this.now() };
  }
}
