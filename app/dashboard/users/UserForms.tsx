"use client";
// The user forms: create, edit profile, reset password. Each uses the zod
// schema its server action validates with; server field errors (a taken
// username, say) land on the same fields.
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { FieldErrors, UseFormRegister } from "react-hook-form";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { CheckboxField, TextField } from "@/components/ui/Field";
import { useActionForm } from "@/components/ui/useActionForm";
import { MIN_PASSWORD_LENGTH, createUserSchema, resetPasswordSchema, updateUserSchema, type UpdateUserInput } from "@/lib/forms/userForm";
import { createUserAction, resetPasswordAction, updateUserAction } from "./actions";

type ProfileValues = Omit<UpdateUserInput, "id">;

/** The fields create and edit share. */
function ProfileFields({ register, errors }: { register: UseFormRegister<ProfileValues>; errors: FieldErrors<ProfileValues> }) {
  return (
    <>
      <TextField
        id="user-username"
        label="Username"
        hint='Used to sign in and sent to apps as preferred_username. Letters, digits, ".", "_" and "-".'
        autoComplete="off"
        spellCheck={false}
        error={errors.username?.message}
        {...register("username")}
      />
      <TextField id="user-name" label="Full name" autoComplete="off" error={errors.name?.message} {...register("name")} />
      <TextField id="user-email" label="Email address" type="email" hint="Optional. Can also be used to sign in." autoComplete="off" error={errors.email?.message} {...register("email")} />
      <CheckboxField id="user-email-verified" label="Email address verified" hint="Apps receive it as email_verified." error={errors.emailVerified?.message} {...register("emailVerified")} />
    </>
  );
}

function PasswordField({ id, label, error, register }: { id: string; label: string; error?: string; register: ReturnType<UseFormRegister<{ password: string }>> }) {
  return (
    <TextField
      id={id}
      label={label}
      type="password"
      autoComplete="new-password"
      hint={`At least ${MIN_PASSWORD_LENGTH} characters. Tell the user over a channel you trust.`}
      error={error}
      {...register}
    />
  );
}

export function CreateUserForm() {
  const router = useRouter();
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: createUserSchema,
    action: createUserAction,
    defaultValues: { username: "", email: "", name: "", emailVerified: false, password: "" },
    onSuccess: ({ id }) => router.push(`/dashboard/users/${id}?created=1`),
  });
  const { errors } = form.formState;
  return (
    <form onSubmit={onSubmit} noValidate className="max-w-xl space-y-5">
      {formError ? <Alert kind="error">{formError}</Alert> : null}
      <ProfileFields register={form.register as unknown as UseFormRegister<ProfileValues>} errors={errors} />
      <PasswordField id="user-password" label="Password" error={errors.password?.message} register={form.register("password")} />
      <Button type="submit" disabled={submitting}>
        {submitting ? "Creating…" : "Create user"}
      </Button>
    </form>
  );
}

export function EditUserForm({ id, initial }: { id: string; initial: ProfileValues }) {
  const router = useRouter();
  const [saved, setSaved] = useState(false);
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: updateUserSchema,
    action: updateUserAction,
    defaultValues: { ...initial, id },
    onSuccess: () => {
      setSaved(true);
      router.refresh();
    },
  });
  return (
    <form onSubmit={(event) => (setSaved(false), onSubmit(event))} noValidate className="max-w-xl space-y-5">
      {formError ? <Alert kind="error">{formError}</Alert> : null}
      {saved ? <Alert kind="success">Profile saved.</Alert> : null}
      <ProfileFields register={form.register as unknown as UseFormRegister<ProfileValues>} errors={form.formState.errors} />
      <Button type="submit" disabled={submitting}>
        {submitting ? "Saving…" : "Save profile"}
      </Button>
    </form>
  );
}

export function ResetPasswordForm({ id, username }: { id: string; username: string }) {
  const [done, setDone] = useState(false);
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: resetPasswordSchema,
    action: resetPasswordAction,
    defaultValues: { id, password: "" },
    onSuccess: () => {
      setDone(true);
      form.reset({ id, password: "" });
    },
  });
  return (
    <form onSubmit={(event) => (setDone(false), onSubmit(event))} noValidate className="max-w-xl space-y-4">
      {formError ? <Alert kind="error">{formError}</Alert> : null}
      {done ? <Alert kind="success">Password changed. {username} was signed out everywhere, every token issued to their apps was revoked, and they must use the new password.</Alert> : null}
      <PasswordField id="user-new-password" label="New password" error={form.formState.errors.password?.message} register={form.register("password")} />
      <Button type="submit" variant="secondary" disabled={submitting}>
        {submitting ? "Setting…" : "Set new password"}
      </Button>
    </form>
  );
}
