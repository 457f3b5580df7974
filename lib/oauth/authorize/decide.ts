// What a valid authorization request needs next, decided without I/O from
// what the endpoint loaded: the sign-in (OIDC Core §3.1.2.3), the consent
// (§3.1.2.4) or the code (RFC 6749 §4.1.2), or a refusal back to the client.
// The endpoint (lib/oauth/authorize.ts) carries the decision out.
import { OAuthError, type OAuthErrorCode } from "../errors";
import type { AuthorizationRecord, ConsentType, EndUserSession, StoredInteraction, ValidatedAuthorizationRequest } from "../ports";

/**
 * An interaction the browser came back with: a row (consent), or a sealed
 * request (`sealed` is the value from the URL; never stored, userId and consent empty).
 */
export type ResumedInteraction = StoredInteraction & { sealed?: string };

export interface AuthorizationFacts {
  consentType: ConsentType;
  request: ValidatedAuthorizationRequest;
  /** The browser's session when its user is still enabled; null: nobody usable is signed in. */
  session: EndUserSession | null;
  /** The interaction the browser came back with; null for a request just made. */
  interaction: ResumedInteraction | null;
  /** The session user's remembered consent for this client (null: none, or no session). */
  remembered: AuthorizationRecord | null;
  /** Epoch milliseconds. */
  now: number;
}

export type AuthorizationDecision =
  /** The user signs in (again) first: the login page. */
  | { kind: "login" }
  /** The signed-in user is asked on the consent page. */
  | { kind: "consent" }
  /** The code, for `scopes`, under a consent on record, one to remember (implicit consent), or one for this flow only. */
  | { kind: "issue"; scopes: string[]; authorization: AuthorizationRecord | "remember" | "ad-hoc" }
  /** A refusal back to the client (RFC 6749 §4.1.2.1); `endsInteraction`: the interaction is used up by it. */
  | { kind: "error"; error: OAuthError; endsInteraction: boolean };

const LOGIN: AuthorizationDecision = { kind: "login" };
const CONSENT: AuthorizationDecision = { kind: "consent" };

function refuse(code: OAuthErrorCode, description: string, endsInteraction = false): AuthorizationDecision {
  return { kind: "error", error: new OAuthError(code, description), endsInteraction };
}

/**
 * Whether the session satisfies prompt=login and max_age (OIDC Core §3.1.2.1)
 * for a request first seen at `since` (epoch ms; null for a request just made).
 */
export function isFreshEnough(session: EndUserSession, request: ValidatedAuthorizationRequest, since: number | null, now: number): boolean {
  const authTime = session.authTime.getTime();
  // A sign-in made after the request arrived is the one prompt=login / max_age asked for
  // (without this, max_age=0 would send the user back to the login page forever).
  if (since !== null && authTime >= since) return true;
  if (request.maxAge !== null && now - authTime > request.maxAge * 1000) return false;
  return !request.prompt.includes("login");
}

/** With an id_token_hint, the signed-in user must be the one it names (OIDC Core §3.1.2.1). */
export function isExpectedUser(session: EndUserSession, request: ValidatedAuthorizationRequest): boolean {
  return request.expectedSubject === undefined || session.userId === request.expectedSubject;
}

/** Whether a consent on record covers every one of `scopes` (OIDC Core §3.1.2.4). */
export function consentCovers(authorization: AuthorizationRecord | null, scopes: readonly string[]): authorization is AuthorizationRecord {
  return authorization !== null && scopes.every((scope) => authorization.scopes.includes(scope));
}

/**
 * The consent on record that lets the code be issued without asking, by the
 * client's consent type (OpenIddict's): null when the user must be asked.
 */
function consentWithoutAsking(facts: AuthorizationFacts, covering: AuthorizationRecord | null): AuthorizationRecord | "remember" | null {
  switch (facts.consentType) {
    case "implicit": // the client's policy consents, and that is remembered like a user's decision
      return covering ?? "remember";
    case "external": // only an administrator's authorization counts (checked by the caller)
      return covering;
    case "explicit": // the user's remembered consent, unless prompt=consent asks again (OIDC Core §3.1.2.1)
      return covering && !facts.request.prompt.includes("consent") ? covering : null;
    case "systematic": // the user is asked every time
      return null;
  }
}

export function decideAuthorization(facts: AuthorizationFacts): AuthorizationDecision {
  const { request, session, interaction } = facts;
  const promptNone = request.prompt.includes("none");
  // prompt=none: never a page; login_required / consent_required instead (OIDC Core §3.1.2.6).
  if (!session || !isFreshEnough(session, request, interaction ? interaction.createdAt.getTime() : null, facts.now)) {
    return promptNone ? refuse("login_required", "The user is not signed in (prompt=none).") : LOGIN;
  }
  if (!isExpectedUser(session, request)) {
    // Someone else signed in gets the chance to sign in as the expected user; if this request's
    // own sign-in is still someone else, the app is told.
    const signedInForThisRequest = interaction !== null && session.authTime.getTime() >= interaction.createdAt.getTime();
    return promptNone || signedInForThisRequest
      ? refuse("login_required", "The signed-in user is not the user the id_token_hint names.")
      : LOGIN;
  }

  // A consent decision made on the consent page for this very user.
  if (interaction && interaction.userId === session.userId && interaction.consent) {
    if (interaction.consent === "denied") return refuse("access_denied", "The user denied the request.", true);
    const scopes = request.scopes.filter((scope) => interaction.grantedScopes.includes(scope));
    const remembered = facts.consentType === "explicit" && consentCovers(facts.remembered, scopes) ? facts.remembered : null;
    return { kind: "issue", scopes, authorization: remembered ?? "ad-hoc" };
  }

  const covering = consentCovers(facts.remembered, request.scopes) ? facts.remembered : null;
  if (facts.consentType === "external" && !covering) {
    return refuse("consent_required", "An administrator has not approved this application for this user.");
  }
  const authorization = consentWithoutAsking(facts, covering);
  if (!authorization) {
    return promptNone ? refuse("consent_required", "The user has not consented to this request (prompt=none).") : CONSENT;
  }
  return { kind: "issue", scopes: request.scopes, authorization };
}
