// The user forms' fields (create, edit profile, reset password), checked by the
// same zod schemas in the browser (react-hook-form) and in the dashboard's
// server actions. Framework-free and safe to import from client code.
import { z } from "zod";
import { MAX_PASSWORD_LENGTH } from "../auth/signInForm";
import { idSchema } from "./common";

/** OWASP ASVS 2.1.1 asks for at least 12 characters; the sign-in form accepts up to MAX_PASSWORD_LENGTH. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_USERNAME_LENGTH = 64;

/**
 * Letters, digits, ".", "_" and "-", starting with a letter or digit. No "@":
 * the sign-in form takes a username or an email address, and a username that
 * looked like someone's email address would make that ambiguous.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const usernameSchema = z
  .string()
  .trim()
  .min(1, "Enter a username.")
  .max(MAX_USERNAME_LENGTH, `At most ${MAX_USERNAME_LENGTH} characters.`)
  .regex(USERNAME_PATTERN, 'Use letters, digits, ".", "_" and "-", starting with a letter or digit.');

/** An email address, or "" for none (the account then has no email claim). */
export const optionalEmailSchema = z
  .string()
  .trim()
  .max(254, "At most 254 characters.")
  .refine((value) => value === "" || z.email().safeParse(value).success, "Enter an email address like name@example.com, or leave it empty.");

export const newPasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `At most ${MAX_PASSWORD_LENGTH} characters.`)
  .refine((value) => value.trim().length > 0, "The password cannot be only spaces.");

const profileFields = {
  username: usernameSchema,
  email: optionalEmailSchema,
  name: z.string().trim().max(200, "At most 200 characters."),
  emailVerified: z.boolean(),
};

export const createUserSchema = z.object({ ...profileFields, password: newPasswordSchema });
export const updateUserSchema = z.object({ id: idSchema, ...profileFields });
export const resetPasswordSchema = z.object({ id: idSchema, password: newPasswordSchema });
export const userIdSchema = z.object({ id: idSchema });

export type CreateUserInput = z.input<typeof createUserSchema>;
export type UpdateUserInput = z.input<typeof updateUserSchema>;
