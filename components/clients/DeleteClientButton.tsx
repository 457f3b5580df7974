"use client";
// Deleting a client, after a confirmation; then back to the list, which says what happened.
import type { ActionResult } from "@/lib/forms/actionResult";
import { ActionButton } from "@/components/ui/ActionButton";

export function DeleteClientButton({
  id,
  displayName,
  action,
}: {
  id: string;
  displayName: string;
  action: (input: { id: string }) => Promise<ActionResult<{ clientId: string }>>;
}) {
  return (
    <ActionButton
      action={action}
      input={{ id }}
      label="Delete client"
      pendingLabel="Deleting…"
      variant="danger"
      confirm={`Delete ${displayName}? Its users' consents and every token issued to it are deleted too. This cannot be undone.`}
      // A full navigation: the page being left no longer exists, nothing of it should be refreshed.
      navigateTo={(data) => `/dashboard/clients?deleted=${encodeURIComponent(data.clientId)}`}
    />
  );
}
