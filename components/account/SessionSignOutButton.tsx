"use client";
// "Sign out" beside one session on /account. Another session just disappears
// from the list; ending the session in use signs this browser out, so the
// browser then leaves for the signed-out page (without refreshing /account
// first, which would only bounce to the sign-in page).
import { useState, useTransition } from "react";
import { ActionButton } from "@/components/ui/ActionButton";
import { Button } from "@/components/ui/Button";
import type { ActionResult } from "@/lib/auth/guards";

type EndSession = (input: { sessionId: string }) => Promise<ActionResult<{ signedOut: boolean }>>;

export function SessionSignOutButton({
  action,
  sessionId,
  current,
  description,
}: {
  action: EndSession;
  sessionId: string;
  current: boolean;
  /** What identifies the session to a screen reader ("Chrome 131 on Linux, signed in 2025-01-31 14:05 UTC"). */
  description: string;
}) {
  if (!current) {
    return <ActionButton action={action} input={{ sessionId }} label="Sign out" pendingLabel="Signing out…" accessibleLabel={`Sign out session ${description}`} />;
  }
  return <CurrentSessionSignOut action={action} sessionId={sessionId} description={description} />;
}

function CurrentSessionSignOut({ action, sessionId, description }: { action: EndSession; sessionId: string; description: string }) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    if (!window.confirm("Sign out of this browser?")) return;
    setError(null);
    startTransition(async () => {
      const result = await action({ sessionId });
      if (result.ok) window.location.assign("/logout");
      else setError(result.message);
    });
  };
  return (
    <span className="inline-flex flex-col gap-1">
      <Button variant="danger" onClick={run} disabled={pending} aria-label={`Sign out this session (${description})`}>
        {pending ? "Signing out…" : "Sign out"}
      </Button>
      {error ? (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      ) : null}
    </span>
  );
}
