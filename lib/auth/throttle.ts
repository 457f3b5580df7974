// Failed sign-in limits, shared by every instance through the
// sign_in_throttles table: one counter per account and one per client address.
//
// An attempt is counted BEFORE the password is checked (one atomic upsert per
// key), so a burst of concurrent guesses cannot slip past the limit while the
// first ones are still being verified. A successful sign-in takes its attempt
// back: it clears the account's counter and uncounts itself from the address.
// When an attempt fails and its count has reached the limit, the key is locked;
// while locked, every attempt is refused, even with the right password.

export interface ThrottleRule {
  /** Failures allowed in one window; the one that reaches it locks the key. */
  maxFailures: number;
  windowSeconds: number;
  lockSeconds: number;
}

export interface ThrottlePolicy {
  account: ThrottleRule;
  address: ThrottleRule;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  account: { maxFailures: 5, windowSeconds: 15 * 60, lockSeconds: 15 * 60 },
  address: { maxFailures: 20, windowSeconds: 15 * 60, lockSeconds: 15 * 60 },
};

/** What the throttle needs from storage (lib/db/sessions.ts implements it with SQL). */
export interface ThrottleStore {
  countAttempt(key: string, now: Date, windowSeconds: number): Promise<{ failures: number; lockedUntil: Date | null }>;
  lock(key: string, now: Date, until: Date): Promise<void>;
  uncount(key: string): Promise<void>;
  clear(key: string): Promise<void>;
}

export interface ThrottledAttempt {
  /** True when the attempt must be refused whatever the password. */
  readonly refused: boolean;
  /** The attempt failed (wrong password, unknown user, or refused): lock keys that reached their limit. */
  failed(): Promise<void>;
  /** The attempt succeeded: reset the account, uncount the address. */
  succeeded(): Promise<void>;
}

export function accountKey(identifier: string): string {
  return `account:${identifier.trim().toLowerCase()}`;
}

export function addressKey(address: string): string {
  return `address:${address}`;
}

export class SignInThrottle {
  constructor(
    private readonly store: ThrottleStore,
    private readonly policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Counts an attempt on `account` (a lowercased username or email) and, when
   * known, the client `address`. Without an address (only under `next dev`,
   * where no server sets the header) only the account is limited.
   */
  async begin(account: string, address: string | null): Promise<ThrottledAttempt> {
    const now = this.now();
    const keys: { key: string; rule: ThrottleRule; kind: "account" | "address" }[] = [
      { key: accountKey(account), rule: this.policy.account, kind: "account" },
    ];
    if (address) keys.push({ key: addressKey(address), rule: this.policy.address, kind: "address" });
    const counters = await Promise.all(keys.map(({ key, rule }) => this.store.countAttempt(key, now, rule.windowSeconds)));
    const refused = counters.some(
      (counter, i) => (counter.lockedUntil !== null && counter.lockedUntil > now) || counter.failures > keys[i]!.rule.maxFailures,
    );
    const { store } = this;
    return {
      refused,
      async failed() {
        await Promise.all(
          keys.map(({ key, rule }, i) =>
            counters[i]!.failures >= rule.maxFailures ? store.lock(key, now, new Date(now.getTime() + rule.lockSeconds * 1000)) : undefined,
          ),
        );
      },
      async succeeded() {
        await Promise.all(keys.map(({ key, kind }) => (kind === "account" ? store.clear(key) : store.uncount(key))));
      },
    };
  }
}
