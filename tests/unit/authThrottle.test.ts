// The sign-in throttle's policy (lib/auth/throttle.ts) on an in-memory store
// with an injected clock: fast, and exact about every wait. The same store
// contract on PGlite and PostgreSQL is tests/unit/signInThrottleStore.test.ts.
import { beforeEach, describe, expect, it } from "vitest";
import type { AccountThrottleCounters, ThrottleStore } from "@/lib/auth/ports";
import { accountPart, delayFor, SignInThrottle, type ThrottlePolicy } from "@/lib/auth/throttle";

let clock: number;
const T0 = Date.parse("2026-12-07T10:00:00.000Z");
const advance = (seconds: number) => {
  clock += seconds * 1000;
};

/** ThrottleStore in memory, on `clock`: the semantics of rate-limiter-flexible's penalty/reward/delete. */
class MemoryThrottleStore implements ThrottleStore {
  counters = new Map<string, { points: number; expire: number }>();
  turns = new Map<string, { points: number; expire: number }>();
  known = new Map<string, number>();

  private bump(map: Map<string, { points: number; expire: number }>, key: string, by: number, seconds: number) {
    const row = map.get(key);
    if (!row || row.expire <= clock) {
      const fresh = { points: by, expire: clock + seconds * 1000 };
      map.set(key, fresh);
      return fresh;
    }
    row.points += by;
    return row;
  }
  async count(key: string, windowSeconds: number) {
    return this.bump(this.counters, key, 1, windowSeconds).points;
  }
  async uncount(key: string, windowSeconds: number) {
    this.bump(this.counters, key, -1, windowSeconds);
  }
  async claimTurn(key: string, seconds: number) {
    const turn = this.bump(this.turns, key, 1, seconds);
    return turn.points === 1 ? null : turn.expire - clock;
  }
  async releaseTurn(key: string) {
    this.turns.delete(key);
  }
  async clear(key: string) {
    this.counters.delete(key);
    this.turns.delete(key);
  }
  async isKnownAddress(userId: string, address: string) {
    return this.known.has(`${userId}|${address}`);
  }
  async rememberAddress(userId: string, address: string) {
    this.known.set(`${userId}|${address}`, clock);
  }
  async inspectAccount(account: string): Promise<AccountThrottleCounters> {
    const live = <R extends { expire: number }>(row: R | undefined) => (row && row.expire > clock ? row : undefined);
    const accountRow = live(this.counters.get(`account:${account}`));
    const pairs = [...this.counters.entries()]
      .filter(([key, row]) => key.startsWith(`pair:${account}:`) && live(row))
      .map(([key, row]) => ({ failures: row.points, waitUntil: live(this.turns.get(key)) ? new Date(this.turns.get(key)!.expire) : null }));
    const turn = live(this.turns.get(`account:${account}`));
    return {
      account: accountRow ? { failures: accountRow.points, countedUntil: new Date(accountRow.expire), waitUntil: turn ? new Date(turn.expire) : null } : null,
      pairs,
    };
  }
  async clearAccount(account: string) {
    let cleared = 0;
    for (const map of [this.counters, this.turns]) {
      for (const key of [...map.keys()]) {
        if (key === `account:${account}` || key.startsWith(`pair:${account}:`)) {
          map.delete(key);
          cleared++;
        }
      }
    }
    return cleared;
  }
}

const policy: ThrottlePolicy = {
  pair: { freeFailures: 5, firstDelaySeconds: 2, maxDelaySeconds: 60, windowSeconds: 3600 },
  account: { freeFailures: 10, firstDelaySeconds: 2, maxDelaySeconds: 60, windowSeconds: 3600 },
  address: { freeFailures: 30, firstDelaySeconds: 1, maxDelaySeconds: 30, windowSeconds: 600 },
};

let store: MemoryThrottleStore;
let throttle: SignInThrottle;
const ALICE = { userId: "11111111-1111-4111-8111-111111111111", identifier: "alice" };
const BOB = { userId: "22222222-2222-4222-8222-222222222222", identifier: "bob" };

