"use client";
// "Sign out" beside one session on /account. Another session just disappears
// from the list; ending the session in use signs this browser out, so the
// browser then leaves for the signed-out page (without refreshing /account
// first, which would only bounce to the sign-in page).
import { ActionButton } from "@/components/ui/ActionButton";
import type { ActionResult } from "@/lib/forms/actionResult";

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
  return (
    <ActionButton
      action={action}
      input={{ sessionId }}
      label="Sign out"
      pendingLabel="Signing out…"
      variant="danger"
      confirm="Sign out of this browser?"
      accessibleLabel={`Sign out this session (${description})`}
      navigateTo={() => "/logout"}
    />
  );
}
