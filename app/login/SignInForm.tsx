"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { startTransition, useActionState, useEffect, useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { signInFieldsSchema, type SignInFields, type SignInState } from "@/lib/auth/signInForm";

interface SignInFormProps {
  action: (previous: SignInState, formData: FormData) => Promise<SignInState>;
  /** Prefill for the username field (login_hint). */
  loginHint: string;
  /** A validated interaction id, or "". */
  interaction: string;
  /** A validated same-origin path, or "". */
  returnTo: string;
}

const inputClass =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm " +
  "focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600/30 aria-[invalid=true]:border-red-600";

/**
 * Works without JavaScript: the form posts to the server action and the
 * server answers with a 303 (or the page again, with the error). With
 * JavaScript, react-hook-form checks the fields with the same zod schema first.
 */
export function SignInForm({ action, loginHint, interaction, returnTo }: SignInFormProps) {
  const [state, formAction, pending] = useActionState(action, { status: "idle" } as SignInState);
  const formRef = useRef<HTMLFormElement>(null);
  const [hydrated, setHydrated] = useState(false);
  const previousUsername = state.status === "invalid" || state.status === "refused" ? state.username : loginHint;
  const {
    register,
    handleSubmit,
    formState: { errors },
    resetField,
  } = useForm<SignInFields>({
    resolver: zodResolver(signInFieldsSchema),
    defaultValues: { username: previousUsername, password: "" },
  });

  useEffect(() => setHydrated(true), []);
  useEffect(() => {
    if (state.status === "signed-in") window.location.assign(state.redirectTo);
    if (state.status === "refused") resetField("password");
  }, [state, resetField]);

  const onValid = () => {
    const formData = new FormData(formRef.current!);
    startTransition(() => formAction(formData));
  };

  const serverFieldErrors = state.status === "invalid" ? state.fieldErrors : {};
  const usernameError = errors.username?.message ?? serverFieldErrors.username;
  const passwordError = errors.password?.message ?? serverFieldErrors.password;
  const busy = pending || state.status === "signed-in";

  return (
    <form ref={formRef} action={formAction} onSubmit={handleSubmit(onValid)} noValidate={hydrated} className="space-y-5">
      {state.status === "refused" ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {state.message}
        </p>
      ) : null}
      {interaction ? <input type="hidden" name="interaction" value={interaction} /> : null}
      {returnTo ? <input type="hidden" name="returnTo" value={returnTo} /> : null}

      <div className="space-y-1">
        <label htmlFor="username" className="block text-sm font-medium text-slate-800">
          Username or email
        </label>
        <input
          id="username"
          type="text"
          autoComplete="username"
          autoCapitalize="none"
          autoCorrect="off"
          spellCheck={false}
          required
          maxLength={320}
          defaultValue={previousUsername}
          aria-invalid={usernameError ? true : undefined}
          aria-describedby={usernameError ? "username-error" : undefined}
          className={inputClass}
          {...register("username")}
        />
        {usernameError ? (
          <p id="username-error" className="text-sm text-red-700">
            {usernameError}
          </p>
        ) : null}
      </div>

      <div className="space-y-1">
        <label htmlFor="password" className="block text-sm font-medium text-slate-800">
          Password
        </label>
        <input
          id="password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={1024}
          aria-invalid={passwordError ? true : undefined}
          aria-describedby={passwordError ? "password-error" : undefined}
          className={inputClass}
          {...register("password")}
        />
        {passwordError ? (
          <p id="password-error" className="text-sm text-red-700">
            {passwordError}
          </p>
        ) : null}
      </div>

      <button
        type="submit"
        disabled={busy}
        className="w-full rounded-md bg-indigo-700 px-4 py-2 font-medium text-white shadow-sm hover:bg-indigo-800 focus:outline-none focus:ring-2 focus:ring-indigo-600 focus:ring-offset-2 disabled:opacity-60"
      >
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
