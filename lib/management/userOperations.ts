// User management, shared by the dashboard's server actions and the management
// API. Inputs are already checked by the user forms' schemas
// (lib/forms/userForm.ts); the rules that protect administrators live in
// lib/db/userAdmin.ts, where they run under the same row locks as the change.
import { hashPassword } from "../auth/passwords";
import {
  createUser,
  deleteUser,
  disableUser,
  enableUser,
  resetUserPassword,
  setAdminRole,
  updateUserProfile,
  type AdminRuleRefusal,
  type UserConflict,
  type UserProfile,
} from "../db/userAdmin";
import { actionError, actionOk, type ActionResult } from "../forms/actionResult";
import type { OperationContext } from "./context";

const GONE = "This user no longer exists.";

type ProfileInput = { username: string; email: string; name: string; emailVerified: boolean };

function profileOf(input: ProfileInput): UserProfile {
  return { username: input.username, email: input.email === "" ? null : input.email, name: input.name, emailVerified: input.emailVerified };
}

function conflictError({ field }: UserConflict) {
  const message = field === "username" ? "Another user already has this username." : "Another user already has this email address.";
  return actionError(409, message, { [field]: [message] });
}

function refusalError(refusal: AdminRuleRefusal, doing: "disable" | "demote" | "delete") {
  switch (refusal.status) {
    case "not_found":
      return actionError(404, GONE);
    case "self":
      return actionError(
        409,
        doing === "demote"
          ? "You cannot remove your own admin role: you would lock yourself out. Ask another administrator."
          : `You cannot ${doing} your own account: you would lock yourself out. Ask another administrator.`,
      );
    case "last_admin":
      return actionError(409, `This is the last enabled administrator; grant the admin role to someone else before you ${doing} them.`);
  }
}

export async function createUserOperation(context: OperationContext, input: ProfileInput & { password: string }): Promise<ActionResult<{ id: string }>> {
  const profile = profileOf(input);
  const result = await createUser(context.db, { ...profile, passwordHash: await hashPassword(input.password) });
  if (result.status === "conflict") return conflictError(result);
  await context.audit({ kind: "admin.user.created", userId: result.user.id, details: { username: profile.username, email: profile.email, emailVerified: profile.emailVerified } });
  return actionOk({ id: result.user.id });
}

export async function updateUserOperation(context: OperationContext, input: ProfileInput & { id: string }): Promise<ActionResult<null>> {
  const profile = profileOf(input);
  const result = await updateUserProfile(context.db, input.id, profile);
  if (result.status === "not_found") return actionError(404, GONE);
  if (result.status === "conflict") return conflictError(result);
  const changed = (Object.keys(profile) as (keyof UserProfile)[]).filter((key) => result.previous[key] !== result.user[key]);
  await context.audit({ kind: "admin.user.updated", userId: input.id, details: { username: result.user.username, changed } });
  return actionOk(null);
}

export async function disableUserOperation(context: OperationContext, { id }: { id: string }): Promise<ActionResult<null>> {
  const result = await disableUser(context.db, { userId: id, actorId: context.actorId });
  if (result.status === "already_disabled") return actionOk(null);
  if (result.status !== "disabled") return refusalError(result, "disable");
  await context.audit({
    kind: "admin.user.disabled",
    userId: id,
    details: { username: result.username, sessionsEnded: result.sessionsEnded, tokensRevoked: result.tokensRevoked },
  });
  return actionOk(null);
}

export async function enableUserOperation(context: OperationContext, { id }: { id: string }): Promise<ActionResult<null>> {
  const result = await enableUser(context.db, id);
  if (result.status === "not_found") return actionError(404, GONE);
  if (result.status === "enabled") await context.audit({ kind: "admin.user.enabled", userId: id, details: { username: result.username } });
  return actionOk(null);
}

export async function resetPasswordOperation(context: OperationContext, { id, password }: { id: string; password: string }): Promise<ActionResult<null>> {
  const result = await resetUserPassword(context.db, { userId: id, passwordHash: await hashPassword(password) });
  if (result.status === "not_found") return actionError(404, GONE);
  await context.audit({ kind: "admin.user.password_reset", userId: id, details: { username: result.username, sessionsEnded: result.sessionsEnded, tokensRevoked: result.tokensRevoked } });
  return actionOk(null);
}

export async function setAdminRoleOperation(context: OperationContext, { id, admin }: { id: string; admin: boolean }): Promise<ActionResult<null>> {
  const result = await setAdminRole(context.db, { userId: id, actorId: context.actorId, admin });
  if (result.status !== "changed" && result.status !== "unchanged") return refusalError(result, "demote");
  if (result.status === "changed") {
    await context.audit({ kind: admin ? "admin.user.role_granted" : "admin.user.role_removed", userId: id, details: { username: result.username, role: "admin" } });
  }
  return actionOk(null);
}

export async function deleteUserOperation(context: OperationContext, { id }: { id: string }): Promise<ActionResult<null>> {
  const result = await deleteUser(context.db, { userId: id, actorId: context.actorId });
  if (result.status !== "deleted") return refusalError(result, "delete");
  await context.audit({ kind: "admin.user.deleted", userId: id, details: { username: result.username, tokensDeleted: result.tokensDeleted } });
  return actionOk(null);
}
