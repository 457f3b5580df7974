// The failed-sign-in counters (lib/auth/throttle.ts) on the sign_in_throttles
// table: one definition, used by sign-in and by the password check on /account,
// so a guess at either place counts against the same account.
import type { ThrottleStore } from "../auth/throttle";
import type { SqlExecutor } from "./client";
import { clearSignInKey, countSignInAttempt, lockSignInKey, uncountSignInAttempt } from "./sessions";

export function createSignInThrottleStore(sql: SqlExecutor): ThrottleStore {
  return {
    countAttempt: (key, at, windowSeconds) => countSignInAttempt(sql, key, at, windowSeconds),
    lock: (key, at, until) => lockSignInKey(sql, key, at, until),
    uncount: (key) => uncountSignInAttempt(sql, key),
    clear: (key) => clearSignInKey(sql, key),
  };
}
