"use server";
// The /setup form's action: creates the first administrator with a one-time
// setup link (lib/db/setupTokens.ts). It signs nobody in and touches nothing
// else; the link is checked and consumed in the same transaction as the
// account is created (lib/db/userAdmin.ts, createAdministrator).
import { requestClientAddress } from "@/lib/next/session";
import { hashPassword } from "@/lib/auth/passwords";
import { createAdministrator } from "@/lib/db/userAdmin";
import { SETUP_LINK_REFUSED, setupFormSchema, type SetupFieldErrors, type SetupFormFields, type SetupState } from "@/lib/forms/setupForm";
import { getGatehouse } from "@/lib/gatehouse";

const FIELDS: readonly SetupFormFields[] = ["username", "email", "name", "password", "confirmPassword"];

function text(value: FormDataEntryValue | null, max = 2000): string {
  return typeof value === "string" ? value.slice(0, max) : "";
}

export async function createFirstAdministrator(_previous: SetupState, formData: FormData): Promise<SetupState> {
  // A replayed request can carry any arguments; only the form's own FormData is read.
  if (!(formData instanceof FormData)) return { status: "link_refused", message: SETUP_LINK_REFUSED };
  const raw = {
    token: text(formData.get("token"), 100),
    username: text(formData.get("username")),
    email: text(formData.get("email")),
    name: text(formData.get("name")),
    password: text(formData.get("password")),
    confirmPassword: text(formData.get("confirmPassword")),
  };
  const values = { username: raw.username, email: raw.email, name: raw.name };
  const parsed = setupFormSchema.safeParse(raw);
  if (!parsed.success) {
    const fieldErrors: SetupFieldErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as SetupFormFields;
      if (FIELDS.includes(field) && !fieldErrors[field]) fieldErrors[field] = issue.message;
    }
    if (Object.keys(fieldErrors).length === 0) return { status: "link_refused", message: SETUP_LINK_REFUSED };
    return { status: "invalid", values, fieldErrors };
  }
  const input = parsed.data;
  const gatehouse = await getGatehouse();
  try {
    const result = await createAdministrator(gatehouse.db, {
      username: input.username,
      email: input.email === "" ? null : input.email,
      name: input.name,
      emailVerified: false,
      passwordHash: await hashPassword(input.password),
      setupToken: input.token,
    });
    if (result.status === "invalid_setup_token") return { status: "link_refused", message: SETUP_LINK_REFUSED };
    if (result.status === "conflict") {
      const message = result.field === "username" ? "Another user already has this username." : "Another user already has this email address.";
      return { status: "invalid", values, fieldErrors: { [result.field]: message }, message };
    }
    await gatehouse.audit.record({
      kind: "admin.user.created",
      actor: null,
      userId: result.user.id,
      ip: await requestClientAddress(),
      details: { username: result.user.username, email: result.user.email, roles: result.user.roles, via: "setup_link" },
    });
    return { status: "created", username: result.user.username };
  } catch (error) {
    console.error("[setup] failed:", error);
    return { status: "invalid", values, fieldErrors: {}, message: "That did not work. Try again; if it keeps failing, the server log says why." };
  }
}
