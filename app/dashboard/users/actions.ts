"use server";
// Server actions of the dashboard's user pages. adminAction checks the
// session, the admin role and the input (the form's own zod schema) on every
// call; the operations are the management API's too (lib/management/userOperations.ts).
import { actionError, actionOk } from "@/lib/forms/actionResult";
import { adminAction } from "@/lib/next/guards";
import { findUserForAdmin } from "@/lib/db/userAdmin";
import {
  createUserOperation,
  deleteUserOperation,
  disableUserOperation,
  enableUserOperation,
  resetPasswordOperation,
  setAdminRoleOperation,
  updateUserOperation,
} from "@/lib/management/userOperations";
import { createUserSchema, resetPasswordSchema, updateUserSchema, userIdSchema } from "@/lib/forms/userForm";

export const createUserAction = adminAction(createUserSchema, (input, { operation }) => createUserOperation(operation, input));

export const updateUserAction = adminAction(updateUserSchema, (input, { operation }) => updateUserOperation(operation, input));

export const disableUserAction = adminAction(userIdSchema, (input, { operation }) => disableUserOperation(operation, input));

export const enableUserAction = adminAction(userIdSchema, (input, { operation }) => enableUserOperation(operation, input));

export const resetPasswordAction = adminAction(resetPasswordSchema, (input, { operation }) => resetPasswordOperation(operation, input));

export const grantAdminAction = adminAction(userIdSchema, ({ id }, { operation }) => setAdminRoleOperation(operation, { id, admin: true }));

export const removeAdminAction = adminAction(userIdSchema, ({ id }, { operation }) => setAdminRoleOperation(operation, { id, admin: false }));

export const deleteUserAction = adminAction(userIdSchema, (input, { operation }) => deleteUserOperation(operation, input));

export const clearSignInThrottleAction = adminAction(userIdSchema, async ({ id }, { audit, gatehouse }) => {
  const user = await findUserForAdmin(gatehouse.db, id);
  if (!user) return actionError(404, "This user no longer exists.");
  const cleared = await gatehouse.signInThrottle.clearAccount(id);
  await audit({ kind: "admin.user.sign_in_throttle_cleared", userId: id, details: { username: user.username, counters: cleared } });
  return actionOk(null);
});
