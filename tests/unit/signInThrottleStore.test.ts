// The sign-in throttle's store (lib/db/signInThrottleStore.ts: rate-limiter-flexible's
// RateLimiterPostgres on sign_in_limits, and known_sign_in_addresses) in-process on
// PGlite and on PostgreSQL, with the project's migrations. The policy itself is
// tests/unit/authThrottle.test.ts.
import { randomUUID } from "node:crypto";
import { beforeAll, expect, it } from "vitest";
import type { ThrottleStore } from "@/lib/auth/ports";
import { SignInThrottle, type ThrottlePolicy } from "@/lib/auth/throttle";
import { createSignInThrottleStore, KNOWN_ADDRESSES_PER_USER } from "@/lib/db/signInThrottleStore";
import { describeEachBackend } from "../helpers/backends";

const ADDRESS_KEY = "unit-test-address-key";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachBackend("sign-in throttle store", (db) => {
  let store: ThrottleStore;

  async function addUser(): Promise<string> {
    const id = randomUUID();
    await db.sql.query(`INSERT INTO "users" ("id", "username", "name", "updated_at") VALUES ($1, $2, 'Test', now())`, [id, `user-${id}`]);
    return id;
  }

  beforeAll(() => {
    store = createSignInThrottleStore(db.sql, { addressKey: ADDRESS_KEY, purgeExpired: false });
  });

  it("counts concurrent attempts one by one, and takes one back", async () => {
    const key = `pair:test:${randomUUID()}`;
    const counts = await Promise.all(Array.from({ length: 20 }, () => store.count(key, 3600)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await store.uncount(key, 3600);
    expect(await store.count(key, 3600)).toBe(20);
    const [row] = await db.sql.query<{ points: number; expire: string | number }>(`SELECT "points", "expire" FROM "sign_in_limits" WHERE "key" = $1`, [`signin-fail:${key}`]);
    expect(row!.points).toBe(20);
    const msLeft = Number(row!.expire) - Date.now();
    expect(msLeft).toBeGreaterThan(3_000_000);
    expect(msLeft).toBeLessThanOrEqual(3_600_000);
    // Taking back the only count of a key leaves no row behind.
    const fresh = `pair:test:${randomUUID()}`;
    expect(await store.count(fresh, 3600)).toBe(1);
    await store.uncount(fresh, 3600);
    expect(await db.sql.query(`SELECT 1 FROM "sign_in_limits" WHERE "key" = $1`, [`signin-fail:${fresh}`])).toEqual([]);
  });

  it("gives exactly one of many concurrent claims the turn; the others learn the time left", async () => {
    const key = `account:test:${randomUUID()}`;
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimTurn(key, 60)));
    expect(claims.filter((claim) => claim === null)).toHaveLength(1);
    for (const left of claims.filter((claim) => claim !== null)) {
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(60_000);
    }
    await store.releaseTurn(key);
    expect(await store.claimTurn(key, 60)).toBeNull();
  });

  it("starts a new turn once the wait has run out, and a new window once the window has", async () => {
    const key = `pair:test:${randomUUID()}`;
    expect(await store.claimTurn(key, 0.2)).toBeNull();
    expect(await store.claimTurn(key, 0.2)).not.toBeNull();
    await store.count(key, 0.2);
    await store.count(key, 0.2);
    await sleep(400);
    expect(await store.claimTurn(key, 0.2)).toBeNull();
    expect(await store.count(key, 0.2)).toBe(1);
    await store.clear(key);
    expect(await db.sql.query(`SELECT 1 FROM "sign_in_limits" WHERE "key" LIKE $1`, [`%${key}`])).toEqual([]);
  });

  it("remembers known addresses as keyed hashes, at most a bounded number per user", async () => {
    const userId = await addUser();
    expect(await store.isKnownAddress(userId, "198.51.100.1")).toBe(false);
    for (let i = 1; i <= KNOWN_ADDRESSES_PER_USER + 2; i++) {
      await store.rememberAddress(userId, `198.51.100.${i}`);
      await sleep(3); // distinct timestamps: the oldest are the ones forgotten
    }
    const rows = await db.sql.query<{ address_hash: string }>(`SELECT "address_hash" FROM "known_sign_in_addresses" WHERE "user_id" = $1::uuid`, [userId]);
    expect(rows).toHaveLength(KNOWN_ADDRESSES_PER_USER);
    expect(rows.some((row) => row.address_hash.includes("198.51.100"))).toBe(false);
    expect(await store.isKnownAddress(userId, "198.51.100.1")).toBe(false);
    expect(await store.isKnownAddress(userId, "198.51.100.2")).toBe(false);
    expect(await store.isKnownAddress(userId, "198.51.100.3")).toBe(true);
    expect(await store.isKnownAddress(userId, `198.51.100.${KNOWN_ADDRESSES_PER_USER + 2}`)).toBe(true);
    // Refreshing an old one keeps it when a new one arrives.
    await store.rememberAddress(userId, "198.51.100.3");
    await sleep(3);
    await store.rememberAddress(userId, "203.0.113.9");
    expect(await store.isKnownAddress(userId, "198.51.100.3")).toBe(true);
    expect(await store.isKnownAddress(userId, "198.51.100.4")).toBe(false);
    // Another key (another deployment secret) knows nothing.
    const other = createSignInThrottleStore(db.sql, { addressKey: "another-key", purgeExpired: false });
    expect(await other.isKnownAddress(userId, "203.0.113.9")).toBe(false);
  });

  it("through the policy: strangers slow the account, its known address stays open, the admin view counts and clears", async () => {
    const policy: ThrottlePolicy = {
      pair: { freeFailures: 5, firstDelaySeconds: 60, maxDelaySeconds: 600, windowSeconds: 3600 },
      account: { freeFailures: 3, firstDelaySeconds: 60, maxDelaySeconds: 600, windowSeconds: 3600 },
      address: { freeFailures: 50, firstDelaySeconds: 60, maxDelaySeconds: 600, windowSeconds: 3600 },
    };
    const throttle = new SignInThrottle(store, policy);
    const userId = await addUser();
    const subject = { userId, identifier: "someone" };
    const home = await throttle.begin(subject, "203.0.113.50");
    expect(home.refused).toBe(false);
    if (!home.refused) await home.succeeded();
    for (let i = 0; i < 3; i++) expect((await throttle.begin(subject, `198.51.100.${i}`)).refused).toBe(false);
    const stranger = await throttle.begin(subject, "198.51.100.99");
    expect(stranger).toMatchObject({ refused: true });
    expect(stranger.refused && stranger.retryAfterSeconds).toBeGreaterThan(50);
    expect((await throttle.begin(subject, "203.0.113.50")).refused).toBe(false);

    const state = await throttle.accountState(userId);
    expect(state).toMatchObject({ unknownAddressFailures: 3, failures: 4, addresses: 4 });
    expect(state.throttledUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(await throttle.clearAccount(userId)).toBeGreaterThanOrEqual(5);
    expect(await throttle.accountState(userId)).toMatchObject({ throttledUntil: null, failures: 0, addresses: 0, unknownAddressFailures: 0 });
    expect((await throttle.begin(subject, "198.51.100.99")).refused).toBe(false);
  });
});
