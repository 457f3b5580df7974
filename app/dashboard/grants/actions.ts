"use server";
// Revocation from the dashboard's grants pages (one user's or one client's).
// The page's owner travels with each id and is matched in SQL, so a stale or
// edited page can only act on what that page listed.
import { actionError, actionOk } from "@/lib/forms/actionResult";
import { adminAction } from "@/lib/next/guards";
import { revokeAuthorization, revokeLiveToken, type GrantOwnerFilter } from "@/lib/db/grants";
import { revokeAuthorizationInput, revokeTokenInput, type GrantOwner } from "@/lib/forms/grantActions";

function ownerFilter(owner: GrantOwner): GrantOwnerFilter {
  return owner.ownerType === "user" ? { userId: owner.ownerId } : { applicationId: owner.ownerId };
}

export const revokeAuthorizationAsAdmin = adminAction(revokeAuthorizationInput, async ({ authorizationId, owner }, ctx) => {
  const revoked = await revokeAuthorization(ctx.gatehouse.db, authorizationId, ownerFilter(owner));
  if (!revoked) return actionError(404, "That authorization was already revoked or no longer exists.");
  await ctx.audit({
    kind: "admin.authorization.revoked",
    userId: revoked.userId,
    clientId: revoked.clientId,
    details: { authorizationId: revoked.authorizationId, revokedTokens: revoked.revokedTokens },
  });
  return actionOk({ revokedTokens: revoked.revokedTokens });
});

export const revokeTokenAsAdmin = adminAction(revokeTokenInput, async ({ tokenId, owner }, ctx) => {
  const revoked = await revokeLiveToken(ctx.gatehouse.db, tokenId, ownerFilter(owner));
  if (!revoked) return actionError(404, "That token was already revoked, has expired, or no longer exists.");
  await ctx.audit({
    kind: "admin.token.revoked",
    userId: revoked.userId,
    clientId: revoked.clientId,
    details: { tokenId: revoked.tokenId, tokenKind: revoked.kind, extent: revoked.extent, revokedTokens: revoked.revokedTokens },
  });
  return actionOk({ extent: revoked.extent, revokedTokens: revoked.revokedTokens });
});
