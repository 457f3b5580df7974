"use server";

import { cookies, headers } from "next/headers";
import { redirect, RedirectType } from "next/navigation";
import { requestClientAddress } from "@/lib/next/session";
import { postSignInLocation } from "@/lib/auth/returnTo";
import { SIGN_IN_REFUSED, signInFieldsSchema, signInThrottledMessage, type SignInFieldErrors, type SignInState } from "@/lib/auth/signInForm";
import { getGatehouse } from "@/lib/gatehouse";

function text(value: FormDataEntryValue | null): string {
  return typeof value === "string" ? value : "";
}

/**
 * The sign-in form's action (useActionState). Without JavaScript the browser
 * posts the form here and gets a 303 to the next page, or the page again with
 * the error. With JavaScript the answer names the next page and the browser
 * goes there itself: a redirect() from a fetch action makes Next.js request
 * the target server-side first (to inline it), which must never happen to
 * /connect/authorize (it would complete the authorization request unseen).
 */
export async function signIn(_previous: SignInState, formData: FormData): Promise<SignInState> {
  // A hand-made action call can pass anything: without the form's fields there is nothing to check (not a 500).
  if (!(formData instanceof FormData)) return { status: "invalid", username: "", fieldErrors: {} };
  const username = text(formData.get("username")).slice(0, 400);
  const parsed = signInFieldsSchema.safeParse({ username, password: text(formData.get("password")) });
  if (!parsed.success) {
    const fieldErrors: SignInFieldErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if ((field === "username" || field === "password") && !fieldErrors[field]) fieldErrors[field] = issue.message;
    }
    return { status: "invalid", username, fieldErrors };
  }

  const requestHeaders = await headers();
  const { auth } = await getGatehouse();
  const result = await auth.signInWithPassword({
    identifier: parsed.data.username,
    password: parsed.data.password,
    clientAddress: await requestClientAddress(),
    userAgent: requestHeaders.get("user-agent"),
  });
  if (!result.ok) {
    // A throttled attempt is answered at once with the wait, never by holding the request.
    if (result.retryAfterSeconds !== undefined) {
      return { status: "refused", username: parsed.data.username, message: signInThrottledMessage(result.retryAfterSeconds), retryAfterSeconds: result.retryAfterSeconds };
    }
    return { status: "refused", username: parsed.data.username, message: SIGN_IN_REFUSED };
  }

  const store = await cookies();
  for (const cookie of result.cookies) store.set(cookie.name, cookie.value, cookie.options);
  // Where to continue is re-checked here: the hidden fields are as untrusted as the query string.
  const location = postSignInLocation({ interaction: formData.get("interaction"), returnTo: formData.get("returnTo") });
  if (requestHeaders.has("next-action")) return { status: "signed-in", redirectTo: location };
  redirect(location, RedirectType.push); // a form post without JavaScript: 303 See Other
}
