// The authorization endpoint's own error pages: what the user sees when a
// refusal cannot go back to the client (RFC 6749 §4.1.2.1: "If the request
// fails due to a missing, invalid, or mismatching redirection URI, or if the
// client identifier is missing or invalid, the authorization server SHOULD
// inform the resource owner of the error and MUST NOT automatically redirect"),
// and when a sign-in or consent interaction has run out.
import { errorPageResponse, type ErrorPageOptions } from "../errorPage";
import type { OAuthError } from "../errors";

/** A refusal shown on a page, never redirected; thrown by the checks that come before the redirect URI is settled. */
export class PageRefusal extends Error {
  constructor(readonly page: ErrorPageOptions) {
    super(page.message);
    this.name = "PageRefusal";
  }

  response(): Response {
    return errorPageResponse(this.page);
  }
}

/** A malformed request from a client that cannot be answered yet: a message of ours, or a refusal's description and code. */
export function invalidRequestPage(refusal: string | OAuthError): PageRefusal {
  return new PageRefusal(
    typeof refusal === "string"
      ? { title: "Invalid authorization request", message: refusal, code: "invalid_request" }
      : { status: refusal.status, title: "Invalid authorization request", message: refusal.description, code: refusal.code },
  );
}

export const unknownApplicationPage = (): PageRefusal =>
  new PageRefusal({
    title: "Unknown application",
    message: "The application that sent you here is not registered with this server, or has been disabled.",
    code: "invalid_client",
  });

export const unregisteredRedirectUriPage = (displayName: string): PageRefusal =>
  new PageRefusal({
    title: "Unregistered redirect URI",
    message: `The application asked to send you back to an address that is not registered for "${displayName}". For your safety you have not been redirected.`,
    code: "invalid_request",
  });

/** The interaction the browser came back with is unknown, expired or already used. */
export function expiredInteractionPage(): Response {
  return errorPageResponse({
    title: "This sign-in request has expired",
    message: "Too much time passed, or the request was already completed. Return to the application and start again.",
    code: "invalid_request",
  });
}

/** The client of a resumed interaction was disabled or removed meanwhile. */
export function applicationUnavailablePage(): Response {
  return errorPageResponse({ title: "Application unavailable", message: "This application has been disabled or removed.", code: "invalid_client" });
}

export function serverErrorPage(): Response {
  return errorPageResponse({ status: 500, title: "Something went wrong", message: "The server met an unexpected condition. Please try again.", code: "server_error" });
}
