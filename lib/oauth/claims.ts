// User claims and their destinations. A scope lists the claims it releases
// (they go to the ID token and userinfo) and, of those, the ones that also go
// into access tokens — the "destinations" of the OpenIddict tutorial.
import type { ScopeRecord, UserRecord } from "./ports";

/** The value of a standard claim (OIDC Core §5.1) for a user, or undefined. */
export function userClaimValue(user: UserRecord, claim: string): unknown {
  switch (claim) {
    case "sub":
      return user.id;
    case "name":
      return user.name || undefined;
    case "preferred_username":
      return user.username;
    case "email":
      return user.email ?? undefined;
    case "email_verified":
      return user.email ? user.emailVerified : undefined;
    case "updated_at":
      return Math.floor(user.updatedAt.getTime() / 1000);
    default:
      return undefined;
  }
}

/** Claims destined for the access token by the granted scopes. */
export function accessTokenClaimsFor(user: UserRecord, grantedScopes: ScopeRecord[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  for (const scope of grantedScopes) {
    for (const claim of scope.accessTokenClaims) {
      if (!scope.claims.includes(claim) || claim === "sub") continue;
      const value = userClaimValue(user, claim);
      if (value !== undefined) claims[claim] = value;
    }
  }
  return claims;
}
