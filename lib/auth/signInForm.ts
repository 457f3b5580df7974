// The sign-in form's fields, validated by the same zod schema in the browser
// (react-hook-form) and in the server action. Safe to import from client code.
import { z } from "zod";

/** The one message for every refused password: it never says which part was wrong. */
export const SIGN_IN_REFUSED = "Incorrect username or password.";

/**
 * The answer to an attempt the throttle refused before any password check (so
 * it says nothing about the password): when to try again.
 */
export function signInThrottledMessage(retryAfterSeconds: number): string {
  const wait =
    retryAfterSeconds < 90
      ? `${retryAfterSeconds} ${retryAfterSeconds === 1 ? "second" : "seconds"}`
      : `${Math.ceil(retryAfterSeconds / 60)} minutes`;
  return `Too many failed sign-ins. Try again in ${wait}.`;
}

export const MAX_IDENTIFIER_LENGTH = 320;
/** Long enough for any passphrase; bounds the work one request can cause. */
export const MAX_PASSWORD_LENGTH = 1024;

export const signInFieldsSchema = z.object({
  username: z
    .string()
    .trim()
    .min(1, "Enter your username or email address.")
    .max(MAX_IDENTIFIER_LENGTH, "That is too long for a username or email address.")
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "That is not a valid username or email address."),
  password: z
    .string()
    .min(1, "Enter your password.")
    .max(MAX_PASSWORD_LENGTH, "That password is too long."),
});

export type SignInFields = z.infer<typeof signInFieldsSchema>;

export type SignInFieldErrors = Partial<Record<keyof SignInFields, string>>;

/** The server action's answer, rendered by the form (also without JavaScript). */
export type SignInState =
  | { status: "idle" }
  | { status: "invalid"; username: string; fieldErrors: SignInFieldErrors }
  | { status: "refused"; username: string; message: string; retryAfterSeconds?: number }
  | { status: "signed-in"; redirectTo: string };
