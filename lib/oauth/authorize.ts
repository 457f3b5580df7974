// GET/POST /connect/authorize (RFC 6749 §4.1.1, OIDC Core §3.1.2, RFC 9700).
//
// The order matters: client and redirect_uri are checked first, and while
// either is wrong the user sees an error page and is never redirected. Only
// then do errors travel back to the client, with state and iss (RFC 9207).
// A request that needs sign-in travels sealed in the login page's URL (no
// storage for anonymous requests, decision 0010); one that needs consent is
// kept server-side as an interaction row. The login and consent pages send the
// browser back here with only the sealed value or the row's id.
import { AuditKinds, requestAddress, type AuditDeps } from "./audit";
import { endpointUrl, type OAuthServerConfig } from "./config";
import { accessTokenClaimsFor } from "./claims";
import { idTokenClaimsFor } from "./idTokens";
import { OAuthError, sanitizeErrorDescription, type OAuthErrorCode } from "./errors";
import { errorPageResponse, pageSecurityHeaders } from "./errorPage";
import { checkParameterSize } from "./http";
import { Permissions, hasPermission } from "./permissions";
import { isValidS256Challenge } from "./pkce";
import { isRegisteredRedirectUri } from "./redirectUris";
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
  SessionReader,
  StoredInteraction,
  UserRecord,
  UserStore,
  ValidatedAuthorizationRequest,
} from "./ports";
import { StandardScopes, parseScopeParameter, resolveClientScopes, type ResolvedScopes } from "./scopes";
import { hashOpaqueValue, randomTokenValue } from "./secrets";

export interface AuthorizeEndpointDeps extends AuditDeps {
  config: OAuthServerConfig;
  clients: ClientStore;
  scopes: ScopeStore;
  users: UserStore;
  authorizations: AuthorizationStore;
  interactions: InteractionStore;
  /** Seals the request of a user who still has to sign in (decision 0010). */
  interactionSealer: InteractionSealer;
  codes: AuthorizationCodeStore;
  readSession: SessionReader;
  /** Verifies id_token_hint against the keys we sign with. */
  keys: Pick<KeyRing, "verificationKey">;
  now?: () => number;
  log?: (error: unknown, request: Request) => void;
}

export const AUTHORIZATION_CODE_MAX_LIFETIME = 60;
export const INTERACTION_LIFETIME = 30 * 60;
export const PAGE_PATHS = { login: "/login", consent: "/consent" } as const;
const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;
const PROMPT_VALUES = new Set(["none", "login", "consent", "select_account"]);
/** max_age above ten years is a mistake, not a policy. */
const MAX_AGE_LIMIT = 10 * 365 * 24 * 3600;

/**
 * An interaction the browser came back with: a row (consent), or a sealed
 * request (`sealed` is the value from the URL; never stored, userId and consent empty).
 */
type ResumedInteraction = StoredInteraction & { sealed?: string };

/** Parameters with every value, so repeats can be detected after the client is known. */
type RawParameters = Map<string, string[]>;

