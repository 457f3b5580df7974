// Security headers the production server (server.ts) sets itself: HSTS on
// every response when the issuer is https, and a per-request
// Content-Security-Policy with a fresh nonce on everything Next.js serves.
// Next.js reads the nonce from the request's Content-Security-Policy header
// and stamps it on the scripts it renders. See
// docs/decisions/0013-security-headers-and-files.md.
import { randomBytes } from "node:crypto";
import { formActionSourceFor } from "../oauth/formAction";
import { SEALED_INTERACTION, type InteractionSealer } from "../oauth/sealedInteraction";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { InteractionStore } from "../oauth/ports";

export const CSP_HEADER = "content-security-policy";
export const HSTS_HEADER = "strict-transport-security";

/** Two years, the subdomains of the issuer's host too; no `preload` (an operator's own decision, RFC 6797 §14.2). */
export const HSTS_VALUE = "max-age=63072000; includeSubDomains";

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The Strict-Transport-Security value for this issuer, or null: only an https
 * issuer (RFC 6797 §7.2 forbids it over plain http), and never for a loopback
 * host, where it would pin every other local development server to https.
 */
export function strictTransportSecurity(issuer: string): string | null {
  const url = new URL(issuer);
  if (url.protocol !== "https:" || LOOPBACK_HOSTS.test(url.hostname)) return null;
  return HSTS_VALUE;
}

/** 128 random bits, base64: unguessable per response (CSP3 §7.1 asks for at least 128 bits). */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

export interface PagePolicyInput {
  nonce: string;
  /** Where this page's form posts may be redirected besides this origin (form-action, CSP3 §6.4.1). */
  formRedirectTargets?: readonly string[];
}

/**
 * The policy of a page served by Next.js. Scripts: this origin's files and
 * inline scripts carrying the nonce (no 'unsafe-inline', no 'unsafe-eval').
 * Styles: this origin's stylesheets and nonce-stamped <style> elements, no
 * inline style attributes. Nothing may frame the page, change its base URL or
 * load plugins; forms post to this origin and to the listed redirect targets.
 */
export function pagePolicy({ nonce, formRedirectTargets = [] }: PagePolicyInput): string {
  const formAction = ["'self'", ...new Set(formRedirectTargets.map(formActionSourceFor).filter((source) => source !== null))];
  // script-src comes first: Next.js takes the nonce from the first directive that starts with "script-src".
  return [
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    `form-action ${formAction.join(" ")}`,
  ].join("; ");
}

/** Pages whose own form posts can end in a redirect to the client (login → authorize → redirect_uri). */
const PAGES_RESUMING_AN_AUTHORIZATION = new Set(["/login", "/consent"]);

/**
 * The `interaction` parameter of a login or consent page URL, or null. Only
 * the path and the parameter are read: what the value means is the lookup's business.
 */
export function interactionOfPageUrl(url: string): string | null {
  const query = url.indexOf("?");
  const pathname = query < 0 ? url : url.slice(0, query);
  if (!PAGES_RESUMING_AN_AUTHORIZATION.has(pathname.replace(/\/+$/, "") || "/") || query < 0) return null;
  return new URLSearchParams(url.slice(query + 1)).get("interaction");
}

/** The redirect URIs a page's forms may end at, given the page URL's interaction parameter. */
export type FormRedirectTargets = (interaction: string) => Promise<string[]>;

const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * The redirect URI of a pending authorization request: where signing in or
 * answering the consent screen sends the browser (303 to /connect/authorize,
 * then 302 to the client). The one place that knows how an interaction
 * parameter is resolved: a consent row by its id, or a sealed request opened
 * without the database (decision 0010). An unknown or expired one gives no targets.
 */
export function interactionRedirectTargets(
  interactions: Pick<InteractionStore, "findInteraction">,
  sealer: Pick<InteractionSealer, "open">,
  now: () => number = Date.now,
): FormRedirectTargets {
  return async (interaction) => {
    if (INTERACTION_ID.test(interaction)) {
      const stored = await interactions.findInteraction(interaction);
      return stored ? [stored.request.redirectUri] : [];
    }
    if (!SEALED_INTERACTION.test(interaction)) return [];
    const opened = sealer.open(interaction, now());
    return opened ? [opened.request.redirectUri] : [];
  };
}

export interface PageSecurityOptions {
  formRedirectTargets: FormRedirectTargets;
}

/**
 * Sets the page policy on the request (for Next.js to read the nonce) and on
 * the response, before the request goes to Next.js. A client's own
 * Content-Security-Policy request header is replaced, never trusted. Never
 * rejects: when the lookup fails the page gets form-action 'self' only.
 */
export function createPageSecurity({ formRedirectTargets }: PageSecurityOptions) {
  return async function applyPageSecurity(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const interaction = interactionOfPageUrl(req.url ?? "/");
    let targets: string[] = [];
    if (interaction) targets = await formRedirectTargets(interaction).catch(() => []);
    const policy = pagePolicy({ nonce: newNonce(), formRedirectTargets: targets });
    delete req.headers["content-security-policy-report-only"];
    req.headers[CSP_HEADER] = policy;
    res.setHeader(CSP_HEADER, policy);
  };
}
