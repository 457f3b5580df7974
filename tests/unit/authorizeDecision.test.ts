// The authorization endpoint's decision (lib/oauth/authorize/decide.ts), pure:
// what a valid request needs next from the session, the interaction and the
// consent on record. The endpoint carrying it out: authorize.test.ts.
import { describe, expect, it } from "vitest";
import {
  consentCovers,
  decideAuthorization,
  isExpectedUser,
  isFreshEnough,
  type AuthorizationFacts,
  type ResumedInteraction,
} from "@/lib/oauth/authorize/decide";
import type { AuthorizationRecord, ConsentType, EndUserSession, ValidatedAuthorizationRequest } from "@/lib/oauth/ports";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const USER = "user-1";

const request = (overrides: Partial<ValidatedAuthorizationRequest> = {}): ValidatedAuthorizationRequest => ({
  clientId: "app",
  redirectUri: "https://app.example.test/cb",
  redirectUriProvided: true,
  scopes: ["openid", "profile"],
  state: "s",
  nonce: null,
  codeChallenge: "c".repeat(43),
  codeChallengeMethod: "S256",
  prompt: [],
  maxAge: null,
  loginHint: null,
  ...overrides,
});

const session = (signedInMinutesAgo = 5, userId = USER): EndUserSession => ({
  sessionId: "session-1",
  userId,
  authTime: new Date(NOW - signedInMinutesAgo * MINUTE),
  amr: ["pwd"],
});

const remembered = (scopes: string[] = ["openid", "profile"]): AuthorizationRecord => ({ id: "authz-1", applicationId: "app-1", userId: USER, scopes, type: "permanent" });

const interaction = (overrides: Partial<ResumedInteraction> = {}): ResumedInteraction => ({
  id: "i".repeat(43),
  applicationId: "app-1",
  request: request(),
  userId: null,
  consent: null,
  grantedScopes: [],
  createdAt: new Date(NOW - 2 * MINUTE),
  expiresAt: new Date(NOW + 28 * MINUTE),
  ...overrides,
});

function facts(overrides: Partial<AuthorizationFacts> = {}): AuthorizationFacts {
  return { consentType: "explicit", request: request(), session: session(), interaction: null, remembered: remembered(), now: NOW, ...overrides };
}

const errorOf = (decision: ReturnType<typeof decideAuthorization>) =>
  decision.kind === "error" ? { code: decision.error.code, endsInteraction: decision.endsInteraction } : decision;

describe("signing in (OIDC Core §3.1.2.1, §3.1.2.3)", () => {
  it("nobody signed in: the login page; with prompt=none, login_required", () => {
    expect(decideAuthorization(facts({ session: null }))).toEqual({ kind: "login" });
    expect(errorOf(decideAuthorization(facts({ session: null, request: request({ prompt: ["none"] }) })))).toEqual({ code: "login_required", endsInteraction: false });
  });

  it("prompt=login asks again, unless the sign-in happened after the request arrived", () => {
    const loginAgain = request({ prompt: ["login"] });
    expect(decideAuthorization(facts({ request: loginAgain })).kind).toBe("login");
    const since = interaction({ request: loginAgain, createdAt: new Date(NOW - 10 * MINUTE) });
    expect(decideAuthorization(facts({ request: loginAgain, interaction: since, session: session(5) })).kind).toBe("issue");
  });

  it("max_age: older sign-ins go to the login page; max_age=0 is satisfied by the sign-in it asked for", () => {
    expect(decideAuthorization(facts({ request: request({ maxAge: 60 }), session: session(2) })).kind).toBe("login");
    expect(decideAuthorization(facts({ request: request({ maxAge: 600 }), session: session(2) })).kind).toBe("issue");
    const zero = request({ maxAge: 0 });
    expect(decideAuthorization(facts({ request: zero, session: session(1) })).kind).toBe("login");
    expect(decideAuthorization(facts({ request: zero, session: session(1), interaction: interaction({ request: zero }) })).kind).toBe("issue");
  });

  it("isFreshEnough counts a sign-in at the very millisecond the request arrived", () => {
    const since = NOW - MINUTE;
    expect(isFreshEnough({ ...session(), authTime: new Date(since) }, request({ prompt: ["login"] }), since, NOW)).toBe(true);
    expect(isFreshEnough({ ...session(), authTime: new Date(since - 1) }, request({ prompt: ["login"] }), since, NOW)).toBe(false);
  });

  it("id_token_hint naming someone else: the login page, or login_required with prompt=none or once this request's own sign-in is still someone else", () => {
    const hinted = request({ expectedSubject: "user-2" });
    expect(isExpectedUser(session(), hinted)).toBe(false);
    expect(isExpectedUser(session(5, "user-2"), hinted)).toBe(true);
    expect(isExpectedUser(session(), request())).toBe(true);
    expect(decideAuthorization(facts({ request: hinted })).kind).toBe("login");
    expect(errorOf(decideAuthorization(facts({ request: { ...hinted, prompt: ["none"] } })))).toMatchObject({ code: "login_required" });
    const signedInForIt = interaction({ request: hinted, createdAt: new Date(NOW - 10 * MINUTE) });
    expect(errorOf(decideAuthorization(facts({ request: hinted, interaction: signedInForIt })))).toMatchObject({ code: "login_required" });
    const signedInBefore = interaction({ request: hinted, createdAt: new Date(NOW - MINUTE) });
    expect(decideAuthorization(facts({ request: hinted, interaction: signedInBefore })).kind).toBe("login");
  });
});