async function readParameters(request: Request): Promise<RawParameters> {
  let source: URLSearchParams;
  if (request.method === "POST") {
    // Reuse the strict form reader for content type and size, but keep repeats for later.
    const contentType = request.headers.get("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
      throw new OAuthError("invalid_request", "An authorization request sent by POST must be application/x-www-form-urlencoded.");
    }
    const text = await request.text();
    if (text.length > 64 * 1024) throw new OAuthError("invalid_request", "The request body is too large.", { status: 413 });
    source = new URLSearchParams(text);
  } else {
    source = new URL(request.url).searchParams;
  }
  const params: RawParameters = new Map();
  for (const [name, value] of source) {
    if (value === "") continue; // RFC 6749 §3.1: empty means omitted
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  return params;
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
  return new Response(null, { status: 303, headers: { Location: location, ...pageSecurityHeaders } });
}

function redirectTo(location: string): Response {
  return new Response(null, { status: 303, headers: { Location: location, ...pageSecurityHeaders } });
}

/** Refuses the request; with a valid redirect_uri the refusal goes back to the client. */
function fail(code: OAuthErrorCode, description: string): never {
  throw new OAuthError(code, description);
}

export function createAuthorizeEndpoint(deps: AuthorizeEndpointDeps): (request: Request) => Promise<Response> {
  const now = deps.now ?? Date.now;
  const { config } = deps;

  function errorRedirect(request: ValidatedRedirect, error: OAuthError): Response {
    return redirectToClient(request.redirectUri, {
      error: error.code,
      // RFC 6749 §4.1.2.1: descriptions may quote the request, so keep them to the allowed characters.
      error_description: sanitizeErrorDescription(error.description),
      state: request.state,
      iss: config.issuer,
    });
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

  /** Whether the session satisfies prompt=login / max_age for a request first seen at `since`. */
  function sessionIsFreshEnough(session: EndUserSession, request: ValidatedAuthorizationRequest, since: number | null): boolean {
    const authTime = session.authTime.getTime();
    // A sign-in made after the request arrived is the one prompt=login / max_age asked for
    // (without this, max_age=0 would send the user back to the login page forever).
    if (since !== null && authTime >= since) return true;
    if (request.maxAge !== null && now() - authTime > request.maxAge * 1000) return false;
    if (request.prompt.includes("login")) return false;
    return true;
  }

  /** Sends a user who is not (or not the right one, or not freshly) signed in to the login page; writes nothing. */
  function startSignIn(client: ClientRecord, request: ValidatedAuthorizationRequest): Response {
    const created = now();
    const sealed = deps.interactionSealer.seal({
      id: randomTokenValue(32),
      applicationId: client.id,
      request,
      createdAt: new Date(created),
      expiresAt: new Date(created + INTERACTION_LIFETIME * 1000),
    });
    return redirectTo(pageUrl("login", sealed, request.loginHint));
  }

  /** Keeps the request for the consent page of a signed-in user. */
  async function startConsent(client: ClientRecord, request: ValidatedAuthorizationRequest, userId: string) {
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
    return redirectTo(pageUrl("consent", id, null));
  }

  /** Back at the login page with the interaction the browser brought (sealed, or the row's id). */
  function backToSignIn(interaction: ResumedInteraction, request: ValidatedAuthorizationRequest): Response {
    return redirectTo(pageUrl("login", interaction.sealed ?? interaction.id, request.loginHint));
  }

  function pageUrl(page: "login" | "consent", interactionId: string, loginHint: string | null): string {
    const url = new URL(endpointUrl(config, PAGE_PATHS[page]));
    url.searchParams.set("interaction", interactionId);
    if (loginHint) url.searchParams.set("login_hint", loginHint);
    return url.toString();
  }

  /**
   * Decides what the user still has to do (sign in, consent) or issues the code.
   * `interaction` is set when the browser comes back from the login or consent page.
   */
  async function proceed(
    client: ClientRecord,
    request: ValidatedAuthorizationRequest,
    session: EndUserSession | null,
    interaction: ResumedInteraction | null,
    /** The browser's address, for the audit log. */
    ip: string | null,
    resolvedScopes: ResolvedScopes | null = null,
  ): Promise<Response> {
    const redirect = { redirectUri: request.redirectUri, state: request.state };
    const promptNone = request.prompt.includes("none");
    const user = session ? await deps.users.findUserById(session.userId) : null;
    const activeSession = session && user?.enabled ? session : null;

    if (!activeSession || !sessionIsFreshEnough(activeSession, request, interaction ? interaction.createdAt.getTime() : null)) {
      if (promptNone) return errorRedirect(redirect, new OAuthError("login_required", "The user is not signed in (prompt=none)."));
      if (interaction) return backToSignIn(interaction, request);
      return startSignIn(client, request);
    }
    // OIDC Core §3.1.2.1: with an id_token_hint the app expects that user. Someone else signed in gets the
    // chance to sign in as them; if this request's own sign-in is still someone else, the app is told.
    if (request.expectedSubject !== undefined && activeSession.userId !== request.expectedSubject) {
      const signedInForThisRequest = interaction !== null && activeSession.authTime.getTime() >= interaction.createdAt.getTime();
      if (promptNone || signedInForThisRequest) {
        return errorRedirect(redirect, new OAuthError("login_required", "The signed-in user is not the user the id_token_hint names."));
      }
      if (interaction) return backToSignIn(interaction, request);
      return startSignIn(client, request);
    }

    // A consent decision made on the consent page for this very user.
    if (interaction && interaction.userId === activeSession.userId && interaction.consent) {
      const consumed = await deps.interactions.consumeInteraction(interaction.id);
      if (!consumed) return expiredInteractionPage();
      if (consumed.consent === "denied") {
        return errorRedirect(redirect, new OAuthError("access_denied", "The user denied the request."));
      }
      const scopes = request.scopes.filter((scope) => consumed.grantedScopes.includes(scope));
      const authorization =
        client.consentType === "explicit"
          ? await deps.authorizations.findPermanentAuthorization(activeSession.userId, client.id)
          : null;
      const usable = authorization && scopes.every((scope) => authorization.scopes.includes(scope))
        ? authorization
        : await deps.authorizations.createAdHocAuthorization(activeSession.userId, client.id, scopes);
      return issueCode(client, request, activeSession, user!, usable, scopes, null);
    }

    const existing = await deps.authorizations.findPermanentAuthorization(activeSession.userId, client.id);
    const covered = existing !== null && request.scopes.every((scope) => existing.scopes.includes(scope));
    let authorization: AuthorizationRecord | null = null;
    switch (client.consentType) {
      case "implicit":
        if (covered) {
          authorization = existing;
        } else {
          // Consent given by the client's policy, without a screen: on record like a user's decision.
          authorization = await deps.authorizations.savePermanentAuthorization(activeSession.userId, client.id, request.scopes);
          await deps.audit.record({
            kind: AuditKinds.consentGranted,
            userId: activeSession.userId,
            clientId: client.clientId,
            ip,
            details: { scopes: request.scopes, implicit: true },
          });
        }
        break;
      case "external":
        if (!covered) {
          return errorRedirect(redirect, new OAuthError("consent_required", "An administrator has not approved this application for this user."));
        }
        authorization = existing;
        break;
      case "explicit":
        if (covered && !request.prompt.includes("consent")) authorization = existing;
        break;
      case "systematic":
        break;
    }
    if (!authorization) {
      if (promptNone) return errorRedirect(redirect, new OAuthError("consent_required", "The user has not consented to this request (prompt=none)."));
      if (interaction?.sealed !== undefined) {
        // The user is known now: the sealed request becomes a row, under the seal's id (so the seal is single-use).
        const { sealed: _sealed, consent: _consent, grantedScopes: _granted, ...snapshot } = interaction;
        const created = await deps.interactions.createInteraction({ ...snapshot, userId: activeSession.userId });
        if (created) return redirectTo(pageUrl("consent", interaction.id, null));
        // The same seal again (a reload, a second tab): continue with its row, if it is still pending.
        const row = await deps.interactions.findInteraction(interaction.id);
        if (!row || row.applicationId !== client.id) return expiredInteractionPage();
        return proceed(client, row.request, activeSession, row, ip);
      }
      if (interaction) {
        await deps.interactions.updateInteraction(interaction.id, { userId: activeSession.userId, consent: null, grantedScopes: [] });
        return redirectTo(pageUrl("consent", interaction.id, null));
      }
      return startConsent(client, request, activeSession.userId);
    }
    if (interaction?.sealed !== undefined) {
      const firstUse = await deps.interactions.consumeSealedInteraction({
        id: interaction.id,
        applicationId: interaction.applicationId,
        userId: activeSession.userId,
        createdAt: interaction.createdAt,
        expiresAt: interaction.expiresAt,
      });
      if (!firstUse) return expiredInteractionPage();
    } else if (interaction && !(await deps.interactions.consumeInteraction(interaction.id))) {
      return expiredInteractionPage();
    }
    return issueCode(client, request, activeSession, user!, authorization, request.scopes, resolvedScopes);
  }

  /** The interaction a resume names: a consent row by its id, or a sealed request (read without the database). */
  async function findResumedInteraction(value: string): Promise<ResumedInteraction | null> {
    if (INTERACTION_ID.test(value)) return deps.interactions.findInteraction(value);
    if (!SEALED_INTERACTION.test(value)) return null;
    const opened = deps.interactionSealer.open(value, now());
    return opened ? { ...opened, userId: null, consent: null, grantedScopes: [], sealed: value } : null;
  }

  async function resume(interactionId: string, request: Request): Promise<Response> {
    const interaction = await findResumedInteraction(interactionId);
    if (!interaction) return expiredInteractionPage();
    const client = await deps.clients.findClientByClientId(interaction.request.clientId);
    if (!client || !client.enabled || client.id !== interaction.applicationId) {
      return errorPageResponse({ title: "Application unavailable", message: "This application has been disabled or removed.", code: "invalid_client" });
    }
    try {
      return await proceed(client, interaction.request, await deps.readSession(request), interaction, requestAddress(deps, request));
    } catch (error) {
      // E.g. a scope or scope permission removed while the user was on the consent page.
      if (error instanceof OAuthError && error.status < 500) {
        return errorRedirect({ redirectUri: interaction.request.redirectUri, state: interaction.request.state }, error);
      }
      throw error;
    }
  }

  async function handle(request: Request): Promise<Response> {
    if (request.method !== "GET" && request.method !== "POST") {
      return new Response(null, { status: 405, headers: { Allow: "GET, POST", ...pageSecurityHeaders } });
    }
    let params: RawParameters;
    try {
      params = await readParameters(request);
    } catch (error) {
      if (error instanceof OAuthError) {
        return invalidRequestPage(error);
      }
      throw error;
    }
    const single = (name: string) => (params.get(name)?.length === 1 ? params.get(name)![0]! : undefined);

    const interactionIds = params.get("interaction");
    if (interactionIds && params.size === 1 && interactionIds.length === 1) return resume(interactionIds[0]!, request);

    // 1. The client, then the redirect URI: never redirect while either is in doubt.
    const clientIds = params.get("client_id");
    if (!clientIds) {
      return invalidRequestPage("The request has no client_id: the application that sent you here is misconfigured.");
    }
    if (clientIds.length > 1) {
      return invalidRequestPage("The client_id parameter was sent more than once.");
    }
    const clientIdTooLong = checkParameterSize("client_id", clientIds[0]!);
    if (clientIdTooLong) return invalidRequestPage(clientIdTooLong);
    const client = /^[\x20-\x7E]+$/.test(clientIds[0]!) ? await deps.clients.findClientByClientId(clientIds[0]!) : null;
    if (!client || !client.enabled) {
      return errorPageResponse({ title: "Unknown application", message: "The application that sent you here is not registered with this server, or has been disabled.", code: "invalid_client" });
    }
    const redirectUris = params.get("redirect_uri");
    if (redirectUris && redirectUris.length > 1) {
      return invalidRequestPage("The redirect_uri parameter was sent more than once.");
    }
    const redirectUriTooLong = redirectUris ? checkParameterSize("redirect_uri", redirectUris[0]!) : null;
    if (redirectUriTooLong) return invalidRequestPage(redirectUriTooLong);
    let redirectUri: string;
    if (redirectUris) {
      // RFC 9700 §4.1.3: exact string comparison with a registered URI (a loopback port may vary, RFC 8252 §7.3).
      if (!isRegisteredRedirectUri(client, redirectUris[0]!)) {
        return errorPageResponse({
          title: "Unregistered redirect URI",
          message: `The application asked to send you back to an address that is not registered for "${client.displayName}". For your safety you have not been redirected.`,
          code: "invalid_request",
        });
      }
      redirectUri = redirectUris[0]!;
    } else if (client.redirectUris.length === 1) {
      redirectUri = client.redirectUris[0]!;
    } else {
      return invalidRequestPage("The request has no redirect_uri, and the application has several registered: it must say which one to use.");
    }

    // 2. From here on, errors go back to the client.
    const repeated = [...params].filter(([, values]) => values.length > 1).map(([name]) => name);
    const oversized = firstOversizedParameter(params);
    // A state over the limit is refused, not carried back (the error redirect goes without it).
    const state = params.get("state")?.length === 1 && oversized?.name !== "state" ? single("state")! : null;
    const redirect = { redirectUri, state };
    try {
      if (oversized) throw oversized.error;
      if (repeated.length > 0) fail("invalid_request", `Each parameter may appear only once; repeated: ${repeated.join(", ")}.`);
      if (params.has("request")) fail("request_not_supported", "Request objects (the request parameter) are not supported.");
      if (params.has("request_uri")) fail("request_uri_not_supported", "The request_uri parameter is not supported.");
      const responseType = single("response_type");
      if (!responseType) fail("invalid_request", "The response_type parameter is missing; use response_type=code.");
      if (responseType !== "code") fail("unsupported_response_type", `Only response_type=code is supported (got '${responseType}').`);
      const responseMode = single("response_mode");
      if (responseMode !== undefined && responseMode !== "query") fail("invalid_request", "Only response_mode=query is supported.");
      if (
        !hasPermission(client, Permissions.endpoint.authorization) ||
        !hasPermission(client, Permissions.grantType("authorization_code")) ||
        !hasPermission(client, Permissions.responseType("code"))
      ) {
        fail("unauthorized_client", `The client '${client.clientId}' is not permitted to use the authorization code flow.`);
      }
      const scopes = parseScopeParameter(single("scope"));
      const resolvedScopes = await resolveClientScopes(client, scopes, deps.scopes);
      if (scopes.includes(StandardScopes.offlineAccess) && !hasPermission(client, Permissions.grantType("refresh_token"))) {
        fail("invalid_scope", `The client '${client.clientId}' may not request offline_access: it has no refresh_token grant.`);
      }
      const codeChallenge = single("code_challenge");
      const codeChallengeMethod = single("code_challenge_method");
      if (!codeChallenge) {
        fail("invalid_request", codeChallengeMethod
          ? "code_challenge_method was sent without code_challenge."
          : "PKCE is required: send code_challenge and code_challenge_method=S256 (RFC 7636).");
      }
      if (codeChallengeMethod !== "S256") {
        fail("invalid_request", `Only code_challenge_method=S256 is supported${codeChallengeMethod ? ` (got '${codeChallengeMethod}')` : "; the default, plain, is not allowed"}.`);
      }
      if (!isValidS256Challenge(codeChallenge)) fail("invalid_request", "code_challenge must be the 43-character base64url SHA-256 of the code verifier.");
      const prompt = (single("prompt") ?? "").split(" ").filter(Boolean);
      for (const value of prompt) if (!PROMPT_VALUES.has(value)) fail("invalid_request", `Unsupported prompt value '${value}'.`);
      if (prompt.includes("none") && prompt.length > 1) fail("invalid_request", "prompt=none cannot be combined with other prompt values.");
      const maxAgeText = single("max_age");
      let maxAge: number | null = null;
      if (maxAgeText !== undefined) {
        if (!/^\d{1,10}$/.test(maxAgeText) || Number(maxAgeText) > MAX_AGE_LIMIT) fail("invalid_request", "max_age must be a non-negative number of seconds.");
        maxAge = Number(maxAgeText);
      }
      const idTokenHint = single("id_token_hint");
      const hint = idTokenHint === undefined ? null : await verifyIdTokenHint(deps, idTokenHint);
      if (idTokenHint !== undefined && (!hint || !hint.aud.includes(client.clientId))) {
        fail("invalid_request", "The id_token_hint is not an ID token this server issued to this client.");
      }
      const validated: ValidatedAuthorizationRequest = {
        clientId: client.clientId,
        redirectUri,
        redirectUriProvided: redirectUris !== undefined,
        scopes,
        state,
        nonce: single("nonce") ?? null,
        codeChallenge,
        codeChallengeMethod: "S256",
        prompt: prompt as ValidatedAuthorizationRequest["prompt"],
        maxAge,
        loginHint: single("login_hint") ?? null,
        ...(hint ? { expectedSubject: hint.sub } : {}),
      };
      return await proceed(client, validated, await deps.readSession(request), null, requestAddress(deps, request), resolvedScopes);
    } catch (error) {
      if (error instanceof OAuthError && error.status < 500) return errorRedirect(redirect, error);
      throw error;
    }
  }

  return async (request) => {
    try {
      return await handle(request);
    } catch (error) {
      (deps.log ?? defaultLog)(error, request);
      return errorPageResponse({ status: 500, title: "Something went wrong", message: "The server met an unexpected condition. Please try again.", code: "server_error" });
    }
  };
}

/**
 * The error page for a request that cannot be redirected back yet (client or
 * redirect_uri in doubt): a message of ours, or a refusal's description and code.
 */
function invalidRequestPage(refusal: string | OAuthError): Response {
  return typeof refusal === "string"
    ? errorPageResponse({ title: "Invalid authorization request", message: refusal, code: "invalid_request" })
    : errorPageResponse({ status: refusal.status, title: "Invalid authorization request", message: refusal.description, code: refusal.code });
}

/** The first parameter whose value breaks the size rule (lib/oauth/http.ts checkParameterSize), if any. */
function firstOversizedParameter(params: RawParameters): { name: string; error: OAuthError } | null {
  for (const [name, values] of params) {
    for (const value of values) {
      const error = checkParameterSize(name, value);
      if (error) return { name, error };
    }
  }
  return null;
}

interface ValidatedRedirect {
  redirectUri: string;
  state: string | null;
}

function expiredInteractionPage(): Response {
  return errorPageResponse({
    title: "This sign-in request has expired",
    message: "Too much time passed, or the request was already completed. Return to the application and start again.",
    code: "invalid_request",
  });
}

function defaultLog(error: unknown, request: Request) {
  console.error(`[gatehouse] unexpected error on ${request.method} ${new URL(request.url).pathname}:`, error);
}
