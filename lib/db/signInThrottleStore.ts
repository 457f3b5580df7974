// The sign-in throttle's storage (the ThrottleStore port of lib/auth/ports.ts,
// implemented structurally: lib/db does not import lib/auth; lib/gatehouse.ts
// hands this store to the throttle, and the compiler checks the fit there):
// counters and waits in rate-limiter-flexible's RateLimiterPostgres on the
// sign_in_limits table (created by a migration, never by the library), and the
// known sign-in addresses in known_sign_in_addresses (lib/db/sessions.ts).
//
// RateLimiterPostgres runs on both backends: it is handed a small client over
// Database.sql, which is the pg pool on PostgreSQL (every instance shares the
// counters; each update is one atomic INSERT … ON CONFLICT … RETURNING) and the
// single PGlite connection on the embedded default (one process, so nothing
// else could share them). The counters also survive a restart on both.
// See docs/decisions/0009-sign-in-throttling.md.
import { createHmac } from "node:crypto";
import { RateLimiterPostgres } from "rate-limiter-flexible";
import type { SqlExecutor } from "./client";
import { clearSignInLimits, deleteEmptySignInLimit, findKnownSignInAddress, readSignInLimits, rememberKnownSignInAddress, SIGN_IN_LIMITS_TABLE } from "./sessions";

/** Key prefixes of the two limiters (rate-limiter-flexible stores "<prefix>:<key>"). */
const FAILURES = "signin-fail";
const TURNS = "signin-wait";

/** Known sign-in addresses: how many per user, and how long one stays known without a new success. */
export const KNOWN_ADDRESSES_PER_USER = 10;
export const KNOWN_ADDRESS_DAYS = 90;

/** The query interface RateLimiterPostgres calls ({ text, values }), on our executor. */
function limiterClient(sql: SqlExecutor) {
  return {
    async query(query: { text: string; values?: unknown[] }) {
      const rows = await sql.query<Record<string, unknown>>(query.text, query.values);
      // rowCount is only read after SELECTs (rows) and DELETEs (whose boolean result we do not use).
      return { rows, rowCount: rows.length };
    },
  };
}

export interface SignInThrottleStoreOptions {
  /** Key of the HMAC that known addresses are stored under (derived from the deployment secret). */
  addressKey: string;
  /** Delete rows expired an hour ago every five minutes (the library's timer; off in short-lived tests). */
  purgeExpired?: boolean;
}

/** The live counters of one account, as the dashboard's view of the throttle reads them. */
export interface AccountLimitCounters {
  /** Failures from addresses the account had not signed in from, until when they count, and their wait. */
  account: { failures: number; countedUntil: Date | null; waitUntil: Date | null } | null;
  /** One entry per address with live failures. */
  pairs: { failures: number; waitUntil: Date | null }[];
}

export function createSignInThrottleStore(sql: SqlExecutor, options: SignInThrottleStoreOptions) {
  const common = {
    storeClient: limiterClient(sql),
    storeType: "pool",
    tableName: SIGN_IN_LIMITS_TABLE,
    tableCreated: true,
    clearExpiredByTimeout: options.purgeExpired ?? true,
    // Only penalty/reward/get/delete are used: the throttle decides from the counts itself.
    points: 1_000_000,
  };
  const failures = new RateLimiterPostgres({ ...common, keyPrefix: FAILURES, duration: 24 * 60 * 60 });
  const turns = new RateLimiterPostgres({ ...common, keyPrefix: TURNS, duration: 60, clearExpiredByTimeout: false });
  const hashAddress = (address: string) => createHmac("sha256", options.addressKey).update(address).digest("base64url");

  return {
    async count(key: string, windowSeconds: number): Promise<number> {
      return (await failures.penalty(key, 1, { customDuration: windowSeconds })).consumedPoints;
    },
    async uncount(key: string, windowSeconds: number): Promise<void> {
      const left = await failures.reward(key, 1, { customDuration: windowSeconds });
      // A refused attempt under a fresh name leaves no row behind (no storage for nothing).
      if (left.consumedPoints <= 0) await deleteEmptySignInLimit(sql, `${FAILURES}:${key}`);
    },
    async claimTurn(key: string, seconds: number): Promise<number | null> {
      // The first penalty after a wait has run out resets the row to 1 with a new expiry: that caller has the turn.
      const turn = await turns.penalty(key, 1, { customDuration: seconds });
      return turn.consumedPoints === 1 ? null : Math.max(turn.msBeforeNext, 1);
    },
    async releaseTurn(key: string): Promise<void> {
      await turns.delete(key);
    },
    async clear(key: string): Promise<void> {
      await Promise.all([failures.delete(key), turns.delete(key)]);
    },
    isKnownAddress: (userId: string, address: string): Promise<boolean> =>
      findKnownSignInAddress(sql, userId, hashAddress(address), new Date(Date.now() - KNOWN_ADDRESS_DAYS * 86_400_000)),
    rememberAddress: (userId: string, address: string): Promise<void> => rememberKnownSignInAddress(sql, userId, hashAddress(address), new Date(), KNOWN_ADDRESSES_PER_USER),
    async inspectAccount(account: string): Promise<AccountLimitCounters> {
      const rows = await readSignInLimits(sql, [`${FAILURES}:account:${account}`, `${TURNS}:account:${account}`], [`${FAILURES}:pair:${account}:`, `${TURNS}:pair:${account}:`], Date.now());
      const byKey = new Map(rows.map((row) => [row.key, row]));
      const waitOf = (key: string) => {
        const expire = byKey.get(key)?.expire;
        return expire ? new Date(expire) : null;
      };
      const accountFailures = byKey.get(`${FAILURES}:account:${account}`);
      const pairPrefix = `${FAILURES}:pair:${account}:`;
      return {
        account: accountFailures
          ? {
              failures: accountFailures.points,
              countedUntil: accountFailures.expire === null ? null : new Date(accountFailures.expire),
              waitUntil: waitOf(`${TURNS}:account:${account}`),
            }
          : null,
        pairs: rows
          .filter((row) => row.key.startsWith(pairPrefix))
          .map((row) => ({ failures: row.points, waitUntil: waitOf(`${TURNS}:pair:${account}:${row.key.slice(pairPrefix.length)}`) })),
      };
    },
    clearAccount: (account: string): Promise<number> =>
      clearSignInLimits(sql, [`${FAILURES}:account:${account}`, `${TURNS}:account:${account}`], [`${FAILURES}:pair:${account}:`, `${TURNS}:pair:${account}:`], Date.now()),
  };
}
