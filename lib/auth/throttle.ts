// The sign-in throttle (OWASP Authentication Cheat Sheet, NIST SP 800-63B
// §5.2.2): growing waits instead of a lock, so no stranger can lock an owner out.
//
// Three counters, each "a few free failures, then waits that double up to a cap":
// - pair (account, address): every attempt. The only one that judges an
//   attempt from an address the account has signed in from before ("known").
// - account: attempts from addresses the account has NOT signed in from, so
//   guesses spread over many addresses slow down, but never the owner at home.
// - address: attempts from that address for accounts that have not signed in
//   from it, with a much higher threshold: a NAT or proxy full of honest users
//   keeps working, and its known users are never judged by it.
//
// An attempt is counted BEFORE the password is checked (one atomic upsert per
// counter), and one past the free failures must take the counter's "turn": a
// wait that starts with that attempt and blocks the next one until it ends.
// A burst of concurrent guesses therefore gets exactly one turn. A refused
// attempt is answered at once with the time left (never by holding the
// request) and is taken back: waiting out a throttle does not make it longer.
// A success clears its pair, takes itself back from the other counters and
// records its address as known.
import { createHash } from "node:crypto";
import type { ThrottleStore } from "./ports";

export interface BackoffRule {
  /** Failures within the window that need no wait. */
  freeFailures: number;
  /** The wait after the last free failure; it doubles with each further one. */
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  /** Failures are remembered this long from the first one of a window. */
  windowSeconds: number;
}

export interface ThrottlePolicy {
  pair: BackoffRule;
  account: BackoffRule;
  address: BackoffRule;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  pair: { freeFailures: 5, firstDelaySeconds: 2, maxDelaySeconds: 15 * 60, windowSeconds: 24 * 60 * 60 },
  account: { freeFailures: 10, firstDelaySeconds: 2, maxDelaySeconds: 15 * 60, windowSeconds: 24 * 60 * 60 },
  address: { freeFailures: 100, firstDelaySeconds: 1, maxDelaySeconds: 5 * 60, windowSeconds: 60 * 60 },
};

/** What the dashboard shows about an account's sign-in throttle. */
export interface AccountThrottleState {
  /** Attempts from new addresses must wait until then (null: no wait running). */
  throttledUntil: Date | null;
  /**
   * Past the free failures from new addresses: each attempt from one starts a wait of
   * `nextWaitSeconds`, until the failures are forgotten at this time (null: not slowed).
   */
  slowedUntil: Date | null;
  nextWaitSeconds: number;
  /** Failures from addresses the account had not signed in from, in the current window. */
  unknownAddressFailures: number;
  /** Failed attempts counted over all addresses, and from how many. */
  failures: number;
  addresses: number;
  /** Addresses that must wait before their next attempt. */
  waitingAddresses: number;
}

export type ThrottledAttempt =
  | { refused: true; retryAfterSeconds: number }
  | {
      refused: false;
      /** The password was right: clear the pair, take the attempt back elsewhere, remember the address. */
      succeeded(): Promise<void>;
    };

/** Who is signing in: the user the identifier names, or only the identifier (unknown names are throttled too). */
export interface ThrottleSubject {
  userId: string | null;
  identifier: string;
}

/** The account part of counter keys: the user id (stable across renames), else a digest of the lowercased name. */
export function accountPart(subject: ThrottleSubject): string {
  if (subject.userId) return `u.${subject.userId}`;
  return `n.${createHash("sha256").update(subject.identifier.trim().toLowerCase()).digest("base64url")}`;
}

/** The wait that the `n`-th counted attempt starts (0: still free). */
export function delayFor(rule: BackoffRule, n: number): number {
  if (n < rule.freeFailures) return 0;
  const doublings = Math.min(n - rule.freeFailures, 30);
  return Math.min(rule.firstDelaySeconds * 2 ** doublings, rule.maxDelaySeconds);
}

interface Counter {
  key: string;
  rule: BackoffRule;
}

export class SignInThrottle {
  constructor(
    private readonly store: ThrottleStore,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
  ) {}

  /**
   * Counts an attempt of `subject` from `address` and decides whether the
   * password may be checked at all. Without an address (only under `next dev`,
   * where no server sets it) the attempt counts as one from an unknown address.
   */
  async begin(subject: ThrottleSubject, address: string | null): Promise<ThrottledAttempt> {
    const account = accountPart(subject);
    const known = subject.userId !== null && address !== null && (await this.store.isKnownAddress(subject.userId, address));
    const counters: Counter[] = [{ key: `pair:${account}:${address ?? "-"}`, rule: this.policy.pair }];
    if (!known) {
      counters.push({ key: `account:${account}`, rule: this.policy.account });
      if (address) counters.push({ key: `address:${address}`, rule: this.policy.address });
    }
    const { store } = this;
    const counts = await Promise.all(counters.map(({ key, rule }) => store.count(key, rule.windowSeconds)));
    const turns = await Promise.all(
      counters.map(({ key, rule }, i) => {
        const delay = delayFor(rule, counts[i]!);
        return delay > 0 ? store.claimTurn(key, delay).then((msLeft) => ({ claimed: msLeft === null, msLeft: msLeft ?? 0 })) : { claimed: false, msLeft: 0 };
      }),
    );
    const claimed = counters.filter((_, i) => turns[i]!.claimed);
    const msLeft = Math.max(0, ...turns.map((turn) => turn.msLeft));
    if (msLeft > 0) {
      // Refused: this attempt neither counts nor keeps a turn it took on another counter.
      await Promise.all([
        ...counters.map(({ key, rule }) => store.uncount(key, rule.windowSeconds)),
        ...claimed.map(({ key }) => store.releaseTurn(key)),
      ]);
      return { refused: true, retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)) };
    }
    return {
      refused: false,
      async succeeded() {
        const [pair, ...others] = counters;
        await Promise.all([
          store.clear(pair!.key),
          ...others.map(({ key, rule }) => store.uncount(key, rule.windowSeconds)),
          // A success is no failure: it makes nobody wait.
          ...claimed.filter((counter) => counter !== pair).map(({ key }) => store.releaseTurn(key)),
          subject.userId && address ? store.rememberAddress(subject.userId, address) : undefined,
        ]);
      },
    };
  }

  /** The account's throttle as an administrator sees it. */
  async accountState(userId: string, now: Date = new Date()): Promise<AccountThrottleState> {
    const counters = await this.store.inspectAccount(accountPart({ userId, identifier: "" }));
    const live = (until: Date | null) => (until !== null && until > now ? until : null);
    const throttledUntil = live(counters.account?.waitUntil ?? null);
    const unknownAddressFailures = counters.account?.failures ?? 0;
    const nextWaitSeconds = delayFor(this.policy.account, unknownAddressFailures + 1);
    return {
      throttledUntil,
      slowedUntil: nextWaitSeconds > 0 ? live(counters.account?.countedUntil ?? null) : null,
      nextWaitSeconds,
      unknownAddressFailures,
      failures: counters.pairs.reduce((sum, pair) => sum + pair.failures, 0),
      addresses: counters.pairs.filter((pair) => pair.failures > 0).length,
      waitingAddresses: counters.pairs.filter((pair) => live(pair.waitUntil) !== null).length,
    };
  }

  /** Forgets every counter of the account (the dashboard's "clear sign-in throttle"); returns how many were live. */
  clearAccount(userId: string): Promise<number> {
    return this.store.clearAccount(accountPart({ userId, identifier: "" }));
  }
}
