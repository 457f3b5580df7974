"use server";
// /account's server actions. Each one works on the signed-in user's own rows
// only: the user id comes from the session (ctx.session), never from the form,
// and ids that do come from the page are matched against that user in SQL.
import { accountAction, type ActionContext } from "@/lib/next/guards";
import { actionError, actionOk } from "@/lib/forms/actionResult";
import { signOutCurrentSession } from "@/lib/next/session";
import { hashPassword } from "@/lib/auth/passwords";
import { changeAccountPassword, endSessionOfUser, updateAccountProfile } from "@/lib/db/account";
import { revokeAuthorization } from "@/lib/db/grants";
import { endSessionInput, withdrawConsentInput } from "@/lib/forms/grantActions";
import { CURRENT_PASSWORD_REFUSED, passwordFormSchema } from "@/lib/forms/passwordForm";
import { EMAIL_TAKEN, PASSWORD_FOR_EMAIL_CHANGE, profileFormSchema } from "@/lib/forms/profileForm";

const ACCOUNT_GONE = "Your account no longer exists.";

/**
 * Re-checks the signed-in user's current password (throttled like sign-in).
 * Null when it is right; otherwise the refusal to answer with, audited as `refusedKind`.
 */
async function refuseWrongCurrentPassword(ctx: ActionContext, password: string, refusedKind: string, noPasswordMessage: string) {
  const { userId, username } = ctx.session;
  const check = await ctx.gatehouse.auth.checkCurrentPassword({ userId, username }, password, ctx.ip);
  if (check.ok) return null;
  await ctx.audit({ kind: refusedKind, userId, reason: check.reason });
  if (check.reason === "no_password") return actionError(400, noPasswordMessage);
  return actionError(400, CURRENT_PASSWORD_REFUSED, { currentPassword: [CURRENT_PASSWORD_REFUSED] });
}

/**
 * The profile. Changing the email address needs the current password, because
 * the address is a sign-in name and goes to apps in ID tokens: whoever holds a
 * stolen session must not be able to make the account theirs. The password is
 * checked (and throttled) like the password form's; the update itself refuses
 * an address change unless it was.
 */
export const updateProfile = accountAction(profileFormSchema, async (input, ctx) => {
  const { userId } = ctx.session;
  const emailChangeAllowed = input.currentPassword !== "";
  if (emailChangeAllowed) {
    const refusal = await refuseWrongCurrentPassword(
      ctx,
      input.currentPassword,
      "account.profile_update_refused",
      "Your account has no password to confirm this with; ask an administrator.",
    );
    if (refusal) return refusal;
  }
  const result = await updateAccountProfile(ctx.gatehouse.db.sql, userId, { name: input.name, email: input.email === "" ? null : input.email }, { emailChangeAllowed });
  if (result.status === "email_change_not_allowed") return actionError(400, PASSWORD_FOR_EMAIL_CHANGE, { currentPassword: [PASSWORD_FOR_EMAIL_CHANGE] });
  if (result.status === "email_taken") return actionError(409, EMAIL_TAKEN, { email: [EMAIL_TAKEN] });
  if (result.status === "not_found") return actionError(404, ACCOUNT_GONE);
  const changed = [...(result.nameChanged ? ["name"] : []), ...(result.emailChanged ? ["email"] : [])];
  // Which fields changed, not their values: the audit log is no copy of the user table.
  if (changed.length > 0) await ctx.audit({ kind: "account.profile_updated", userId, details: { changed } });
  return actionOk({ changed, emailUnverified: result.emailChanged && input.email !== "" });
});

export const changePassword = accountAction(passwordFormSchema, async (input, ctx) => {
  const { userId, sessionId } = ctx.session;
  const refusal = await refuseWrongCurrentPassword(
    ctx,
    input.currentPassword,
    "account.password_change_refused",
    "Your account has no password to change; ask an administrator to set one.",
  );
  if (refusal) return refusal;
  const changed = await changeAccountPassword(ctx.gatehouse.db.sql, userId, await hashPassword(input.newPassword), sessionId);
  if (!changed) return actionError(404, ACCOUNT_GONE);
  await ctx.audit({ kind: "account.password_changed", userId, details: { endedSessions: changed.endedSessions, revokedTokens: changed.revokedTokens } });
  return actionOk({ endedSessions: changed.endedSessions });
});

export const withdrawConsent = accountAction(withdrawConsentInput, async ({ authorizationId }, ctx) => {
  const { userId } = ctx.session;
  const revoked = await revokeAuthorization(ctx.gatehouse.db, authorizationId, { userId });
  if (!revoked) return actionError(404, "That app no longer has access to your account (it was revoked already).");
  await ctx.audit({
    kind: "consent.withdrawn",
    userId,
    clientId: revoked.clientId,
    details: { authorizationId: revoked.authorizationId, revokedTokens: revoked.revokedTokens },
  });
  return actionOk({ revokedTokens: revoked.revokedTokens });
});

export const endSession = accountAction(endSessionInput, async ({ sessionId }, ctx) => {
  const { userId } = ctx.session;
  const current = sessionId === ctx.session.sessionId;
  const ended = await endSessionOfUser(ctx.gatehouse.db.sql, userId, sessionId);
  if (!ended) return actionError(404, "That session has already ended.");
  await ctx.audit({ kind: "account.session.ended", userId, details: { sessionId, current } });
  // Ending the session in use signs this browser out: the cookie goes too.
  if (current) await signOutCurrentSession();
  return actionOk({ signedOut: current });
});
