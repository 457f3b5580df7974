// The authorization code flow from the client's side, for tests that run
// under vitest or Playwright alike (no test-runner imports here).
import { createHash, randomBytes } from "node:crypto";

export const DEMO_SPA = { clientId: "spa", redirectUri: "http://localhost:5173/callback" } as const;
export const DEMO_POSTMAN = { clientId: "postman", secret: "postman-secret", redirectUri: "https://oauth.pstmn.io/v1/callback" } as const;
export const DEMO_USER = { username: "alice", password: "alice-password", email: "alice@example.com" } as const;

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri?: string;
  scope?: string;
  state?: string;
  pkce?: Pkce | null;
  extra?: Record<string, string>;
}

export function authorizeUrl(base: string, options: AuthorizeOptions): string {
  const url = new URL(base + "/connect/authorize");
  url.searchParams.set("client_id", options.clientId);
  url.searchParams.set("response_type", "code");
  if (options.redirectUri) url.searchParams.set("redirect_uri", options.redirectUri);
  if (options.scope) url.searchParams.set("scope", options.scope);
  if (options.state) url.searchParams.set("state", options.state);
  if (options.pkce) {
    url.searchParams.set("code_challenge", options.pkce.challenge);
    url.searchParams.set("code_challenge_method", "S256");
  }
  for (const [name, value] of Object.entries(options.extra ?? {})) url.searchParams.set(name, value);
  return url.toString();
}

export interface ExchangeOptions {
  clientId: string;
  secret?: string;
  code: string;
  verifier?: string;
  redirectUri?: string;
}

/** POST grant_type=authorization_code; returns the raw response. */
export function exchangeCode(base: string, options: ExchangeOptions): Promise<Response> {
  const body = new URLSearchParams({ grant_type: "authorization_code", code: options.code });
  if (options.redirectUri) body.set("redirect_uri", options.redirectUri);
  if (options.verifier) body.set("code_verifier", options.verifier);
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  if (options.secret) {
    headers.Authorization = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.secret)}`).toString("base64")}`;
  } else {
    body.set("client_id", options.clientId);
  }
  return fetch(base + "/connect/token", { method: "POST", headers, body });
}

/** Follows the authorization endpoint's redirects with a cookie header until it leaves the server. */
export async function authorizeWithCookie(url: string, cookie: string | null, maxHops = 5): Promise<Response> {
  let current = url;
  for (let hop = 0; hop < maxHops; hop++) {
    const response = await fetch(current, { redirect: "manual", headers: cookie ? { cookie } : {} });
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) return response;
    const next = new URL(location, current);
    if (next.origin !== new URL(url).origin || !next.pathname.startsWith("/connect/")) return response;
    current = next.toString();
  }
  throw new Error("too many redirects");
}
