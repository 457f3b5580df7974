// GET/POST /connect/logout: RP-initiated logout (OpenID Connect RP-Initiated
// Logout 1.0; CONFORMANCE.md section 9, LO-01..LO-09).
//
// Nothing here redirects unless the post_logout_redirect_uri is registered,
// byte for byte, for a known client holding ept:logout — the client named by
// client_id or by the aud of an id_token_hint we signed. Everything else ends
// on a page. A request that cannot be tied to the browser's session (no hint,
// or a hint for another session) is confirmed by the user first, with a
// same-origin POST.
import { endpointUrl, ENDPOINT_PATHS, type OAuthServerConfig } from "./config";
import { formActionSourceFor } from "./formAction";
import { PROTOCOL_PAGE_STYLE_ELEMENT, errorPageResponse, escapeHtml, pageSecurityHeaders } from "./errorPage";
import { OAuthError } from "./errors";
import { type FormParameters, isFormBody, readParameters } from "./http";
import { verifyIdTokenHint, type IdTokenHintClaims } from "./idTokenHint";
import { Permissions, hasPermission } from "./permissions";
import type { ClientRecord, ClientStore, EndUserSession, SessionReader } from "./ports";
import type { KeyRing } from "./signingKeys";

export interface LogoutEndpointDeps {
  config: Pick<OAuthServerConfig, "issuer">;
  clients: ClientStore;
  keys: Pick<KeyRing, "verificationKey">;
  readSession: SessionReader;
  /** Ends the portal session row (idempotent). */
  endSession: (sessionId: string) => Promise<void>;
  /** Set-Cookie header values that clear the session cookie (and any chunks the request carries). */
  clearSessionCookies: (request: Request) => string[];
  log?: (error: unknown, request: Request) => void;
}

/** The hidden field the confirmation form posts; its presence makes a POST a confirmation. */
export const LOGOUT_CONFIRM_FIELD = "gatehouse_logout_confirm";
const CARRIED = ["id_token_hint", "post_logout_redirect_uri", "client_id", "state"] as const;

