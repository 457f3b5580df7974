// Key rotation (issue #4 item 6): new active keys, the previous ones retiring
// (published, never signing) until every token they signed has expired.
import { compactVerify, createLocalJWKSet, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { KeyEncryption } from "@/lib/oauth/keyEncryption";
import {
  computeRetireAfter,
  ensureSigningKeys,
  KEY_ROTATION_CLOCK_SKEW_SECONDS,
  KeyRing,
  rotateSigningKeys,
  type PublicJwk,
} from "@/lib/oauth/signingKeys";
import { InMemorySigningKeyStore, TEST_SECRET } from "./fakes";

const encryption = new KeyEncryption(TEST_SECRET);
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

async function signWith(ring: KeyRing, alg: "RS256" | "ES256"): Promise<string> {
  const key = await ring.signingKey(alg);
  return new SignJWT({ a: 1 }).setProtectedHeader({ alg, kid: key.kid }).sign(key.privateKey);
}

async function rotatedStore() {
  const store = new InMemorySigningKeyStore();
  await ensureSigningKeys(store, encryption);
  const before = store.keys.map((key) => ({ alg: key.alg, kid: key.kid }));
  const retireAfter = new Date(T0 + 3_720_000);
  const report = await rotateSigningKeys(store, encryption, { retireAfter, now: new Date(T0) });
  return { store, before, report, retireAfter };
}

describe("computeRetireAfter", () => {
  it("adds the longest token lifetime, the key refresh interval and the clock-skew margin to now", () => {
    const now = new Date(T0);
    const at = computeRetireAfter({ now, tokenLifetimes: [3600, null, 7200, undefined, 300], keyRefreshSeconds: 60 });
    expect(at.getTime() - T0).toBe((7200 + 60 + KEY_ROTATION_CLOCK_SKEW_SECONDS) * 1000);
    expect(computeRetireAfter({ now, tokenLifetimes: [900], keyRefreshSeconds: 1, clockSkewSeconds: 0 }).getTime() - T0).toBe(901_000);
  });
});

describe("rotateSigningKeys", () => {
  it("creates a new active key per algorithm and turns the previous ones into retiring keys with retire_after", async () => {
    const { store, before, report, retireAfter } = await rotatedStore();
    expect(report.created.map((key) => key.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(report.retiring.sort()).toEqual(before.map((key) => key.kid).sort());
    expect(report.retireAfter).toEqual(retireAfter);
    for (const old of before) {
      const row = store.keys.find((key) => key.kid === old.kid)!;
      expect(row.status).toBe("retiring");
      expect(row.retireAfter).toEqual(retireAfter);
    }
    for (const alg of ["RS256", "ES256"] as const) {
      const active = store.keys.filter((key) => key.alg === alg && key.status === "active");
      expect(active).toHaveLength(1);
      expect(active[0]!.kid).toBe(report.created.find((key) => key.alg === alg)!.kid);
      expect(active[0]!.retireAfter ?? null).toBeNull();
    }
  });

  it("--alg: rotates only the given algorithm", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    const es = store.keys.find((key) => key.alg === "ES256")!.kid;
    const rs = store.keys.find((key) => key.alg === "RS256")!.kid;
    const report = await rotateSigningKeys(store, encryption, { algs: ["ES256"], retireAfter: new Date(T0 + 1000), now: new Date(T0) });
    expect(report.created.map((key) => key.alg)).toEqual(["ES256"]);
    expect(report.retiring).toEqual([es]);
    expect(store.keys.find((key) => key.kid === rs)!.status).toBe("active");
    expect(store.keys.filter((key) => key.status === "active")).toHaveLength(2);
  });

  it("DISC-06 / DISC-03 the JWKS lists old and new keys, with distinct kids", async () => {
    const { store, before, report } = await rotatedStore();
    const ring = new KeyRing(store, encryption, 60_000, () => T0 + 1000);
    const response = await createJwksEndpoint(ring)(new Request("https://id.example.test/.well-known/jwks.json"));
    const body = (await response.json()) as { keys: PublicJwk[] };
    const kids = body.keys.map((key) => key.kid);
    expect(kids).toHaveLength(4);
    expect(new Set(kids).size).toBe(4);
    for (const kid of [...before.map((key) => key.kid), ...report.created.map((key) => key.kid)]) expect(kids).toContain(kid);
  });

  it("signing uses the new key; tokens signed by the old key still verify (against the JWKS and verificationKey)", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    let now = T0;
    const ring = new KeyRing(store, encryption, 60_000, () => now);
    const oldTokens = { RS256: await signWith(ring, "RS256"), ES256: await signWith(ring, "ES256") };
    const oldKids = { RS256: (await ring.signingKey("RS256")).kid, ES256: (await ring.signingKey("ES256")).kid };
    const report = await rotateSigningKeys(store, encryption, { retireAfter: new Date(T0 + 3_600_000), now: new Date(T0) });
    ring.invalidate();
    now += 1000;
    const jwks = createLocalJWKSet((await ring.publicKeys()) as { keys: PublicJwk[] });
    for (const alg of ["RS256", "ES256"] as const) {
      const fresh = await signWith(ring, alg);
      expect((await compactVerify(fresh, jwks)).protectedHeader.kid).toBe(report.created.find((key) => key.alg === alg)!.kid);
      expect((await compactVerify(oldTokens[alg], jwks)).protectedHeader.kid).toBe(oldKids[alg]);
      const verification = await ring.verificationKey(oldKids[alg]);
      expect(verification?.kid).toBe(oldKids[alg]);
      await compactVerify(oldTokens[alg], verification!.publicKey);
    }
  });

  it("a retiring key leaves the JWKS and stops verifying once retire_after has passed; the next rotation marks it retired", async () => {
    const { store, before, report, retireAfter } = await rotatedStore();
    let now = retireAfter.getTime() - 1000;
    const ring = new KeyRing(store, encryption, 60_000, () => now);
    expect((await ring.publicKeys()).keys).toHaveLength(4);

    now = retireAfter.getTime();
    ring.invalidate();
    const kids = (await ring.publicKeys()).keys.map((key) => key.kid).sort();
    expect(kids).toEqual(report.created.map((key) => key.kid).sort());
    for (const old of before) expect(await ring.verificationKey(old.kid)).toBeNull();

    const second = await rotateSigningKeys(store, encryption, { retireAfter: new Date(now + 3_600_000), now: new Date(now) });
    expect(second.retired.sort()).toEqual(before.map((key) => key.kid).sort());
    for (const old of before) expect(store.keys.find((key) => key.kid === old.kid)!.status).toBe("retired");
    expect(second.retiring.sort()).toEqual(report.created.map((key) => key.kid).sort());
  });

  it("running rings pick up the rotation after their refresh interval", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    let now = T0;
    const ring = new KeyRing(store, encryption, 1_000, () => now);
    const oldKid = (await ring.signingKey("RS256")).kid;
    const report = await rotateSigningKeys(store, encryption, { retireAfter: new Date(T0 + 3_600_000), now: new Date(T0) });
    const newKid = report.created.find((key) => key.alg === "RS256")!.kid;
    expect((await ring.signingKey("RS256")).kid).toBe(oldKid); // cached
    now += 1_500;
    await ring.signingKey("RS256"); // a stale ring serves while the reload runs
    await expect.poll(async () => (await ring.signingKey("RS256")).kid).toBe(newKid);
  });

  it("a rotation in this process (invalidate) wins over a background reload that read the store before it", async () => {
    const store = new InMemorySigningKeyStore();
    await ensureSigningKeys(store, encryption);
    // The next read of the store answers with what it held at that moment, but only when released.
    let release: () => void = () => undefined;
    let gateNext = false;
    const gated: InMemorySigningKeyStore = Object.create(store);
    gated.listPublishedSigningKeys = async () => {
      const snapshot = await store.listPublishedSigningKeys();
      if (gateNext) {
        gateNext = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return snapshot;
    };
    let now = T0;
    const ring = new KeyRing(gated, encryption, 1_000, () => now);
    const oldKid = (await ring.signingKey("RS256")).kid;

    now += 1_500; // stale: the next read starts a background reload, which stalls on the old keys
    gateNext = true;
    expect((await ring.signingKey("RS256")).kid).toBe(oldKid);
    const report = await rotateSigningKeys(store, encryption, { retireAfter: new Date(T0 + 3_600_000), now: new Date(now) });
    ring.invalidate();
    const newKid = report.created.find((key) => key.alg === "RS256")!.kid;
    expect((await ring.signingKey("RS256")).kid).toBe(newKid);

    release(); // the stalled reload finishes with the old keys: they must not come back
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await ring.signingKey("RS256")).kid).toBe(newKid);
    expect((await ring.publicKeys()).keys.map((key) => key.kid)).toContain(newKid);
  });
});
