"use client";
// Name and email address on /account (checked with the same schema by the server action).
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/Alert";
import { Button } from "@/components/ui/Button";
import { TextField } from "@/components/ui/Field";
import { useActionForm } from "@/components/ui/useActionForm";
import type { ActionResult } from "@/lib/forms/actionResult";
import { MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, profileFormSchema, type ProfileFormInput } from "@/lib/forms/profileForm";

type ProfileSaved = { changed: string[]; emailUnverified: boolean };

export function ProfileForm({
  action,
  username,
  defaultValues,
  emailVerified,
}: {
  action: (input: ProfileFormInput) => Promise<ActionResult<ProfileSaved>>;
  username: string;
  defaultValues: ProfileFormInput;
  emailVerified: boolean;
}) {
  const [saved, setSaved] = useState<ProfileSaved | null>(null);
  const router = useRouter();
  const { form, onSubmit, formError, submitting } = useActionForm({
    schema: profileFormSchema,
    action,
    defaultValues,
    onSuccess: (data) => {
      setSaved(data);
      // The saved values become the form's baseline (the password is not kept); the page's server data is read again.
      form.reset({ ...form.getValues(), currentPassword: "" });
      router.refresh();
    },
  });
  const { errors } = form.formState;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    setSaved(null);
    return onSubmit(event);
  };
  return (
    <form onSubmit={submit} noValidate className="space-y-4">
      {formError ? <Alert kind="error">{formError}</Alert> : null}
      {saved ? (
        <Alert kind="success">
          {saved.changed.length === 0 ? "Nothing to change: your profile is as it was." : "Profile saved."}
          {saved.emailUnverified ? " Your new email address is not verified yet." : null}
        </Alert>
      ) : null}
      <p className="text-sm text-slate-700">
        Username: <strong className="text-slate-900">{username}</strong> (only an administrator can change it)
      </p>
      <TextField id="profile-name" label="Name" autoComplete="name" maxLength={MAX_NAME_LENGTH} error={errors.name?.message} {...form.register("name")} />
      <TextField
        id="profile-email"
        label="Email address"
        type="email"
        autoComplete="email"
        maxLength={MAX_EMAIL_LENGTH}
        hint={
          defaultValues.email
            ? `${emailVerified ? "Verified." : "Not verified."} Changing it marks it unverified. You can also sign in with it.`
            : "Optional. You can also sign in with it."
        }
        error={errors.email?.message}
        {...form.register("email")}
      />
      <TextField
        id="profile-current-password"
        label="Current password"
        type="password"
        autoComplete="current-password"
        hint="Needed only to change your email address."
        error={errors.currentPassword?.message}
        {...form.register("currentPassword")}
      />
      <Button type="submit" disabled={submitting}>
        {submitting ? "Saving…" : "Save profile"}
      </Button>
    </form>
  );
}
