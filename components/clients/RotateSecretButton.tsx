"use client";
// "Rotate secret" on a confidential client's page, and the new secret shown once.
import { useState } from "react";
import type { ActionResult } from "@/lib/forms/actionResult";
import { ActionButton } from "@/components/ui/ActionButton";
import { SecretPanel } from "./SecretPanel";

export function RotateSecretButton({
  id,
  clientId,
  action,
}: {
  id: string;
  clientId: string;
  action: (input: { id: string }) => Promise<ActionResult<{ clientId: string; secret: string }>>;
}) {
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <div className="space-y-3">
      <ActionButton
        action={action}
        input={{ id }}
        label="Rotate secret"
        pendingLabel="Rotating…"
        confirm={`Make a new secret for ${clientId}? The current secret stops working immediately.`}
        onDone={(data) => setSecret(data.secret)}
      />
      {secret ? <SecretPanel clientId={clientId} secret={secret} /> : null}
    </div>
  );
}
