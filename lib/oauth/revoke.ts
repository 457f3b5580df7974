// POST /connect/revoke (RFC 7009): a client revokes one of its own tokens.
// Unknown, invalid, expired or another client's tokens get the same 200 as a
// successful revocation (§2.2), so the endpoint cannot be used to probe tokens.
// What a client does revoke is recorded as token.revoked.
import { AuditKinds, requestAddress, type AuditDeps } from "./audit";
import { looksLikeJwt, validateAccessToken, type BearerDeps } from "./bearer";
import { authenticateClient } from "./clientAuthentication";
import type { ClientLimitDeps } from "./clientRateLimit";
import { withClientCors, type CorsDeps, type CorsIdentity } from "./cors";
import { OAuthError, noStoreHeaders, withOAuthErrors } from "./errors";
import { readFormBody, requireMethod } from "./http";
import { Permissions, hasPermission } from "./permissions";
import type { ClientRecord, ClientStore, StoredTokenState, TokenRevocationStore } from "./ports";
import { hashOpaqueValue } from "./secrets";

export interface RevocationDeps extends BearerDeps, AuditDeps, ClientLimitDeps, CorsDeps {
  clients: ClientStore;
  revocations: TokenRevocationStore;
}

/**
 * What goes with a revoked token, by kind (RFC 7009 §2.1). An access token
 * goes alone. A refresh token takes its whole grant along: every access token
 * issued from it stops working too. Kinds not listed cannot be revoked here.
 */
export const REVOCATION_SCOPE: Readonly<Record<string, "token" | "grant">> = {
  access_token: "token",
  refresh_token: "grant",
};


/** The caller's token behind `value` (with its jti when it is an access token); null when there is none to act on. */
async function findOwnToken(
  deps: RevocationDeps,
  caller: ClientRecord,
  value: string,
): Promise<{ record: StoredTokenState; jti: string | null } | null> {
  let found: { record: StoredTokenState; jti: string | null } | null;
  if (looksLikeJwt(value)) {
    // Our access tokens are JWTs: by jti, once the signature says we issued it. An expired or
    // already revoked one needs nothing more.
    const check = await validateAccessToken(deps, value);
    found = check.active ? { record: check.token.record, jti: check.token.jti } : null;
  } else {
    // Opaque values (refresh tokens; authorization codes) are stored as hashes.
    const record = await deps.tokens.findTokenByValueHash(hashOpaqueValue(value));
    found = record ? { record, jti: null } : null;
  }
  // Another client's token is left alone, and the answer is the same as for an unknown one.
  return found && found.record.applicationId === caller.id ? found : null;
}

export interface Revocation {
  token: StoredTokenState;
  /** The access token's jti (what token.issued recorded); null for opaque tokens. */
  jti: string | null;
  scope: "token" | "grant";
  /** Rows newly revoked (0 when they already were). */
  revoked: number;
}

/** Revokes the caller's token behind `value`; null when there was none of the caller's to act on. */
export async function revokeToken(deps: RevocationDeps, caller: ClientRecord, value: string): Promise<Revocation | null> {
  const found = await findOwnToken(deps, caller, value);
  if (!found) return null;
  const { record, jti } = found;
  const scope = Object.hasOwn(REVOCATION_SCOPE, record.kind) ? REVOCATION_SCOPE[record.kind] : undefined;
  if (!scope) {
    throw new OAuthError(
      "unsupported_token_type",
      `A ${record.kind.replace(/_/g, " ")} cannot be revoked; only access tokens and refresh tokens can (RFC 7009 §2.2.1).`,
    );
  }
  if (scope === "grant" && record.grantId) {
    return { token: record, jti, scope, revoked: await deps.revocations.revokeGrant(record.grantId) };
  }
  return { token: record, jti, scope: "token", revoked: (await deps.revocations.revokeToken(record.id)) ? 1 : 0 };
}

export function createRevocationEndpoint(deps: RevocationDeps): (request: Request) => Promise<Response> {
  async function revoke(request: Request, identity: CorsIdentity): Promise<Response> {
    requireMethod(request, ["POST"]);
    const form = await readFormBody(request);
    // Public clients authenticate with client_id alone and may revoke their own tokens.
    const { client } = await authenticateClient(request.headers, form, deps.clients, {
      limiter: deps.limiter,
      address: requestAddress(deps, request),
    });
    identity.client = client;
    if (!hasPermission(client, Permissions.endpoint.revocation)) {
      throw new OAuthError(
        "unauthorized_client",
        `The client '${client.clientId}' is not permitted to use the revocation endpoint; an administrator can grant it the permission.`,
      );
    }
    const token = form.require("token", "Send the token to revoke in the 'token' parameter (RFC 7009 §2.1).");
    // token_type_hint is only a hint (RFC 7009 §2.1): unknown values are ignored and the same search runs.
    const revocation = await revokeToken(deps, client, token);
    if (revocation && revocation.revoked > 0) {
      const stored = revocation.token;
      await deps.audit.record({
        kind: AuditKinds.tokenRevoked,
        clientId: client.clientId,
        // A client's own tokens (client_credentials) have its client_id as subject: no user involved.
        userId: stored.subject === client.clientId ? null : stored.subject,
        ip: requestAddress(deps, request),
        details: {
          token: stored.kind,
          scope: revocation.scope,
          revoked: revocation.revoked,
          ...(revocation.jti ? { jti: revocation.jti } : {}),
          ...(stored.grantId ? { grant_id: stored.grantId } : {}),
        },
      });
    }
    return new Response(null, { status: 200, headers: { ...noStoreHeaders } });
  }
  return withClientCors(withOAuthErrors(revoke), deps, { methods: ["POST"], exposeHeaders: ["Retry-After", "WWW-Authenticate"] });
}
