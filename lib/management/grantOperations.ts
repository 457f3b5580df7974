// Revoking an authorization or a token of one user or one client (the owner),
// shared by the dashboard's grants pages and the management API. The owner is
// matched in SQL with the id, so a caller can only act on what that owner holds.
import { revokeAuthorization, revokeLiveToken, type GrantOwnerFilter } from "../db/grants";
import { actionError, actionOk, type ActionResult } from "../forms/actionResult";
import type { GrantOwner } from "../forms/grantActions";
import type { OperationContext } from "./context";

export function ownerFilter(owner: GrantOwner): GrantOwnerFilter {
  return owner.ownerType === "user" ? { userId: owner.ownerId } : { applicationId: owner.ownerId };
}

export async function revokeAuthorizationOperation(
  context: OperationContext,
  { authorizationId, owner }: { authorizationId: string; owner: GrantOwner },
): Promise<ActionResult<{ revokedTokens: number }>> {
  const revoked = await revokeAuthorization(context.db, authorizationId, ownerFilter(owner));
  if (!revoked) return actionError(404, "That authorization was already revoked or no longer exists.");
  await context.audit({
    kind: "admin.authorization.revoked",
    userId: revoked.userId,
    clientId: revoked.clientId,
    details: { authorizationId: revoked.authorizationId, revokedTokens: revoked.revokedTokens },
  });
  return actionOk({ revokedTokens: revoked.revokedTokens });
}

export async function revokeTokenOperation(
  context: OperationContext,
  { tokenId, owner }: { tokenId: string; owner: GrantOwner },
): Promise<ActionResult<{ extent: "token" | "grant"; revokedTokens: number }>> {
  const revoked = await revokeLiveToken(context.db, tokenId, ownerFilter(owner));
  if (!revoked) return actionError(404, "That token was already revoked, has expired, or no longer exists.");
  await context.audit({
    kind: "admin.token.revoked",
    userId: revoked.userId,
    clientId: revoked.clientId,
    details: { tokenId: revoked.tokenId, tokenKind: revoked.kind, extent: revoked.extent, revokedTokens: revoked.revokedTokens },
  });
  return actionOk({ extent: revoked.extent, revokedTokens: revoked.revokedTokens });
}