/** One attempt: the throttle's answer, and for an admitted attempt the password's outcome. */
async function attempt(subject: { userId: string | null; identifier: string }, address: string | null, outcome: "fail" | "succeed") {
  const started = await throttle.begin(subject, address);
  if (started.refused) return { refused: true as const, retryAfterSeconds: started.retryAfterSeconds };
  if (outcome === "succeed") await started.succeeded();
  return { refused: false as const };
}

beforeEach(() => {
  clock = T0;
  store = new MemoryThrottleStore();
  throttle = new SignInThrottle(store, policy);
});

describe("delayFor", () => {
  it("is free below the threshold, then doubles from the first delay up to the cap", () => {
    const rule = policy.pair;
    expect([1, 2, 3, 4].map((n) => delayFor(rule, n))).toEqual([0, 0, 0, 0]);
    expect([5, 6, 7, 8, 9, 10, 11].map((n) => delayFor(rule, n))).toEqual([2, 4, 8, 16, 32, 60, 60]);
    expect(delayFor(rule, 10_000)).toBe(60);
  });
});

describe("per (account, address)", () => {
  it("allows five failures at once, then answers at once with growing waits instead of a lock", async () => {
    await attempt(ALICE, "198.51.100.1", "succeed"); // a known address
    for (let i = 0; i < 5; i++) expect(await attempt(ALICE, "198.51.100.1", "fail")).toEqual({ refused: false });
    // The fifth failure started a 2 s wait; the sixth attempt inside it is refused, with the time left.
    expect(await attempt(ALICE, "198.51.100.1", "succeed")).toEqual({ refused: true, retryAfterSeconds: 2 });
    advance(1.5);
    expect(await attempt(ALICE, "198.51.100.1", "fail")).toEqual({ refused: true, retryAfterSeconds: 1 });
    advance(0.5);
    expect(await attempt(ALICE, "198.51.100.1", "fail")).toEqual({ refused: false });
    // The refused attempts did not count: the next wait is 4 s, not more.
    expect(await attempt(ALICE, "198.51.100.1", "fail")).toEqual({ refused: true, retryAfterSeconds: 4 });
    advance(4);
    expect(await attempt(ALICE, "198.51.100.1", "succeed")).toEqual({ refused: false });
    // Success clears the pair: five free failures again.
    for (let i = 0; i < 5; i++) expect(await attempt(ALICE, "198.51.100.1", "fail")).toEqual({ refused: false });
  });

  it("keeps pairs apart: failures from one address do not slow another known address", async () => {
    for (const address of ["198.51.100.1", "198.51.100.2"]) await attempt(ALICE, address, "succeed");
    for (let i = 0; i < 5; i++) await attempt(ALICE, "198.51.100.1", "fail");
    expect((await attempt(ALICE, "198.51.100.1", "succeed")).refused).toBe(true);
    expect(await attempt(ALICE, "198.51.100.2", "succeed")).toEqual({ refused: false });
  });

  it("gives a burst of concurrent guesses past the free ones exactly one turn", async () => {
    await attempt(ALICE, "198.51.100.1", "succeed");
    const burst = await Promise.all(Array.from({ length: 12 }, () => throttle.begin(ALICE, "198.51.100.1")));
    expect(burst.filter((a) => !a.refused)).toHaveLength(5);
    expect(store.counters.get(`pair:${accountPart(ALICE)}:198.51.100.1`)?.points).toBe(5);
  });

  it("forgets failures once the window has passed", async () => {
    await attempt(ALICE, "198.51.100.1", "succeed");
    for (let i = 0; i < 5; i++) await attempt(ALICE, "198.51.100.1", "fail");
    advance(3600);
    for (let i = 0; i < 4; i++) expect(await attempt(ALICE, "198.51.100.1", "fail")).toEqual({ refused: false });
  });
});

