// The portal's roles. lib/db keeps its own copy of ADMIN_ROLE (it does not
// import lib/auth); tests/unit/userAdmin.test.ts keeps the two equal.
import type { ActivePortalSession } from "./ports";

export const ADMIN_ROLE = "admin";

export function isAdmin(session: Pick<ActivePortalSession, "roles"> | null): boolean {
  return session !== null && session.roles.includes(ADMIN_ROLE);
}
