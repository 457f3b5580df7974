// GET/POST /connect/authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2, RFC 9700).
//
// The endpoint loads and carries out; what the request says and what happens
// next are decided by pure code: ./authorize/parseRequest.ts (the checks, one
// per rule in ./authorize/rules, in the order errors are reported) and
// ./authorize/decide.ts (login, consent, issue or error).
//
// While the client or redirect_uri is in doubt the user sees an error page and
// is never redirected; after that, errors travel back to the client with state
// and iss (RFC 9207). A request that needs sign-in travels sealed in the login
// page's URL (no storage for anonymous requests, decision 0010); one that
// needs consent is kept server-side as an interaction row. The login and
// consent pages send the browser back here with only the sealed value or the row's id.
import { AuditKinds, requestAddress, type AuditDeps } from "./audit";
import { endpointUrl, type OAuthServerConfig } from "./config";
import { accessTokenClaimsFor } from "./claims";
import { idTokenClaimsFor } from "./idTokens";
import { OAuthError, sanitizeErrorDescription } from "./errors";
import { pageSecurityHeaders } from "./errorPage";
import { readParameters, type FormParameters } from "./http";
import { verifyIdTokenHint } from "./idTokenHint";
import { SEALED_INTERACTION, type InteractionSealer } from "./sealedInteraction";
import type { KeyRing } from "./signingKeys";
import type {
  AuthorizationCodeStore,
  AuthorizationRecord,
  AuthorizationStore,
  ClientRecord,
  ClientStore,
  EndUserSession,
  InteractionStore,
  ScopeStore,
  SignedInReader,
  SignedInUser,
  UserRecord,
  ValidatedAuthorizationRequest,
} from "./ports";
import { StandardScopes, resolveClientScopes, type ResolvedScopes } from "./scopes";
import { hashOpaqueValue, randomTokenValue } from "./secrets";
import { decideAuthorization, type AuthorizationDecision, type AuthorizationFacts, type ResumedInteraction } from "./authorize/decide";
import {
  PageRefusal,
  applicationUnavailablePage,
  expiredInteractionPage,
  invalidRequestPage,
  serverErrorPage,
} from "./authorize/pages";
import {
  expectedSubjectOf,
  isClientIdSyntax,
  parseCodeRequest,
  readRedirectTarget,
  readRequestedScopes,
  requireClientId,
  requireEnabledClient,
  type RedirectTarget,
} from "./authorize/parseRequest";

export interface AuthorizeEndpointDeps extends AuditDeps {
  config: OAuthServerConfig;
  clients: ClientStore;
  scopes: ScopeStore;
  authorizations: AuthorizationStore;
  interactions: InteractionStore;
  /** Seals the request of a user who still has to sign in (decision 0010). */
  interactionSealer: InteractionSealer;
  codes: AuthorizationCodeStore;
  /** The request's signed-in user for a client, with their remembered consent. */
  readSignedIn: SignedInReader;
  /** Verifies id_token_hint against the keys we sign with. */
  keys: Pick<KeyRing, "verificationKey">;
  now?: () => number;
  log?: (error: unknown, request: Request) => void;
}

export const AUTHORIZATION_CODE_MAX_LIFETIME = 60;
export const INTERACTION_LIFETIME = 30 * 60;
export const PAGE_PATHS = { login: "/login", consent: "/consent" } as const;
const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The signed-in user as the decision needs them: nobody, or an enabled user with their remembered consent. */
type SignedIn = SignedInUser;

function factsFor(
  client: ClientRecord,
  request: ValidatedAuthorizationRequest,
  signedIn: SignedIn | null,
  interaction: ResumedInteraction | null,
  now: number,
): AuthorizationFacts {
  return {
    consentType: client.consentType,
    request,
    session: signedIn?.session ?? null,
    interaction,
    remembered: signedIn?.remembered ?? null,
    now,
  };
}

/** A redirect back to the client (RFC 6749 §4.1.2, RFC 9207 iss). */
function redirectToClient(redirectUri: string, params: Record<string, string | null | undefined>): Response {
  // Append to the registered URI as registered (RFC 6749 §3.1.2): its own query stays byte for byte.
  const added = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] != null)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
    .join("&");
  const hash = redirectUri.indexOf("#");
  const base = hash < 0 ? redirectUri : redirectUri.slice(0, hash);
  const location = base + (base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?") + added;
  return redirectTo(location);
}

