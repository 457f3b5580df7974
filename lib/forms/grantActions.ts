// Inputs of the revoke / sign-out buttons on /account and the dashboard's
// grants pages. The ids come from the page, so they are as untrusted as any
// form field: each action re-checks ownership on the server.
import { z } from "zod";

const id = (what: string) => z.uuid(`That is not a valid ${what} id.`);

/** /account: withdraw consent to one app (one of your own authorizations). */
export const withdrawConsentInput = z.object({ authorizationId: id("authorization") });

/** /account: end one of your own sessions. */
export const endSessionInput = z.object({ sessionId: id("session") });

/**
 * Dashboard: revoke an authorization or a token, as listed on the grants page
 * of one user or one client (the owner). The owner is checked with the id, so a
 * stale page can never revoke something listed elsewhere.
 */
export const grantOwnerInput = z.discriminatedUnion("ownerType", [
  z.object({ ownerType: z.literal("user"), ownerId: id("user") }),
  z.object({ ownerType: z.literal("client"), ownerId: id("client") }),
]);

export const revokeAuthorizationInput = z.object({ authorizationId: id("authorization"), owner: grantOwnerInput });
export const revokeTokenInput = z.object({ tokenId: id("token"), owner: grantOwnerInput });

export type GrantOwner = z.output<typeof grantOwnerInput>;
