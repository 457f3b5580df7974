"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import Link from "next/link";
import { startTransition, useActionState, useEffect, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { MIN_ADMIN_PASSWORD_LENGTH, SETUP_LINK_REFUSED, setupFormSchema, type SetupFormFields, type SetupFormInput, type SetupState } from "@/lib/forms/setupForm";

interface SetupFormProps {
  action: (previous: SetupState, formData: FormData) => Promise<SetupState>;
  token: string;
  /** Whether the link was usable when the page was rendered. */
  linkUsable: boolean;
}

const inputClass =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm " +
  "focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600/30 aria-[invalid=true]:border-red-600";

interface FieldSpec {
  name: SetupFormFields;
  label: string;
  type: "text" | "email" | "password";
  autoComplete: string;
  required: boolean;
  hint?: string;
}

const FIELDS: readonly FieldSpec[] = [
  { name: "username", label: "Username", type: "text", autoComplete: "username", required: true },
  { name: "email", label: "Email (optional)", type: "email", autoComplete: "email", required: false },
  { name: "name", label: "Name (optional)", type: "text", autoComplete: "name", required: false },
  {
    name: "password",
    label: "Password",
    type: "password",
    autoComplete: "new-password",
    required: true,
    hint: `At least ${MIN_ADMIN_PASSWORD_LENGTH} characters; a passphrase of a few words works well.`,
  },
  { name: "confirmPassword", label: "Password again", type: "password", autoComplete: "new-password", required: true },
];

/**
 * Works without JavaScript: the form posts to the server action and the page
 * renders its answer. With JavaScript, react-hook-form checks the fields with
 * the same zod schema first.
 */
export function SetupForm({ action, token, linkUsable }: SetupFormProps) {
  const [state, formAction, pending] = useActionState(action, { status: "idle" } as SetupState);
  const formRef = useRef<HTMLFormElement>(null);
  const [hydrated, setHydrated] = useState(false);
  const previous = state.status === "invalid" ? state.values : { username: "", email: "", name: "" };
  const {
    register,
    handleSubmit,
    formState: { errors },
  } = useForm<SetupFormInput>({
    resolver: zodResolver(setupFormSchema),
    defaultValues: { token, ...previous, password: "", confirmPassword: "" },
  });

  useEffect(() => setHydrated(true), []);

  if (state.status === "created") {
    return (
      <div className="space-y-4">
        <p role="status" className="rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-900">
          Administrator <strong>{state.username}</strong> created. The setup link no longer works.
        </p>
        <p className="text-sm">
          <Link href="/login?returnTo=%2Fdashboard" className="font-medium text-indigo-700 underline">
            Sign in to the dashboard
          </Link>
        </p>
      </div>
    );
  }
  if (state.status === "link_refused" || !linkUsable) {
    return (
      <div className="space-y-4">
        <p role="alert" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          {state.status === "link_refused" ? state.message : SETUP_LINK_REFUSED}
        </p>
        <p className="text-sm">
          <Link href="/login" className="font-medium text-indigo-700 underline">
            Sign in
          </Link>
        </p>
      </div>
    );
  }

  const onValid = () => {
    const formData = new FormData(formRef.current!);
    startTransition(() => formAction(formData));
  };
  const serverErrors = state.status === "invalid" ? state.fieldErrors : {};

  return (
    <form ref={formRef} action={formAction} onSubmit={handleSubmit(onValid)} noValidate={hydrated} className="space-y-5">
      {state.status === "invalid" && state.message ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {state.message}
        </p>
      ) : null}
      <input type="hidden" defaultValue={token} {...register("token")} />
      {FIELDS.map((field) => {
        const error = errors[field.name]?.message ?? serverErrors[field.name];
        const describedBy = [field.hint ? `${field.name}-hint` : null, error ? `${field.name}-error` : null].filter(Boolean).join(" ");
        return (
          <div key={field.name} className="space-y-1">
            <label htmlFor={field.name} className="block text-sm font-medium text-slate-800">
              {field.label}
            </label>
            <input
              id={field.name}
              type={field.type}
              autoComplete={field.autoComplete}
              autoCapitalize={field.type === "text" ? "none" : undefined}
              spellCheck={false}
              required={field.required}
              maxLength={field.type === "password" ? 1024 : 254}
              defaultValue={field.type === "password" ? undefined : previous[field.name as "username" | "email" | "name"]}
              aria-invalid={error ? true : undefined}
              aria-describedby={describedBy || undefined}
              className={inputClass}
              {...register(field.name)}
            />
            {field.hint ? (
              <p id={`${field.name}-hint`} className="text-sm text-slate-600">
                {field.hint}
              </p>
            ) : null}
            {error ? (
              <p id={`${field.name}-error`} className="text-sm text-red-700">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      <button
        type="submit"
        disabled={pending}
        className="w-full rounded-md bg-indigo-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-indigo-800 focus:outline-none focus:ring-2 focus:ring-indigo-600 focus:ring-offset-2 disabled:opacity-60"
      >
        {pending ? "Creating…" : "Create administrator"}
      </button>
    </form>
  );
}
