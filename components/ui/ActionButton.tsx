"use client";
// One button that runs one server action (revoke, disable, delete…) with a
// fixed input, optionally after a confirmation, then refreshes the page's data.
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/forms/actionResult";
import { Button, type ButtonVariant } from "./Button";

export function ActionButton<I, T>({
  action,
  input,
  label,
  pendingLabel,
  confirm,
  variant = "secondary",
  accessibleLabel,
  onDone,
  navigateTo,
}: {
  action: (input: I) => Promise<ActionResult<T>>;
  input: I;
  label: string;
  pendingLabel?: string;
  /** Asked with window.confirm before running; cancelling does nothing. */
  confirm?: string;
  variant?: ButtonVariant;
  /** A longer name for screen readers when the visible label is ambiguous in a list ("Revoke" → "Revoke Postman"). */
  accessibleLabel?: string;
  onDone?: (data: T) => void;
  /**
   * Where to go afterwards with a full navigation instead of refreshing this
   * page (when the page no longer exists, or the session that showed it ended).
   */
  navigateTo?: (data: T) => string;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    if (confirm && !window.confirm(confirm)) return;
    setError(null);
    startTransition(async () => {
      const result = await action(input);
      if (!result.ok) {
        setError(result.message);
        return;
      }
      onDone?.(result.data);
      if (navigateTo) window.location.assign(navigateTo(result.data));
      else router.refresh();
    });
  };
  return (
    <span className="inline-flex flex-col gap-1">
      <Button variant={variant} onClick={run} disabled={pending} aria-label={accessibleLabel}>
        {pending ? (pendingLabel ?? `${label}…`) : label}
      </Button>
      {error ? (
        <span role="alert" className="text-xs text-red-700">
          {error}
        </span>
      ) : null}
    </span>
  );
}