describe("consent by consent type (OIDC Core §3.1.2.4)", () => {
  const decide = (consentType: ConsentType, overrides: Partial<AuthorizationFacts> = {}) => decideAuthorization(facts({ consentType, ...overrides }));

  it("explicit: a covering consent issues under it; none, a partial one or prompt=consent asks", () => {
    expect(decide("explicit")).toEqual({ kind: "issue", scopes: ["openid", "profile"], authorization: remembered() });
    expect(decide("explicit", { remembered: null })).toEqual({ kind: "consent" });
    expect(decide("explicit", { remembered: remembered(["openid"]) })).toEqual({ kind: "consent" });
    expect(decide("explicit", { request: request({ prompt: ["consent"] }) })).toEqual({ kind: "consent" });
  });

  it("prompt=none never shows the consent page: consent_required", () => {
    expect(errorOf(decide("explicit", { remembered: null, request: request({ prompt: ["none"] }) }))).toEqual({ code: "consent_required", endsInteraction: false });
    expect(errorOf(decide("systematic", { request: request({ prompt: ["none"] }) }))).toMatchObject({ code: "consent_required" });
  });

  it("implicit: issues under the covering consent, or one to remember", () => {
    expect(decide("implicit")).toMatchObject({ kind: "issue", authorization: remembered() });
    expect(decide("implicit", { remembered: null })).toEqual({ kind: "issue", scopes: ["openid", "profile"], authorization: "remember" });
  });

  it("external: only an administrator's authorization counts, even without prompt=none", () => {
    expect(decide("external")).toMatchObject({ kind: "issue", authorization: remembered() });
    expect(errorOf(decide("external", { remembered: null }))).toEqual({ code: "consent_required", endsInteraction: false });
  });

  it("systematic: the consent page every time", () => {
    expect(decide("systematic")).toEqual({ kind: "consent" });
  });

  it("consentCovers: every scope, and an empty request is covered by any consent", () => {
    expect(consentCovers(remembered(["a", "b"]), ["b", "a"])).toBe(true);
    expect(consentCovers(remembered(["a"]), ["a", "b"])).toBe(false);
    expect(consentCovers(remembered([]), [])).toBe(true);
    expect(consentCovers(null, [])).toBe(false);
  });
});

describe("the consent page's decision", () => {
  const decided = (consent: "granted" | "denied", grantedScopes: string[], userId = USER) =>
    interaction({ userId, consent, grantedScopes, createdAt: new Date(NOW - 10 * MINUTE) });

  it("denied: access_denied, and the interaction is used up", () => {
    expect(errorOf(decideAuthorization(facts({ interaction: decided("denied", []) })))).toEqual({ code: "access_denied", endsInteraction: true });
  });

  it("granted: the code for the granted scopes only, in request order", () => {
    const decision = decideAuthorization(facts({ consentType: "systematic", interaction: decided("granted", ["profile", "openid"]), request: request({ scopes: ["openid", "email", "profile"] }) }));
    expect(decision).toEqual({ kind: "issue", scopes: ["openid", "profile"], authorization: "ad-hoc" });
  });

  it("explicit: under the consent the page remembered when it covers the granted scopes, else for this flow only", () => {
    expect(decideAuthorization(facts({ interaction: decided("granted", ["openid"]), remembered: remembered(["openid"]) }))).toMatchObject({ authorization: remembered(["openid"]) });
    expect(decideAuthorization(facts({ interaction: decided("granted", ["openid", "profile"]), remembered: remembered(["openid"]) }))).toMatchObject({ authorization: "ad-hoc" });
  });

  it("another user's decision is not this user's: asked again", () => {
    expect(decideAuthorization(facts({ remembered: null, interaction: decided("granted", ["openid"], "user-2") }))).toEqual({ kind: "consent" });
  });
});