class LogoutRefused extends Error {
  constructor(
    readonly title: string,
    message: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function refuse(title: string, message: string, status = 400, headers: Record<string, string> = {}): never {
  throw new LogoutRefused(title, message, status, headers);
}

/** The parameters by the rules every endpoint shares (lib/oauth/http.ts), refused on this endpoint's pages. */
async function readLogoutParameters(request: Request): Promise<FormParameters> {
  if (request.method === "POST" && !isFormBody(request)) {
    refuse("Sign-out request not accepted", "A sign-out request sent by POST must be application/x-www-form-urlencoded.", 415);
  }
  let params: FormParameters;
  try {
    params = await readParameters(request);
  } catch (error) {
    if (error instanceof OAuthError) refuse("Sign-out request not accepted", error.description, error.status);
    throw error;
  }
  const repeated = params.repeatedNames();
  if (repeated.length > 0) refuse("Sign-out request not accepted", `The '${repeated[0]}' parameter appears more than once.`);
  return params;
}

interface ValidatedLogout {
  hint: IdTokenHintClaims | null;
  client: ClientRecord | null;
  /** The registered URI to send the browser to, or null: a page instead. */
  redirectUri: string | null;
  state: string | null;
  /** The parameters as received, carried through the confirmation form. */
  carried: Array<[string, string]>;
}

function redirectAfterLogout(redirectUri: string, state: string | null, cookies: string[]): Response {
  // Only state is ever added, after the registered URI's own query (which stays byte for byte).
  let location = redirectUri;
  if (state !== null) {
    const hash = location.indexOf("#");
    const base = hash < 0 ? location : location.slice(0, hash);
    const separator = base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
    location = `${base}${separator}state=${encodeURIComponent(state)}`;
  }
  const headers = new Headers({ Location: location, ...pageSecurityHeaders });
  for (const cookie of cookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
}


function page(title: string, body: string, headers: Headers, status = 200): Response {
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Gatehouse</title>
${PROTOCOL_PAGE_STYLE_ELEMENT}
</head>
<body>
<main role="main">
  <h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`;
  headers.set("Content-Type", "text/html; charset=utf-8");
  return new Response(html, { status, headers });
}

function signedOutPage(cookies: string[]): Response {
  const headers = new Headers(pageSecurityHeaders);
  for (const cookie of cookies) headers.append("Set-Cookie", cookie);
  return page("You are signed out", `  <p>You have signed out of Gatehouse. You can close this page, or <a href="/login">sign in again</a>.</p>`, headers);
}

export function createLogoutEndpoint(deps: LogoutEndpointDeps): (request: Request) => Promise<Response> {
  const { config } = deps;
  const issuerOrigin = new URL(config.issuer).origin;
  const action = endpointUrl(config, ENDPOINT_PATHS.logout);

  async function validate(params: FormParameters): Promise<ValidatedLogout> {
    const carried = CARRIED.filter((name) => params.has(name)).map((name): [string, string] => [name, params.get(name)!]);
    const hintValue = params.get("id_token_hint") ?? null;
    const clientId = params.get("client_id") ?? null;
    const redirectParam = params.get("post_logout_redirect_uri") ?? null;
    const state = params.get("state") ?? null;

    let hint: IdTokenHintClaims | null = null;
    if (hintValue !== null) {
      hint = await verifyIdTokenHint(deps, hintValue);
      if (!hint) refuse("Sign-out request not accepted", "The id_token_hint is not an ID token issued by this server.");
    }

    let client: ClientRecord | null = null;
    if (clientId !== null) {
      if (hint && !hint.aud.includes(clientId)) {
        refuse("Sign-out request not accepted", "The client_id does not match the audience of the id_token_hint.");
      }
      client = await deps.clients.findClientByClientId(clientId);
      if (!client || !client.enabled) refuse("Unknown application", "The application that sent you here is not registered with Gatehouse.");
    } else if (hint) {
      const audience = hint.aud.length === 1 ? hint.aud[0]! : hint.azp && hint.aud.includes(hint.azp) ? hint.azp : null;
      if (audience !== null) {
        client = await deps.clients.findClientByClientId(audience);
        if (client && !client.enabled) client = null;
      }
    }

    let redirectUri: string | null = null;
    if (redirectParam !== null) {
      if (!client) {
        refuse("Sign-out request not accepted", "The post_logout_redirect_uri cannot be used without an id_token_hint or client_id naming a registered application.");
      }
      if (!hasPermission(client, Permissions.endpoint.logout)) {
        refuse("Sign-out request not accepted", "This application is not allowed to send users back after signing out.");
      }
      // Exact string comparison: no normalisation of case, default ports or query.
      if (!client.postLogoutRedirectUris.includes(redirectParam)) {
        refuse("Sign-out request not accepted", "The post_logout_redirect_uri is not registered for this application.");
      }
      redirectUri = redirectParam;
    }
    return { hint, client, redirectUri, state, carried };
  }

  function isSameOrigin(request: Request): boolean {
    const fetchSite = request.headers.get("sec-fetch-site");
    if (fetchSite !== null) return fetchSite === "same-origin";
    return request.headers.get("origin") === issuerOrigin;
  }

  async function finish(request: Request, logout: ValidatedLogout, session: EndUserSession | null): Promise<Response> {
    if (session) await deps.endSession(session.sessionId);
    const cookies = deps.clearSessionCookies(request);
    if (logout.redirectUri !== null) return redirectAfterLogout(logout.redirectUri, logout.state, cookies);
    return signedOutPage(cookies);
  }

  function confirmationPage(logout: ValidatedLogout): Response {
    const hidden = [...logout.carried, [LOGOUT_CONFIRM_FIELD, "yes"] as [string, string]]
      .map(([name, value]) => `    <input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join("\n");
    const who = logout.client ? ` <strong>${escapeHtml(logout.client.displayName)}</strong> asked to sign you out.` : "";
    const headers = new Headers(pageSecurityHeaders);
    if (logout.redirectUri !== null) {
      // The form's POST ends in a redirect to the client; browsers apply form-action to that redirect.
      const target = formActionSourceFor(logout.redirectUri);
      if (target) headers.set("Content-Security-Policy", pageSecurityHeaders["Content-Security-Policy"]!.replace("form-action 'self'", `form-action 'self' ${target}`));
    }
    return page(
      "Sign out of Gatehouse?",
      `  <p>Do you want to sign out of Gatehouse?${who}</p>
  <form method="post" action="${escapeHtml(action)}">
${hidden}
    <button type="submit">Sign out</button>
  </form>`,
      headers,
    );
  }

  return async (request) => {
    try {
      if (request.method !== "GET" && request.method !== "POST") {
        refuse("Method not allowed", "This endpoint accepts GET and POST only.", 405, { Allow: "GET, POST" });
      }
      const params = await readLogoutParameters(request);
      const confirmed = request.method === "POST" && params.has(LOGOUT_CONFIRM_FIELD);
      if (confirmed && (params.get(LOGOUT_CONFIRM_FIELD) !== "yes" || !isSameOrigin(request))) {
        refuse("Sign-out not confirmed", "The sign-out confirmation did not come from this site.", 403);
      }
      const logout = await validate(params);
      const session = await deps.readSession(request);
      if (!session) return finish(request, logout, null); // nothing to end
      const tied = logout.hint?.sid != null && logout.hint.sid === session.sessionId;
      if (tied || confirmed) return finish(request, logout, session);
      return confirmationPage(logout);
    } catch (error) {
      if (error instanceof LogoutRefused) {
        const response = errorPageResponse({ status: error.status, title: error.title, message: error.message });
        for (const [name, value] of Object.entries(error.headers)) response.headers.set(name, value);
        return response;
      }
      deps.log?.(error, request);
      return errorPageResponse({ status: 500, title: "Something went wrong", message: "Gatehouse could not process the sign-out request. Please try again." });
    }
  };
}
