// GET/POST /connect/userinfo (OIDC Core §5.3) as an RFC 6750 protected
// resource: the access token comes in the Authorization header, or as
// access_token in a form body (never in the URL); the answer is the user's
// claims that the token's scopes release.
import { validateAccessToken, type BearerDeps } from "./bearer";
import { userClaimValue } from "./claims";
import { OAuthError, sanitizeErrorDescription, withOAuthErrors, noStoreHeaders, type OAuthErrorCode } from "./errors";
import { withClientCors, type CorsDeps, type CorsIdentity } from "./cors";
import { jsonResponse, readFormBody, requireMethod } from "./http";
import type { ScopeStore, UserStore } from "./ports";
import { StandardScopes } from "./scopes";

export interface UserinfoDeps extends BearerDeps, CorsDeps {
  scopes: ScopeStore;
  users: UserStore;
}

export const BEARER_REALM = "gatehouse";

/** RFC 6750 §3: the challenge; with no error attribute when no credentials were sent (§3.1). */
export function bearerChallenge(error?: { code: OAuthErrorCode; description: string; scope?: string }): string {
  let challenge = `Bearer realm="${BEARER_REALM}"`;
  if (error) {
    challenge += `, error="${error.code}", error_description="${sanitizeErrorDescription(error.description)}"`;
    if (error.scope) challenge += `, scope="${error.scope}"`;
  }
  return challenge;
}

function bearerError(code: OAuthErrorCode, description: string, options: { scope?: string; status?: number } = {}): OAuthError {
  return new OAuthError(code, description, {
    status: options.status,
    headers: { "WWW-Authenticate": bearerChallenge({ code, description, scope: options.scope }) },
  });
}

/** b64token (RFC 6750 §2.1) after "Bearer" and one or more spaces. */
const BEARER_HEADER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The presented access token, or null when none was sent. Throws invalid_request for a malformed or doubled one. */
async function readAccessToken(request: Request): Promise<string | null> {
  if (new URL(request.url).searchParams.has("access_token")) {
    throw bearerError(
      "invalid_request",
      "The access token must not be sent in the URL query (it would end up in logs and histories); use the Authorization header (Bearer) or a form body.",
    );
  }
  const header = request.headers.get("authorization");
  let fromHeader: string | null = null;
  if (header !== null) {
    const match = BEARER_HEADER.exec(header);
    if (!match) {
      throw bearerError(
        "invalid_request",
        /^Bearer(\s|$)/i.test(header)
          ? "The Authorization header is not a valid Bearer credential: send 'Bearer ' followed by the access token (RFC 6750 §2.1)."
          : "The userinfo endpoint accepts only the Bearer scheme in the Authorization header (RFC 6750 §2.1).",
      );
    }
    fromHeader = match[1]!;
  }

  let fromBody: string | undefined;
  if (request.method === "POST") {
    const mediaType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType === "application/x-www-form-urlencoded") {
      fromBody = (await readFormBody(request)).get("access_token");
    } else if (fromHeader === null && mediaType !== "") {
      throw bearerError(
        "invalid_request",
        `Send the access token in the Authorization header, or as access_token in an application/x-www-form-urlencoded body (not ${mediaType}).`,
      );
    }
  }
  if (fromHeader !== null && fromBody !== undefined) {
    throw bearerError(
      "invalid_request",
      "The access token was sent twice (Authorization header and form body); use exactly one method (RFC 6750 §2).",
    );
  }
  return fromHeader ?? fromBody ?? null;
}

export function createUserinfoEndpoint(deps: UserinfoDeps): (request: Request) => Promise<Response> {
  const endpoint = withOAuthErrors(async (request: Request, identity: CorsIdentity) => {
    requireMethod(request, ["GET", "POST"]);
    let presented: string | null;
    try {
      presented = await readAccessToken(request);
    } catch (error) {
      // readFormBody's refusals (repeated parameters, size) are bearer request errors too.
      if (error instanceof OAuthError && !error.headers["WWW-Authenticate"]) {
        throw bearerError(error.code, error.description, { status: error.status });
      }
      throw error;
    }
    if (presented === null) {
      // RFC 6750 §3.1: no credentials, so no error attribute and no error body.
      return new Response(null, {
        status: 401,
        headers: { ...noStoreHeaders, "WWW-Authenticate": bearerChallenge() },
      });
    }

    const check = await validateAccessToken(deps, presented);
    if (!check.active) throw bearerError("invalid_token", check.description);
    const { token } = check;
    // CORS: the origins of the client the token was issued to (read with the token's row).
    identity.client = { redirectUris: token.record.clientRedirectUris ?? [] };
    if (token.subjectType === "client") {
      throw bearerError(
        "invalid_token",
        `This access token was issued to the client '${token.clientId}' for itself (client_credentials); userinfo needs a token issued on behalf of a user.`,
      );
    }
    if (!token.scopes.includes(StandardScopes.openid)) {
      throw bearerError(
        "insufficient_scope",
        "The access token was not granted the openid scope; include openid in the authorization request to use userinfo.",
        { scope: StandardScopes.openid },
      );
    }

    const [user, scopeRecords] = await Promise.all([
      token.record.subjectUser !== undefined ? token.record.subjectUser : deps.users.findUserById(token.subject),
      deps.scopes.findScopesByNames(token.scopes),
    ]);
    if (!user || !user.enabled) {
      throw bearerError("invalid_token", "The user this access token was issued for no longer exists or has been disabled.");
    }
    // sub is the token's own subject (the same as the ID token's); the scopes release the rest.
    const claims: Record<string, unknown> = { sub: token.subject };
    const byName = new Map(scopeRecords.map((record) => [record.name, record]));
    for (const name of token.scopes) {
      for (const claim of byName.get(name)?.claims ?? []) {
        if (claim === "sub" || claim in claims) continue;
        const value = userClaimValue(user, claim);
        if (value !== undefined) claims[claim] = value;
      }
    }
    return jsonResponse(claims, { noStore: true });
  });

  // Browser apps read userinfo from another origin, challenges included.
  return withClientCors(endpoint, deps, { methods: ["GET", "POST"], exposeHeaders: ["WWW-Authenticate"] });
}
