import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, SignJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import { ensureSigningKeys, generateSigningKey, KeyRing, type PublicJwk } from "@/lib/oauth/signingKeys";
import { InMemorySigningKeyStore, TEST_SECRET } from "./fakes";

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

const encryption = new KeyEncryption(TEST_SECRET);

async function signWith(ring: KeyRing, alg: "RS256" | "ES256"): Promise<string> {
  const key = await ring.signingKey(alg);
  return new SignJWT({ a: 1 }).setProtectedHeader({ alg, kid: key.kid }).sign(key.privateKey);
}

describe("ensureSigningKeys", () => {
  let store: InMemorySigningKeyStore;
  let created: string[];

  beforeAll(async () => {
    store = new InMemorySigningKeyStore();
    created = await ensureSigningKeys(store, encryption);
  });

  it("creates exactly one active RS256 and one active ES256 key", () => {
    expect(store.keys.map((key) => key.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(store.keys.every((key) => key.status === "active")).toBe(true);
    expect(created).toHaveLength(2);
  });

  it("is idempotent: a second run creates nothing", async () => {
    const again = await ensureSigningKeys(store, encryption);
    expect(again).toEqual([]);
    expect(store.keys).toHaveLength(2);
  });

  it("replaces only the algorithm that has no active key", async () => {
    const local = new InMemorySigningKeyStore();
    await ensureSigningKeys(local, encryption);
    const es = local.keys.find((key) => key.alg === "ES256")!;
    local.setStatus(es.kid, "retiring");
    const again = await ensureSigningKeys(local, encryption);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatch(/^ES256 /);
    expect(local.keys.filter((key) => key.alg === "RS256")).toHaveLength(1);
    expect(local.keys.filter((key) => key.alg === "ES256" && key.status === "active")).toHaveLength(1);
  });

  it("DISC-03 kids are distinct and equal the RFC 7638 thumbprint of the public key", async () => {
    const kids = store.keys.map((key) => key.kid);
    expect(new Set(kids).size).toBe(kids.length);
    for (const key of store.keys) {
      const jwk = JSON.parse(key.publicJwk) as PublicJwk;
      expect(jwk.kid).toBe(key.kid);
      expect(jwk.alg).toBe(key.alg);
      expect(jwk.use).toBe("sig");
      expect(await calculateJwkThumbprint(jwk, "sha256")).toBe(key.kid);
    }
  });

  it("DISC-03 stored public JWKs carry no private members; private keys are stored encrypted", () => {
    for (const key of store.keys) {
      const jwk = JSON.parse(key.publicJwk) as Record<string, unknown>;
      for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
      expect(key.privateKeyEncrypted).not.toContain("PRIVATE KEY");
      expect(encryption.decrypt(key.privateKeyEncrypted, key.kid)).toContain("BEGIN PRIVATE KEY");
    }
  });

  it("RS256 keys are at least 2048 bits, ES256 keys use P-256", () => {
    const rsa = JSON.parse(store.keys.find((key) => key.alg === "RS256")!.publicJwk) as PublicJwk;
    expect(rsa.kty).toBe("RSA");
    expect(Buffer.from(rsa.n!, "base64url").length * 8).toBeGreaterThanOrEqual(2048);
    const ec = JSON.parse(store.keys.find((key) => key.alg === "ES256")!.publicJwk) as PublicJwk;
    expect(ec.kty).toBe("EC");
    expect(ec.crv).toBe("P-256");
  });
});

describe("KeyRing", () => {
  it("signs with the active key per algorithm, verifiable against its own JWKS", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const ring = new KeyRing(store, encryption);
    const jwks = createLocalJWKSet((await ring.publicKeys()) as { keys: PublicJwk[] });
    for (const alg of ["RS256", "ES256"] as const) {
      const jws = await signWith(ring, alg);
      const { protectedHeader } = await compactVerify(jws, jwks);
      expect(protectedHeader.alg).toBe(alg);
      expect(protectedHeader.kid).toBe(store.keys.find((key) => key.alg === alg)!.kid);
    }
  });

  it("caches: one store read serves many calls inside the interval", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const ring = new KeyRing(store, encryption, 60_000, () => 1_000);
    store.listCalls = 0;
    await Promise.all([ring.publicKeys(), ring.signingKey("RS256"), ring.signingKey("ES256")]);
    await ring.publicKeys();
    expect(store.listCalls).toBe(1);
  });

  it("DISC-06 after the refresh interval a new key appears in the JWKS; the old one stays listed", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    let now = 1_000_000;
    const ring = new KeyRing(store, encryption, 60_000, () => now);
    const before = await ring.publicKeys();
    expect(before.keys).toHaveLength(2);

    const oldRs = store.keys.find((key) => key.alg === "RS256")!;
    const newKey = await generateSigningKey("RS256", encryption);
    await store.insertSigningKey(newKey);
    store.setStatus(oldRs.kid, "retiring");

    now += 30_000; // inside the interval: still the cached ring
    expect((await ring.publicKeys()).keys.map((key) => key.kid)).not.toContain(newKey.kid);

    now += 31_000; // past the interval: the reload starts (a stale ring serves meanwhile)
    await ring.publicKeys();
    await vi.waitFor(async () => {
      expect((await ring.publicKeys()).keys.map((key) => key.kid)).toContain(newKey.kid);
    });
    const after = await ring.publicKeys();
    expect(after.keys).toHaveLength(3);
    expect(after.keys.map((key) => key.kid)).toContain(oldRs.kid);
    expect((await ring.signingKey("RS256")).kid).toBe(newKey.kid);
  });

  it("invalidate() makes the next call reload", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const ring = new KeyRing(store, encryption, 60_000, () => 5);
    await ring.publicKeys();
    const extra = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey(extra);
    expect((await ring.signingKey("ES256")).kid).not.toBe(extra.kid);
    ring.invalidate();
    expect((await ring.signingKey("ES256")).kid).toBe(extra.kid);
  });

  it("DISC-06 retiring keys are published but never used for signing", async () => {
    const store = new InMemorySigningKeyStore();
    // The retiring key is the newest row, so "newest first" alone would pick it.
    const active = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey(active);
    const retiring = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey({ ...retiring, status: "retiring" });
    const ring = new KeyRing(store, encryption);
    expect((await ring.publicKeys()).keys.map((key) => key.kid).sort()).toEqual([active.kid, retiring.kid].sort());
    expect((await ring.signingKey("ES256")).kid).toBe(active.kid);
  });

  it("retired keys are neither published nor used; no active key is a clear error", async () => {
    const store = new InMemorySigningKeyStore();
    const key = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey({ ...key, status: "retired" });
    const ring = new KeyRing(store, encryption);
    expect((await ring.publicKeys()).keys).toEqual([]);
    await expect(ring.signingKey("ES256")).rejects.toThrow(/No active ES256 signing key/);
  });

  it("of two active keys for one algorithm, the newest signs", async () => {
    const store = new InMemorySigningKeyStore();
    const older = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey(older);
    const newer = await generateSigningKey("ES256", encryption);
    await store.insertSigningKey(newer);
    const ring = new KeyRing(store, encryption);
    expect((await ring.signingKey("ES256")).kid).toBe(newer.kid);
  });

  it("a wrong GATEHOUSE_SECRET surfaces as a clear error when loading", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const ring = new KeyRing(store, new KeyEncryption(TEST_SECRET + "-other"));
    await expect(ring.signingKey("RS256")).rejects.toThrow(/GATEHOUSE_SECRET/);
  });
});

describe("JWKS endpoint", () => {
  let store: InMemorySigningKeyStore;
  let jwks: (request: Request) => Promise<Response>;

  beforeAll(async () => {
    store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    jwks = createJwksEndpoint(new KeyRing(store, encryption));
  });

  it("DISC-03 serves a JWK Set with distinct kids and no private or symmetric material", async () => {
    const response = await jwks(new Request("https://id.example.test/.well-known/jwks.json"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    const body = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(2);
    const kids = body.keys.map((key) => key.kid);
    expect(new Set(kids).size).toBe(2);
    for (const key of body.keys) {
      expect(typeof key.kid).toBe("string");
      expect(["RSA", "EC"]).toContain(key.kty);
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
  });

  it("allows CORS and HEAD, refuses POST with 405", async () => {
    const head = await jwks(new Request("https://id.example.test/.well-known/jwks.json", { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect(head.headers.get("access-control-allow-origin")).toBe("*");
    const post = await jwks(new Request("https://id.example.test/.well-known/jwks.json", { method: "POST" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
