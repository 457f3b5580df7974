// Scope parsing and the permission checks every grant shares (RFC 6749 §3.3).
import { OAuthError } from "./errors";
import { MANAGEMENT_SCOPE } from "./managementScope";
import { Permissions, hasPermission } from "./permissions";
import type { ClientRecord, ScopeRecord, ScopeStore } from "./ports";

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export const StandardScopes = {
  openid: "openid",
  offlineAccess: "offline_access",
} as const;

/** Splits a scope parameter into distinct scope tokens, in request order. */
export function parseScopeParameter(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const names = scope.split(" ").filter((part) => part !== "");
  for (const name of names) {
    if (!SCOPE_TOKEN.test(name)) {
      throw new OAuthError(
        "invalid_scope",
        "The scope parameter contains characters that scope values may not use (RFC 6749 §3.3); separate scopes with single spaces.",
      );
    }
  }
  return [...new Set(names)];
}

export interface ResolvedScopes {
  names: string[];
  records: ScopeRecord[];
  /** Union of the scopes' resources, in order. */
  audiences: string[];
}

/**
 * Checks that every requested scope exists and that the client holds its
 * permission; openid needs no scp: permission (as in OpenIddict).
 */
export async function resolveClientScopes(
  client: ClientRecord,
  requested: string[],
  scopes: ScopeStore,
): Promise<ResolvedScopes> {
  if (requested.length === 0) return { names: [], records: [], audiences: [] };
  return checkClientScopes(client, requested, await scopes.findScopesByNames(requested));
}

/**
 * resolveClientScopes with the requested scopes' records already read
 * (`records`, in any order): invalid_scope for a scope that does not exist or
 * that the client holds no permission for (RFC 6749 §3.3, §4.1.2.1).
 */
export function checkClientScopes(client: ClientRecord, requested: string[], records: ScopeRecord[]): ResolvedScopes {
  if (requested.includes(MANAGEMENT_SCOPE)) {
    // Only the client_credentials grant hands it out (lib/oauth/managementScope.ts): never a user's
    // authorization, whatever a scopes row or a client's permissions say.
    throw new OAuthError("invalid_scope", `The scope ${MANAGEMENT_SCOPE} can only be obtained with the client_credentials grant.`);
  }
  const byName = new Map(records.map((record) => [record.name, record]));
  const unknown = requested.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new OAuthError("invalid_scope", `Unknown scope: ${unknown.join(", ")}.`);
  }
  const forbidden = requested.filter(
    (name) => name !== StandardScopes.openid && !hasPermission(client, Permissions.scope(name)),
  );
  if (forbidden.length > 0) {
    throw new OAuthError(
      "invalid_scope",
      `The client '${client.clientId}' is not permitted to request the scope${forbidden.length > 1 ? "s" : ""} ${forbidden.join(", ")}; an administrator can grant it the permission.`,
    );
  }
  const audiences: string[] = [];
  for (const name of requested) {
    for (const resource of byName.get(name)!.resources) if (!audiences.includes(resource)) audiences.push(resource);
  }
  return { names: requested, records: requested.map((name) => byName.get(name)!), audiences };
}
