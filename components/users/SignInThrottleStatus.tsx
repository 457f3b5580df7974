// The dashboard's view of one account's sign-in throttle (lib/auth/throttle.ts):
// whether attempts from new addresses must wait, and what was counted. The
// clear button is the page's (an audited admin action); components never import app/.
import type { ReactNode } from "react";
import type { AccountThrottleState } from "@/lib/auth/throttle";

function plural(n: number, one: string, many: string) {
  return `${n} ${n === 1 ? one : many}`;
}

function At({ date }: { date: Date }) {
  return <time dateTime={date.toISOString()}>{date.toISOString().replace("T", " ").slice(0, 19)} UTC</time>;
}

export function SignInThrottleStatus({ state, username, clearButton }: { state: AccountThrottleState; username: string; clearButton: ReactNode }) {
  const counted = state.failures > 0 || state.unknownAddressFailures > 0 || state.waitingAddresses > 0;
  return (
    <div className="space-y-2 text-sm text-slate-700" data-testid="sign-in-throttle">
      {state.throttledUntil || state.slowedUntil ? (
        <p>
          <strong className="text-slate-900">Throttled</strong> for addresses {username} has not signed in from:{" "}
          {state.throttledUntil ? (
            <>
              attempts from them wait until <At date={state.throttledUntil} />
            </>
          ) : (
            <>each attempt from one starts a wait of {plural(state.nextWaitSeconds, "second", "seconds")}</>
          )}
          {state.slowedUntil ? (
            <>
              , and the failures are counted until <At date={state.slowedUntil} />
            </>
          ) : null}
          . Addresses {username} has signed in from are not affected.
        </p>
      ) : (
        <p>
          <strong className="text-slate-900">Not throttled</strong>: {username} can sign in without waiting
          {state.waitingAddresses > 0 ? `, except from ${plural(state.waitingAddresses, "address", "addresses")} with recent failures` : ""}.
        </p>
      )}
      {counted ? (
        <p>
          Counted now: {plural(state.failures, "failed attempt", "failed attempts")} from {plural(state.addresses, "address", "addresses")} (
          {state.unknownAddressFailures} from addresses {username} had not signed in from).
        </p>
      ) : (
        <p>No failed sign-ins are counted for this account.</p>
      )}
      {counted ? clearButton : null}
    </div>
  );
}
