"use client";
import { useRouter } from "next/navigation";
import { ActionButton } from "@/components/ui/ActionButton";
import { deleteScopeAction } from "../actions";

/** Deletes the scope after a confirmation and goes back to the list; a refusal is shown beside the button. */
export function DeleteScopeButton({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  return (
    <ActionButton
      action={deleteScopeAction}
      input={{ id }}
      label="Delete scope"
      pendingLabel="Deleting…"
      variant="danger"
      confirm={`Delete the scope "${name}"? Tokens already issued keep it until they expire.`}
      onDone={(data) => router.push(`/dashboard/scopes?deleted=${encodeURIComponent(data.name)}`)}
    />
  );
}
