"use client";
// Changing your password on /account: the current one, then the new one twice.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { TextField } from "@/components/ui/Field";
import { useActionForm } from "@/components/ui/useActionForm";
import type { ActionResult } from "@/lib/forms/actionResult";
import { MAX_PASSWORD_LENGTH } from "@/lib/auth/signInForm";
import { MIN_NEW_PASSWORD_LENGTH, passwordFormSchema, type PasswordFormInput } from "@/lib/forms/passwordForm";

const EMPTY: PasswordFormInput = { currentPassword: "", newPassword: "", confirmPassword: "" };

export function PasswordForm({ action }: { action: (input: PasswordFormInput) => Promise<ActionResult<{ endedSessions: number }>> }) {
  const [endedSessions, setEndedSessions] = useState<number | null>(null);
  const router = useRouter();
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: passwordFormSchema,
    action,
    defaultValues: EMPTY,
    onSuccess: (data) => {
      setEndedSessions(data.endedSessions);
      form.reset(EMPTY); // never leave passwords in the fields
      router.refresh(); // the sessions list has lost the ones just ended
    },
  });
  const { errors } = form.formState;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    setEndedSessions(null);
    return onSubmit(event);
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {formError ? <Alert kind="error">{formError}</Alert> : null}
      {endedSessions !== null ? (
        <Alert kind="success">
          Password changed.{" "}
          {endedSessions === 0
            ? "You had no other sessions."
            : `${endedSessions} other ${endedSessions === 1 ? "session was" : "sessions were"} signed out.`}
        </Alert>
      ) : null}
      <TextField
        id="current-password"
        label="Current password"
        type="password"
        autoComplete="current-password"
        maxLength={MAX_PASSWORD_LENGTH}
        error={errors.currentPassword?.message}
        {...form.register("currentPassword")}
      />
      <TextField
        id="new-password"
        label="New password"
        type="password"
        autoComplete="new-password"
        maxLength={MAX_PASSWORD_LENGTH}
        hint={`At least ${MIN_NEW_PASSWORD_LENGTH} characters. Your other sessions will be signed out and the apps you signed in to there must ask again.`}
        error={errors.newPassword?.message}
        {...form.register("newPassword")}
      />
      <TextField
        id="confirm-password"
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        maxLength={MAX_PASSWORD_LENGTH}
        error={errors.confirmPassword?.message}
        {...form.register("confirmPassword")}
      />
      <Button type="submit" disabled={submitting}>
        {submitting ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