describe("per account, from addresses it has not signed in from", () => {
  it("slows an attack spread over many addresses, but never the owner at an address she signed in from before", async () => {
    await attempt(ALICE, "203.0.113.50", "succeed"); // alice's home
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      const result = await attempt(ALICE, `198.51.100.${i}`, "fail");
      if (result.refused) refused++;
      advance(1);
    }
    // Ten free failures, then waits: most of the hundred were refused without a password check.
    expect(refused).toBeGreaterThan(80);
    expect(await attempt(ALICE, "198.51.100.200", "succeed")).toMatchObject({ refused: true });
    // Home is judged only by its own pair: in at once.
    expect(await attempt(ALICE, "203.0.113.50", "succeed")).toEqual({ refused: false });
    const state = await throttle.accountState(ALICE.userId, new Date(clock));
    expect(state.throttledUntil).not.toBeNull();
    expect(state.unknownAddressFailures).toBeGreaterThanOrEqual(10);
  });

  it("counts an unknown user name by itself, and the same way", async () => {
    const nobody = { userId: null, identifier: "Nobody" };
    for (let i = 0; i < 10; i++) expect((await attempt(nobody, `198.51.100.${i}`, "fail")).refused).toBe(false);
    expect((await attempt({ userId: null, identifier: " nobody " }, "198.51.100.99", "fail")).refused).toBe(true);
    expect((await attempt(BOB, "198.51.100.99", "fail")).refused).toBe(false);
  });

  it("without a client address, counts the attempt as one from an unknown address", async () => {
    for (let i = 0; i < 10; i++) {
      expect((await attempt(ALICE, null, "fail")).refused).toBe(false);
      advance(61); // past the pair's waits: only the account counter is tested here
    }
    advance(-61);
    expect((await attempt(ALICE, `198.51.100.7`, "succeed")).refused).toBe(true);
  });
});

describe("per address (a NAT or proxy)", () => {
  it("slows new accounts after many failures, never refuses a user who signed in from it before", async () => {
    const NAT = "192.0.2.1";
    await attempt(BOB, NAT, "succeed");
    for (let i = 0; i < 30; i++) expect((await attempt({ userId: null, identifier: `user${i}` }, NAT, "fail")).refused).toBe(false);
    // A first sign-in of alice from behind the NAT waits its turn…
    expect(await attempt(ALICE, NAT, "succeed")).toEqual({ refused: true, retryAfterSeconds: 1 });
    // …bob, who signed in from it before, does not.
    expect(await attempt(BOB, NAT, "succeed")).toEqual({ refused: false });
    advance(1);
    expect(await attempt(ALICE, NAT, "succeed")).toEqual({ refused: false });
    // A success takes itself back and makes nobody wait.
    expect(await attempt(BOB, NAT, "succeed")).toEqual({ refused: false });
    expect((await attempt({ userId: null, identifier: "carol" }, NAT, "fail")).refused).toBe(false);
  });
});

describe("the administrator's view", () => {
  it("shows failures, addresses and the wait, and clearing forgets them", async () => {
    await attempt(ALICE, "203.0.113.50", "succeed");
    // Ten count (the tenth starts a 2 s wait), the two refused inside it do not.
    for (let i = 0; i < 12; i++) await attempt(ALICE, `198.51.100.${i}`, "fail");
    await attempt(ALICE, "203.0.113.50", "fail");
    const state = await throttle.accountState(ALICE.userId, new Date(clock));
    expect(state).toMatchObject({ unknownAddressFailures: 10, failures: 11, addresses: 11, waitingAddresses: 0, nextWaitSeconds: 4 });
    expect(state.throttledUntil?.getTime()).toBe(clock + 2000);
    expect(state.slowedUntil?.getTime()).toBe(T0 + 3600_000);
    // Once the wait has run out the account is still slowed: the next attempt from a new address starts one.
    const later = await throttle.accountState(ALICE.userId, new Date(clock + 3000));
    expect(later).toMatchObject({ throttledUntil: null, nextWaitSeconds: 4 });
    expect(later.slowedUntil).not.toBeNull();
    expect(await throttle.clearAccount(ALICE.userId)).toBeGreaterThan(0);
    expect(await throttle.accountState(ALICE.userId, new Date(clock))).toEqual({
      throttledUntil: null,
      slowedUntil: null,
      nextWaitSeconds: 0,
      unknownAddressFailures: 0,
      failures: 0,
      addresses: 0,
      waitingAddresses: 0,
    });
    expect((await attempt(ALICE, "198.51.100.77", "fail")).refused).toBe(false);
  });
});