function redirectTo(location: string): Response {
  return new Response(null, { status: 303, headers: { Location: location, ...pageSecurityHeaders } });
}

/** The user a consent, a consent decision or a code is for: decideAuthorization asks for these only with one signed in. */
function signedInUser(signedIn: SignedIn | null): SignedIn {
  if (!signedIn) throw new Error("No user is signed in for a decision that needs one.");
  return signedIn;
}

/** The target of a refusal inside a kept request: where that request's answers go. */
function targetOf(request: ValidatedAuthorizationRequest): Pick<RedirectTarget, "redirectUri" | "state"> {
  return { redirectUri: request.redirectUri, state: request.state };
}

export function createAuthorizeEndpoint(deps: AuthorizeEndpointDeps): (request: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const { config } = deps;

  function errorRedirect(target: Pick<RedirectTarget, "redirectUri" | "state">, error: OAuthError): Response {
    return redirectToClient(target.redirectUri, {
      error: error.code,
      // RFC 6749 §4.1.2.1: descriptions may quote the request, so keep them to the allowed characters.
      error_description: sanitizeErrorDescription(error.description),
      state: target.state,
      iss: config.issuer,
    });
  }

  function pageUrl(page: "login" | "consent", interactionId: string, loginHint: string | null): string {
    const url = new URL(endpointUrl(config, PAGE_PATHS[page]));
    url.searchParams.set("interaction", interactionId);
    if (loginHint) url.searchParams.set("login_hint", loginHint);
    return url.toString();
  }

  /** Decides what a valid request needs next, and carries it out; `interaction` is set when the browser comes back. */
  async function proceed(
    client: ClientRecord,
    request: ValidatedAuthorizationRequest,
    signedIn: SignedIn | null,
    interaction: ResumedInteraction | null,
    ip: string | null,
    resolvedScopes: ResolvedScopes | null,
  ): Promise<Response> {
    const decision = decideAuthorization(factsFor(client, request, signedIn, interaction, now()));
    if (decision.kind === "consent" && signedIn && interaction?.sealed !== undefined) {
      // The user is known now: the sealed request becomes a row, under the seal's id (so the seal is single-use).
      const { id, applicationId, createdAt, expiresAt } = interaction;
      if (await deps.interactions.createInteraction({ id, applicationId, request: interaction.request, createdAt, expiresAt, userId: signedIn.session.userId })) {
        return redirectTo(pageUrl("consent", id, null));
      }
      // The same seal again (a reload, a second tab): continue with its row, if it is still pending.
      const row = await deps.interactions.findInteraction(id);
      if (!row || row.applicationId !== client.id) return expiredInteractionPage();
      const rowDecision = decideAuthorization(factsFor(client, row.request, signedIn, row, now()));
      return carryOut(rowDecision, client, row.request, signedIn, row, ip, resolvedScopes);
    }
    return carryOut(decision, client, request, signedIn, interaction, ip, resolvedScopes);
  }

  async function carryOut(
    decision: AuthorizationDecision,
    client: ClientRecord,
    request: ValidatedAuthorizationRequest,
    signedIn: SignedIn | null,
    interaction: ResumedInteraction | null,
    ip: string | null,
    resolvedScopes: ResolvedScopes | null,
  ): Promise<Response> {
    switch (decision.kind) {
      case "login":
        // Back to the login page with the interaction the browser brought (sealed, or the row's id), or a new seal.
        return redirectTo(pageUrl("login", interaction ? (interaction.sealed ?? interaction.id) : sealRequest(client, request), request.loginHint));
      case "consent":
        return redirectTo(pageUrl("consent", await keepForConsent(client, request, signedInUser(signedIn).session.userId, interaction), null));
      case "error":
        if (decision.endsInteraction && interaction && !(await endInteraction(interaction, signedInUser(signedIn).session.userId))) {
          return expiredInteractionPage();
        }
        return errorRedirect(targetOf(request), decision.error);
      case "issue": {
        const { session, user } = signedInUser(signedIn);
        if (interaction && !(await endInteraction(interaction, session.userId))) return expiredInteractionPage();
        const authorization = await authorizationFor(decision.authorization, client, session.userId, decision.scopes, ip);
        return issueCode(client, request, session, user, authorization, decision.scopes, resolvedScopes);
      }
    }
  }

  /** Seals the request of a user who is not (or not the right one, or not freshly) signed in; writes nothing. */
  function sealRequest(client: ClientRecord, request: ValidatedAuthorizationRequest): string {
    const created = now();
    return deps.interactionSealer.seal({
      id: randomTokenValue(32),
      applicationId: client.id,
      request,
      createdAt: new Date(created),
      expiresAt: new Date(created + INTERACTION_LIFETIME * 1000),
    });
  }

  /** Keeps the request as a row for the consent page of a signed-in user; returns the row's id. */
  async function keepForConsent(client: ClientRecord, request: ValidatedAuthorizationRequest, userId: string, interaction: ResumedInteraction | null): Promise<string> {
    if (interaction) {
      await deps.interactions.updateInteraction(interaction.id, { userId, consent: null, grantedScopes: [] });
      return interaction.id;
    }
    const id = randomTokenValue(32);
    const created = now();
    await deps.interactions.createInteraction({
      id,
      applicationId: client.id,
      request,
      userId,
      createdAt: new Date(created),
      expiresAt: new Date(created + INTERACTION_LIFETIME * 1000),
    });
    return id;
  }

  /** Uses the interaction up (one statement: at most one request gets it); false when it already was. */
  async function endInteraction(interaction: ResumedInteraction, userId: string): Promise<boolean> {
    if (interaction.sealed === undefined) return (await deps.interactions.consumeInteraction(interaction.id)) !== null;
    return deps.interactions.consumeSealedInteraction({
      id: interaction.id,
      applicationId: interaction.applicationId,
      userId,
      createdAt: interaction.createdAt,
      expiresAt: interaction.expiresAt,
    });
  }

  /** The consent the code is issued under: the one on record, or one recorded now. */
  async function authorizationFor(
    wanted: AuthorizationRecord | "remember" | "ad-hoc",
    client: ClientRecord,
    userId: string,
    scopes: string[],
    ip: string | null,
  ): Promise<AuthorizationRecord> {
    if (wanted === "ad-hoc") return deps.authorizations.createAdHocAuthorization(userId, client.id, scopes);
    if (wanted !== "remember") return wanted;
    // Consent given by the client's policy, without a screen: on record like a user's decision.
    const saved = await deps.authorizations.savePermanentAuthorization(userId, client.id, scopes);
    await deps.audit.record({ kind: AuditKinds.consentGranted, userId, clientId: client.clientId, ip, details: { scopes, implicit: true } });
    return saved;
  }

  async function issueCode(
    client: ClientRecord,
    request: ValidatedAuthorizationRequest,
    session: EndUserSession,
    user: UserRecord,
    authorization: AuthorizationRecord,
    scopes: string[],
    /** The scopes as resolved while validating this very request, when they are these. */
    alreadyResolved: ResolvedScopes | null,
  ): Promise<Response> {
    const code = randomTokenValue(32);
    const lifetime = Math.max(1, Math.min(client.authorizationCodeLifetime ?? AUTHORIZATION_CODE_MAX_LIFETIME, AUTHORIZATION_CODE_MAX_LIFETIME));
    const issuedAt = now();
    const resolved =
      alreadyResolved && alreadyResolved.names.join(" ") === scopes.join(" ")
        ? alreadyResolved
        : await resolveClientScopes(client, scopes, deps.scopes);
    await deps.codes.recordAuthorizationCode({
      valueHash: hashOpaqueValue(code),
      subject: session.userId,
      applicationId: client.id,
      authorizationId: authorization.id,
      scopes,
      audiences: resolved.audiences,
      createdAt: new Date(issuedAt),
      expiresAt: new Date(issuedAt + lifetime * 1000),
      binding: {
        redirectUri: request.redirectUri,
        redirectUriProvided: request.redirectUriProvided,
        codeChallenge: request.codeChallenge,
        codeChallengeMethod: request.codeChallengeMethod,
        nonce: request.nonce,
        authTime: Math.floor(session.authTime.getTime() / 1000),
        sessionId: session.sessionId,
        amr: session.amr,
        accessTokenClaims: accessTokenClaimsFor(user, resolved.records),
        // The ID token is signed at the token endpoint; its user claims are fixed now, like the access token's.
        idTokenClaims: scopes.includes(StandardScopes.openid) ? idTokenClaimsFor(user, resolved.records) : {},
      },
    });
    return redirectToClient(request.redirectUri, { code, state: request.state, iss: config.issuer });
  }

  /** The interaction a resume names: a consent row by its id, or a sealed request (read without the database). */
  async function findResumedInteraction(value: string): Promise<ResumedInteraction | null> {
    if (INTERACTION_ID.test(value)) return deps.interactions.findInteraction(value);
    if (!SEALED_INTERACTION.test(value)) return null;
    const opened = deps.interactionSealer.open(value, now());
    return opened ? { ...opened, userId: null, consent: null, grantedScopes: [], sealed: value } : null;
  }

  /** The browser is back from the login or consent page with `interactionId`. */
  async function resume(interactionId: string, request: Request): Promise<Response> {
    const interaction = await findResumedInteraction(interactionId);
    if (!interaction) return expiredInteractionPage();
    const client = await deps.clients.findClientByClientId(interaction.request.clientId);
    if (!client || !client.enabled || client.id !== interaction.applicationId) return applicationUnavailablePage();
    try {
      return await proceed(client, interaction.request, await deps.readSignedIn(request, client.id), interaction, requestAddress(deps, request), null);
    } catch (error) {
      // E.g. a scope or scope permission removed while the user was on the consent page.
      if (error instanceof OAuthError && error.status < 500) return errorRedirect(targetOf(interaction.request), error);
      throw error;
    }
  }

  /** A new authorization request: validated step by step (./authorize/parseRequest.ts), then decided. */
  async function authorize(params: FormParameters, request: Request): Promise<Response> {
    let client: ClientRecord;
    let target: RedirectTarget;
    try {
      const clientId = requireClientId(params);
      client = requireEnabledClient(isClientIdSyntax(clientId) ? await deps.clients.findClientByClientId(clientId) : null);
      target = readRedirectTarget(params, client);
    } catch (error) {
      if (error instanceof PageRefusal) return error.response();
      throw error;
    }
    // From here on, refusals go back to the client.
    try {
      const requested = readRequestedScopes(params, client);
      const records = requested.length > 0 ? await deps.scopes.findScopesByNames(requested) : [];
      const parsed = parseCodeRequest(params, client, target, requested, records);
      let validated = parsed.request;
      if (parsed.idTokenHint !== undefined) {
        const hint = await verifyIdTokenHint(deps, parsed.idTokenHint);
        validated = { ...validated, expectedSubject: expectedSubjectOf(hint, client) };
      }
      return await proceed(client, validated, await deps.readSignedIn(request, client.id), null, requestAddress(deps, request), parsed.scopes);
    } catch (error) {
      if (error instanceof OAuthError && error.status < 500) return errorRedirect(target, error);
      throw error;
    }
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method !== "GET" && request.method !== "POST") {
      return new Response(null, { status: 405, headers: { Allow: "GET, POST", ...pageSecurityHeaders } });
    }
    let params: FormParameters;
    try {
      params = await readParameters(request);
    } catch (error) {
      if (error instanceof OAuthError) return invalidRequestPage(error).response();
      throw error;
    }
    const interactionId = params.get("interaction");
    if (interactionId !== undefined && params.size === 1) return resume(interactionId, request);
    return authorize(params, request);
  }

  return async (request) => {
    try {
      return await handle(request);
    } catch (error) {
      (deps.log ?? defaultLog)(error, request);
      return serverErrorPage();
    }
  };
}

function defaultLog(error: unknown, request: Request) {
  console.error(`[gatehouse] unexpected error on ${request.method} ${new URL(request.url).pathname}:`, error);
}
