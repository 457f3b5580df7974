// The change-password form on /account, validated by the same zod schema in
// the browser and in the server action. Safe to import from client code.
import { z } from "zod";
import { MAX_PASSWORD_LENGTH } from "../auth/signInForm";

/**
 * New passwords: at least 12 characters (what the demo and generated passwords
 * meet, above NIST SP 800-63B's floor of 8), at most what sign-in accepts, so
 * every password set here can be typed into /login. Any character is allowed.
 */
export const MIN_NEW_PASSWORD_LENGTH = 12;

export const passwordFormSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password.").max(MAX_PASSWORD_LENGTH, "That password is too long."),
    newPassword: z
      .string()
      .min(MIN_NEW_PASSWORD_LENGTH, `Choose a password of at least ${MIN_NEW_PASSWORD_LENGTH} characters.`)
      .max(MAX_PASSWORD_LENGTH, `Choose a password of at most ${MAX_PASSWORD_LENGTH} characters.`),
    confirmPassword: z.string().max(MAX_PASSWORD_LENGTH, "That password is too long."),
  })
  .refine((values) => values.confirmPassword === values.newPassword, {
    path: ["confirmPassword"],
    message: "The two new passwords do not match.",
  })
  .refine((values) => values.newPassword !== values.currentPassword, {
    path: ["newPassword"],
    message: "Choose a password different from your current one.",
  });

export type PasswordFormInput = z.input<typeof passwordFormSchema>;
export type PasswordFormValues = z.output<typeof passwordFormSchema>;

/** Wrong current password, or too many wrong attempts: one message, like sign-in. */
export const CURRENT_PASSWORD_REFUSED = "That is not your current password, or there were too many attempts — try again later.";
