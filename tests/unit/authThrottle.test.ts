// The failed sign-in throttle: the policy (lib/auth/throttle.ts) over the real
// SQL (lib/db/sessions.ts) on an in-memory PGlite with the project's migrations.
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SqlExecutor } from "@/lib/db/client";
import { clearSignInKey, countSignInAttempt, lockSignInKey, uncountSignInAttempt } from "@/lib/db/sessions";
import { accountKey, addressKey, SignInThrottle, type ThrottlePolicy } from "@/lib/auth/throttle";
import { openMemoryPglite } from "../helpers/memoryDatabase";

let pg: PGlite;
let sql: SqlExecutor;
let clock: Date;
const T0 = new Date("2026-11-26T10:00:00.000Z");
const minutes = (n: number) => new Date(clock.getTime() + n * 60_000);
const advance = (n: number) => {
  clock = minutes(n);
};

const policy: ThrottlePolicy = {
  account: { maxFailures: 5, windowSeconds: 900, lockSeconds: 900 },
  address: { maxFailures: 20, windowSeconds: 900, lockSeconds: 900 },
};

function throttle() {
  return new SignInThrottle(
    {
      countAttempt: (key, now, windowSeconds) => countSignInAttempt(sql, key, now, windowSeconds),
      lock: (key, now, until) => lockSignInKey(sql, key, now, until),
      uncount: (key) => uncountSignInAttempt(sql, key),
      clear: (key) => clearSignInKey(sql, key),
    },
    policy,
    () => clock,
  );
}

/** One attempt that fails (wrong password) or succeeds; returns whether it was refused up front. */
async function attempt(account: string, address: string | null, outcome: "fail" | "succeed") {
  const started = await throttle().begin(account, address);
  if (outcome === "succeed" && !started.refused) await started.succeeded();
  else await started.failed();
  return started.refused;
}

async function row(key: string) {
  const rows = await sql.query<{ failures: number; locked_until: Date | null }>(
    `SELECT "failures", "locked_until" FROM "sign_in_throttles" WHERE "key" = $1`,
    [key],
  );
  return rows[0] ?? null;
}

beforeAll(async () => {
  ({ pg, sql } = await openMemoryPglite());
}, 60_000);
afterAll(async () => {
  await pg?.close();
});
beforeEach(async () => {
  clock = T0;
  await pg.exec(`DELETE FROM "sign_in_throttles"`);
});

describe("keys", () => {
  it("lowercase the account and prefix both kinds", () => {
    expect(accountKey("  Alice@Example.COM ")).toBe("account:alice@example.com");
    expect(addressKey("203.0.113.9")).toBe("address:203.0.113.9");
  });
});

describe("per account", () => {
  it("allows five failures, then refuses even the right password for 15 minutes", async () => {
    for (let i = 0; i < 5; i++) expect(await attempt("alice", "10.0.0.1", "fail")).toBe(false);
    expect((await row("account:alice"))?.locked_until?.toISOString()).toBe(minutes(15).toISOString());
    expect(await attempt("alice", "10.0.0.2", "succeed")).toBe(true);
    advance(14);
    expect(await attempt("alice", "10.0.0.3", "succeed")).toBe(true);
    advance(1);
    // The lock is over: a new window starts and the right password works.
    expect(await attempt("alice", "10.0.0.4", "succeed")).toBe(false);
    expect(await row("account:alice")).toBeNull();
  });

  it("does not extend a running lock with further attempts", async () => {
    for (let i = 0; i < 5; i++) await attempt("alice", null, "fail");
    advance(10);
    expect(await attempt("alice", null, "fail")).toBe(true);
    expect((await row("account:alice"))?.locked_until?.toISOString()).toBe(new Date(T0.getTime() + 15 * 60_000).toISOString());
  });

  it("forgets failures once the window has passed without a lock", async () => {
    for (let i = 0; i < 4; i++) await attempt("alice", null, "fail");
    advance(15);
    expect(await attempt("alice", null, "fail")).toBe(false);
    expect((await row("account:alice"))?.failures).toBe(1);
    expect((await row("account:alice"))?.locked_until).toBeNull();
  });

  it("resets the account on success", async () => {
    for (let i = 0; i < 4; i++) await attempt("alice", "10.0.0.1", "fail");
    expect(await attempt("alice", "10.0.0.1", "succeed")).toBe(false);
    expect(await row("account:alice")).toBeNull();
    // Four more failures are allowed again before the lock.
    for (let i = 0; i < 4; i++) expect(await attempt("alice", "10.0.0.1", "fail")).toBe(false);
    expect((await row("account:alice"))?.locked_until).toBeNull();
  });

  it("keeps accounts apart", async () => {
    for (let i = 0; i < 5; i++) await attempt("alice", null, "fail");
    expect(await attempt("bob", null, "succeed")).toBe(false);
  });

  it("counts concurrent attempts one by one: a burst cannot get past the limit", async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => throttle().begin("alice", null)));
    expect(burst.filter((a) => !a.refused)).toHaveLength(5);
    await Promise.all(burst.map((a) => a.failed()));
    expect((await row("account:alice"))?.locked_until).not.toBeNull();
  });
});

describe("per address", () => {
  it("locks an address after twenty failures, across accounts", async () => {
    for (let i = 0; i < 20; i++) expect(await attempt(`user${i}`, "198.51.100.7", "fail")).toBe(false);
    expect(await attempt("alice", "198.51.100.7", "succeed")).toBe(true);
    // Other addresses are not affected.
    expect(await attempt("alice", "198.51.100.8", "succeed")).toBe(false);
    advance(15);
    expect(await attempt("alice", "198.51.100.7", "succeed")).toBe(false);
  });

  it("does not count successful sign-ins against the address", async () => {
    for (let i = 0; i < 30; i++) expect(await attempt("alice", "198.51.100.9", "succeed")).toBe(false);
    expect((await row("address:198.51.100.9"))?.failures).toBe(0);
  });

  it("is skipped when the address is unknown", async () => {
    await attempt("alice", null, "fail");
    const rows = await sql.query(`SELECT "key" FROM "sign_in_throttles" ORDER BY "key"`);
    expect(rows).toEqual([{ key: "account:alice" }]);
  });
});
