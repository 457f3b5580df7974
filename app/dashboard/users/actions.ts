"use server";
// Server actions of the dashboard's user pages. adminAction checks the
// session, the admin role and the input (the form's own zod schema) on every
// call; the rules that protect administrators live in lib/db/userAdmin.ts,
// where they run under the same row locks as the change.
import { actionError, actionOk } from "@/lib/forms/actionResult";
import { adminAction } from "@/lib/next/guards";
import { hashPassword } from "@/lib/auth/passwords";
import {
  createUser,
  disableUser,
  enableUser,
  findUserForAdmin,
  resetUserPassword,
  setAdminRole,
  updateUserProfile,
  type AdminRuleRefusal,
  type UserConflict,
  type UserProfile,
} from "@/lib/db/userAdmin";
import { createUserSchema, resetPasswordSchema, updateUserSchema, userIdSchema } from "@/lib/forms/userForm";

const GONE = "This user no longer exists.";

function profileOf(input: { username: string; email: string; name: string; emailVerified: boolean }): UserProfile {
  return { username: input.username, email: input.email === "" ? null : input.email, name: input.name, emailVerified: input.emailVerified };
}

function conflictError({ field }: UserConflict) {
  const message = field === "username" ? "Another user already has this username." : "Another user already has this email address.";
  return actionError(409, message, { [field]: [message] });
}

function refusalError(refusal: AdminRuleRefusal, doing: "disable" | "demote") {
  switch (refusal.status) {
    case "not_found":
      return actionError(404, GONE);
    case "self":
      return actionError(
        409,
        doing === "disable"
          ? "You cannot disable your own account: you would lock yourself out. Ask another administrator."
          : "You cannot remove your own admin role: you would lock yourself out. Ask another administrator.",
      );
    case "last_admin":
      return actionError(409, `This is the last enabled administrator; grant the admin role to someone else before you ${doing === "disable" ? "disable" : "demote"} them.`);
  }
}

export const createUserAction = adminAction(createUserSchema, async (input, { audit, gatehouse }) => {
  const profile = profileOf(input);
  const result = await createUser(gatehouse.db, { ...profile, passwordHash: await hashPassword(input.password) });
  if (result.status === "conflict") return conflictError(result);
  await audit({ kind: "admin.user.created", userId: result.user.id, details: { username: profile.username, email: profile.email, emailVerified: profile.emailVerified } });
  return actionOk({ id: result.user.id });
});

export const updateUserAction = adminAction(updateUserSchema, async (input, { audit, gatehouse }) => {
  const profile = profileOf(input);
  const result = await updateUserProfile(gatehouse.db, input.id, profile);
  if (result.status === "not_found") return actionError(404, GONE);
  if (result.status === "conflict") return conflictError(result);
  const changed = (Object.keys(profile) as (keyof UserProfile)[]).filter((key) => result.previous[key] !== result.user[key]);
  await audit({ kind: "admin.user.updated", userId: input.id, details: { username: result.user.username, changed } });
  return actionOk(null);
});

export const disableUserAction = adminAction(userIdSchema, async ({ id }, { audit, gatehouse, session }) => {
  const result = await disableUser(gatehouse.db, { userId: id, actorId: session.userId });
  if (result.status === "already_disabled") return actionOk(null);
  if (result.status !== "disabled") return refusalError(result, "disable");
  await audit({
    kind: "admin.user.disabled",
    userId: id,
    details: { username: result.username, sessionsEnded: result.sessionsEnded, tokensRevoked: result.tokensRevoked },
  });
  return actionOk(null);
});

export const enableUserAction = adminAction(userIdSchema, async ({ id }, { audit, gatehouse }) => {
  const result = await enableUser(gatehouse.db, id);
  if (result.status === "not_found") return actionError(404, GONE);
  if (result.status === "enabled") await audit({ kind: "admin.user.enabled", userId: id, details: { username: result.username } });
  return actionOk(null);
});

export const resetPasswordAction = adminAction(resetPasswordSchema, async ({ id, password }, { audit, gatehouse }) => {
  const result = await resetUserPassword(gatehouse.db, { userId: id, passwordHash: await hashPassword(password) });
  if (result.status === "not_found") return actionError(404, GONE);
  await audit({ kind: "admin.user.password_reset", userId: id, details: { username: result.username, sessionsEnded: result.sessionsEnded, tokensRevoked: result.tokensRevoked } });
  return actionOk(null);
});

export const grantAdminAction = adminAction(userIdSchema, async ({ id }, { audit, gatehouse, session }) => {
  const result = await setAdminRole(gatehouse.db, { userId: id, actorId: session.userId, admin: true });
  if (result.status === "not_found") return actionError(404, GONE);
  if (result.status === "changed") await audit({ kind: "admin.user.role_granted", userId: id, details: { username: result.username, role: "admin" } });
  return actionOk(null);
});

export const removeAdminAction = adminAction(userIdSchema, async ({ id }, { audit, gatehouse, session }) => {
  const result = await setAdminRole(gatehouse.db, { userId: id, actorId: session.userId, admin: false });
  if (result.status !== "changed" && result.status !== "unchanged") return refusalError(result, "demote");
  if (result.status === "changed") await audit({ kind: "admin.user.role_removed", userId: id, details: { username: result.username, role: "admin" } });
  return actionOk(null);
});

export const clearSignInThrottleAction = adminAction(userIdSchema, async ({ id }, { audit, gatehouse }) => {
  const user = await findUserForAdmin(gatehouse.db, id);
  if (!user) return actionError(404, GONE);
  const cleared = await gatehouse.signInThrottle.clearAccount(id);
  await audit({ kind: "admin.user.sign_in_throttle_cleared", userId: id, details: { username: user.username, counters: cleared } });
  return actionOk(null);
});
