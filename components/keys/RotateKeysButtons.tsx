"use client";
// The signing keys page's rotation buttons: all keys, or one algorithm's.
import { ActionButton } from "@/components/ui/ActionButton";
import type { ActionResult } from "@/lib/forms/actionResult";
import type { KeyRotationInput } from "@/lib/forms/keyRotation";

const CHOICES: readonly { alg: KeyRotationInput["alg"]; label: string; variant: "primary" | "secondary" }[] = [
  { alg: "all", label: "Rotate all keys", variant: "primary" },
  { alg: "RS256", label: "Rotate the RS256 key", variant: "secondary" },
  { alg: "ES256", label: "Rotate the ES256 key", variant: "secondary" },
];

export function RotateKeysButtons({ action }: { action: (input: KeyRotationInput) => Promise<ActionResult<{ created: string[] }>> }) {
  return (
    <div className="flex flex-wrap gap-3">
      {CHOICES.map((choice) => (
        <ActionButton
          key={choice.alg}
          action={action}
          input={{ alg: choice.alg }}
          label={choice.label}
          pendingLabel="Rotating…"
          variant={choice.variant}
          confirm={`${choice.label}? New tokens will be signed with a new key; tokens already issued stay valid until they expire.`}
        />
      ))}
    </div>
  );
}
