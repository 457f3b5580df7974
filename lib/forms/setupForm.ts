// The first administrator's account: the /setup page's form (react-hook-form
// in the browser, the same zod schema in its server action) and
// `npm run gatehouse -- create-admin` check it with these schemas.
// Framework-free and safe to import from client code.
import { z } from "zod";
import { MAX_PASSWORD_LENGTH } from "../auth/signInForm";
import { optionalEmailSchema, usernameSchema } from "./userForm";

/**
 * NIST SP 800-63B §5.1.1.2 sets 8 characters as the floor for a memorized
 * secret; an administrator's password guards every account, so it must meet
 * the 12 that OWASP ASVS 2.1.1 asks for (as every password the portal sets).
 */
export const MIN_ADMIN_PASSWORD_LENGTH = 12;

/**
 * Values 800-63B says to refuse (§5.1.1.2: commonly used, expected or
 * compromised): the project's own published demo credentials and the most
 * common passwords long enough to pass the length rule. A full breached-password
 * list needs a download this offline install cannot do.
 */
const KNOWN_PASSWORDS = new Set([
  "alice-password",
  "postman-secret",
  "password1234",
  "passwordpassword",
  "administrator",
  "123456789012",
  "1234567890123",
  "qwertyuiop12",
  "qwertyuiopasdf",
  "changemechangeme",
  "letmeinletmein",
]);

export const adminPasswordSchema = z
  .string()
  .min(MIN_ADMIN_PASSWORD_LENGTH, `Use at least ${MIN_ADMIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `At most ${MAX_PASSWORD_LENGTH} characters.`)
  .refine((value) => value.trim().length > 0, "The password cannot be only spaces.")
  .refine((value) => !KNOWN_PASSWORDS.has(value.toLowerCase()), "That password is published or too common; choose another.")
  .refine((value) => new Set(value).size > 2, "That password repeats one or two characters; choose another.");

/** The account the CLI creates (the password arrives separately, from a prompt or stdin). */
export const adminAccountSchema = z
  .object({
    username: usernameSchema,
    email: optionalEmailSchema,
    name: z.string().trim().max(200, "At most 200 characters."),
    password: adminPasswordSchema,
  })
  .refine((values) => values.password.toLowerCase() !== values.username.toLowerCase(), {
    path: ["password"],
    message: "The password cannot be the username.",
  });

/** The /setup form: the account, the password typed twice, and the link's token. */
export const setupFormSchema = z
  .object({
    token: z.string().max(100),
    username: usernameSchema,
    email: optionalEmailSchema,
    name: z.string().trim().max(200, "At most 200 characters."),
    password: adminPasswordSchema,
    confirmPassword: z.string().max(MAX_PASSWORD_LENGTH, "That password is too long."),
  })
  .refine((values) => values.password.toLowerCase() !== values.username.toLowerCase(), {
    path: ["password"],
    message: "The password cannot be the username.",
  })
  .refine((values) => values.confirmPassword === values.password, {
    path: ["confirmPassword"],
    message: "The two passwords do not match.",
  });

export type SetupFormInput = z.input<typeof setupFormSchema>;
export type SetupFormFields = Exclude<keyof SetupFormInput, "token">;
export type SetupFieldErrors = Partial<Record<SetupFormFields, string>>;

/** The setup action's answer, rendered by the form (also without JavaScript). */
export type SetupState =
  | { status: "idle" }
  | { status: "invalid"; values: { username: string; email: string; name: string }; fieldErrors: SetupFieldErrors; message?: string }
  | { status: "link_refused"; message: string }
  | { status: "created"; username: string };

export const SETUP_LINK_REFUSED =
  "This setup link cannot be used: it was used already, it expired, or an administrator exists. " +
  "Restart Gatehouse for a new link (printed while no administrator exists), or run `npm run gatehouse -- create-admin`.";
