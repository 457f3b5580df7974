// The profile form on /account: the same zod schema checks the fields in the
// browser (react-hook-form) and in the server action. Safe to import from client code.
import { z } from "zod";
import { MAX_PASSWORD_LENGTH } from "../auth/signInForm";

export const MAX_NAME_LENGTH = 200;
/** RFC 5321 §4.5.3.1.3: a path (and so an address) is at most 254 characters in practice. */
export const MAX_EMAIL_LENGTH = 254;

/** Letters people type are fine; control characters in a display name are not. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export const profileFormSchema = z.object({
  name: z
    .string()
    .trim()
    .max(MAX_NAME_LENGTH, `Keep your name under ${MAX_NAME_LENGTH} characters.`)
    .refine((value) => !CONTROL_CHARACTERS.test(value), "Your name cannot contain control characters."),
  // Empty means "no email address" (the column is nullable); the action stores null.
  email: z
    .string()
    .trim()
    .max(MAX_EMAIL_LENGTH, "That email address is too long.")
    .refine((value) => value === "" || z.email().safeParse(value).success, "Enter an email address like name@example.com, or leave it empty."),
  // Needed only to change the address (it is a sign-in name, and apps receive it); empty otherwise.
  currentPassword: z.string().max(MAX_PASSWORD_LENGTH, "That password is too long."),
});

export type ProfileFormInput = z.input<typeof profileFormSchema>;
export type ProfileFormValues = z.output<typeof profileFormSchema>;

/** The message when another account already uses the address (also shown on the field). */
export const EMAIL_TAKEN = "Another account already uses this email address.";

/** The message when the address changes and the current password was not given. */
export const PASSWORD_FOR_EMAIL_CHANGE = "Enter your current password to change your email address.";
