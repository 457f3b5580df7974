// The sign-in throttle's store (lib/db/signInThrottleStore.ts: rate-limiter-flexible's
// RateLimiterPostgres on sign_in_limits, and known_sign_in_addresses) in-process on
// an in-memory PGlite and on a throwaway PostgreSQL database, with the project's
// migrations. The policy itself is tests/unit/authThrottle.test.ts.
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ThrottleStore } from "@/lib/auth/ports";
import { SignInThrottle, type ThrottlePolicy } from "@/lib/auth/throttle";
import { openDatabase, type Database, type SqlExecutor } from "@/lib/db/client";
import { applyMigrations, loadMigrations } from "@/lib/db/migrate";
import { createSignInThrottleStore, KNOWN_ADDRESSES_PER_USER } from "@/lib/db/signInThrottleStore";
import { openMemoryPglite } from "../helpers/memoryDatabase";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres";
import { PROJECT_ROOT } from "../helpers/server";

const ADDRESS_KEY = "unit-test-address-key";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Backend {
  sql: SqlExecutor;
  close(): Promise<void>;
}

async function openPglite(): Promise<Backend> {
  const { pg, sql } = await openMemoryPglite();
  return { sql, close: () => pg.close() };
}

async function openPostgres(): Promise<Backend> {
  const database: TestDatabase = await createTestDatabase("gatehouse_throttle");
  let db: Database | undefined;
  try {
    db = await openDatabase({ databaseUrl: database.url, dataDir: "unused", poolSize: 12 });
    await db.withSqlSession((session) => applyMigrations(session, loadMigrations(path.join(PROJECT_ROOT, "prisma/migrations"))));
  } catch (error) {
    await db?.close();
    await database.drop();
    throw error;
  }
  const opened = db;
  return {
    sql: opened.sql,
    async close() {
      await opened.close();
      await database.drop();
    },
  };
}

const pgUp = await postgresAvailable();
if (!pgUp) console.warn("[signInThrottleStore.test] PostgreSQL at 127.0.0.1:5432 is not reachable: its half is skipped");

describe.each([
  { name: "PGlite", open: openPglite, run: true },
  { name: "PostgreSQL", open: openPostgres, run: pgUp },
])("sign-in throttle store on $name", ({ open, run }) => {
  let backend: Backend;
  let store: ThrottleStore;

  async function addUser(): Promise<string> {
    const id = randomUUID();
    await backend.sql.query(`INSERT INTO "users" ("id", "username", "name", "updated_at") VALUES ($1, $2, 'Test', now())`, [id, `user-${id}`]);
    return id;
  }

  beforeAll(async () => {
    if (!run) return;
    backend = await open();
    store = createSignInThrottleStore(backend.sql, { addressKey: ADDRESS_KEY, purgeExpired: false });
  }, 60_000);
  afterAll(async () => {
    await backend?.close();
  });

  it.runIf(run)("counts concurrent attempts one by one, and takes one back", async () => {
    const key = `pair:test:${randomUUID()}`;
    const counts = await Promise.all(Array.from({ length: 20 }, () => store.count(key, 3600)));
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await store.uncount(key, 3600);
    expect(await store.count(key, 3600)).toBe(20);
    const [row] = await backend.sql.query<{ points: number; expire: string | number }>(`SELECT "points", "expire" FROM "sign_in_limits" WHERE "key" = $1`, [`signin-fail:${key}`]);
    expect(row!.points).toBe(20);
    const msLeft = Number(row!.expire) - Date.now();
    expect(msLeft).toBeGreaterThan(3_000_000);
    expect(msLeft).toBeLessThanOrEqual(3_600_000);
    // Taking back the only count of a key leaves no row behind.
    const fresh = `pair:test:${randomUUID()}`;
    expect(await store.count(fresh, 3600)).toBe(1);
    await store.uncount(fresh, 3600);
    expect(await backend.sql.query(`SELECT 1 FROM "sign_in_limits" WHERE "key" = $1`, [`signin-fail:${fresh}`])).toEqual([]);
  });

  it.runIf(run)("gives exactly one of many concurrent claims the turn; the others learn the time left", async () => {
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

  it.runIf(run)("starts a new turn once the wait has run out, and a new window once the window has", async () => {
    const key = `pair:test:${randomUUID()}`;
    expect(await store.claimTurn(key, 0.2)).toBeNull();
    expect(await store.claimTurn(key, 0.2)).not.toBeNull();
    await store.count(key, 0.2);
    await store.count(key, 0.2);
    await sleep(400);
    expect(await store.claimTurn(key, 0.2)).toBeNull();
    expect(await store.count(key, 0.2)).toBe(1);
    await store.clear(key);
    expect(await backend.sql.query(`SELECT 1 FROM "sign_in_limits" WHERE "key" LIKE $1`, [`%${key}`])).toEqual([]);
  });

  it.runIf(run)("remembers known addresses as keyed hashes, at most a bounded number per user", async () => {
    const userId = await addUser();
    expect(await store.isKnownAddress(userId, "198.51.100.1")).toBe(false);
    for (let i = 1; i <= KNOWN_ADDRESSES_PER_USER + 2; i++) {
      await store.rememberAddress(userId, `198.51.100.${i}`);
      await sleep(3); // distinct timestamps: the oldest are the ones forgotten
    }
    const rows = await backend.sql.query<{ address_hash: string }>(`SELECT "address_hash" FROM "known_sign_in_addresses" WHERE "user_id" = $1::uuid`, [userId]);
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
    const other = createSignInThrottleStore(backend.sql, { addressKey: "another-key", purgeExpired: false });
    expect(await other.isKnownAddress(userId, "203.0.113.9")).toBe(false);
  });

  it.runIf(run)("through the policy: strangers slow the account, its known address stays open, the admin view counts and clears", async () => {
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
