"use client";
// Deleting a user, after a confirmation; then back to the user list (the page being left no longer exists).
import type { ActionResult } from "@/lib/forms/actionResult";
import { ActionButton } from "@/components/ui/ActionButton";

export function DeleteUserButton({
  id,
  username,
  action,
}: {
  id: string;
  username: string;
  action: (input: { id: string }) => Promise<ActionResult<null>>;
}) {
  return (
    <ActionButton
      action={action}
      input={{ id }}
      label="Delete user"
      pendingLabel="Deleting…"
      variant="danger"
      confirm={`Delete ${username}? Their sessions, authorizations and tokens are deleted too. This cannot be undone.`}
      navigateTo={() => "/dashboard/users"}
    />
  );
}
