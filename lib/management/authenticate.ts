// Who is calling the management API: a bearer access token (RFC 6750 §2.1)
// that this server issued, checked by lib/oauth/bearer.ts (signature, typ,
// issuer, expiry, its row: not revoked, client enabled), then held to what the
// API needs: its audience is the API (RFC 8707 §2, RFC 9068 §4), it carries
// gatehouse:admin, and its client is still marked for the API (an admin who
// unmarks a client cuts off its live tokens too). Refusals follow RFC 6750 §3:
// 401 with a Bearer challenge (no error code when no token was sent at all),
// 403 insufficient_scope.
import { validateAccessToken, type BearerDeps } from "../oauth/bearer";
import { MANAGEMENT_SCOPE, managementAudience } from "../oauth/managementScope";
import type { ClientStore } from "../oauth/ports";
import { bearerChallenge } from "../oauth/userinfo";
import type { OAuthErrorCode } from "../oauth/errors";
import { problem, ProblemError } from "./problems";

export interface CallerDeps extends BearerDeps {
  clients: ClientStore;
}

/** The client calling the API, as the audit log names it. */
export interface Caller {
  clientId: string;
  /** The token's jti (for the audit details: which token did it). */
  jti: string;
}

/** b64token (RFC 6750 §2.1) after "Bearer" and one or more spaces. */
const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function refused(status: 401 | 403 | 400, code: OAuthErrorCode | null, detail: string, scope?: string): ProblemError {
  const challenge = code ? bearerChallenge({ code, description: detail, scope }) : bearerChallenge();
  return new ProblemError(problem(status, detail), { "WWW-Authenticate": challenge });
}

/** The token in the Authorization header; RFC 6750 §2.1 only (never the query or a body: this API reads JSON). */
function presentedToken(request: Request): string {
  const header = request.headers.get("authorization");
  if (header === null) {
    throw refused(401, null, `This API needs an access token with the scope ${MANAGEMENT_SCOPE}: send Authorization: Bearer <token>.`);
  }
  const match = BEARER_HEADER.exec(header);
  if (!match) {
    if (!/^Bearer(\s|$)/i.test(header)) {
      throw refused(401, null, "This API accepts only the Bearer scheme in the Authorization header (RFC 6750 §2.1).");
    }
    throw refused(400, "invalid_request", "The Authorization header is not a valid Bearer credential: send 'Bearer ' followed by the access token.");
  }
  return match[1]!;
}

/** Checks the request's token; the caller, or a ProblemError carrying the RFC 6750 refusal. */
export async function authenticateCaller(deps: CallerDeps, request: Request): Promise<Caller> {
  const check = await validateAccessToken(deps, presentedToken(request));
  if (!check.active) throw refused(401, "invalid_token", check.description);
  const { token } = check;
  const audience = managementAudience(deps.config);
  if (!token.audiences.includes(audience)) {
    throw refused(401, "invalid_token", `The access token is not meant for this API: its audience must be ${audience}.`);
  }
  if (!token.scopes.includes(MANAGEMENT_SCOPE)) {
    throw refused(403, "insufficient_scope", `The access token lacks the scope ${MANAGEMENT_SCOPE}.`, MANAGEMENT_SCOPE);
  }
  const client = await deps.clients.findClientByClientId(token.clientId);
  if (!client?.managementApi) {
    throw refused(401, "invalid_token", `The client '${token.clientId}' is no longer allowed to use the management API.`);
  }
  return { clientId: token.clientId, jti: token.jti };
}
