// A signed-in user's tokens and what the server then says about them, over
// plain HTTP with the demo Postman client (confidential, allowed to
// introspect). No test-runner imports: vitest and Playwright suites both use it.
import { DEMO_POSTMAN, authorizeUrl, exchangeCode, newPkce } from "./codeFlow";
import { completeAuthorization } from "./portal";

export interface UserTokens {
  access_token: string;
  refresh_token: string;
}

const postmanBasic = () => `Basic ${Buffer.from(`${DEMO_POSTMAN.clientId}:${DEMO_POSTMAN.secret}`).toString("base64")}`;

function postAsPostman(url: string, body: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { Authorization: postmanBasic(), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(body),
  });
}

/**
 * The code flow for Postman with the portal session in `cookie` (consent
 * given on the way): an access token and a refresh token.
 */
export async function userTokensForPostman(base: string, cookie: string, scope = "openid offline_access api"): Promise<UserTokens> {
  const pkce = newPkce();
  const url = authorizeUrl(base, { clientId: DEMO_POSTMAN.clientId, redirectUri: DEMO_POSTMAN.redirectUri, scope, state: "tokens", pkce });
  const callback = await completeAuthorization(base, cookie, url);
  const code = callback.searchParams.get("code");
  if (!code) throw new Error(`no code in ${callback}`);
  const response = await exchangeCode(base, { ...DEMO_POSTMAN, code, verifier: pkce.verifier });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`the token endpoint answered ${response.status}: ${text}`);
  const tokens = JSON.parse(text) as Partial<UserTokens>;
  if (!tokens.access_token || !tokens.refresh_token) throw new Error(`expected an access and a refresh token: ${text}`);
  return { access_token: tokens.access_token, refresh_token: tokens.refresh_token };
}

/** The introspection answer's `active` for a token (RFC 7662). */
export async function isActiveAtIntrospection(base: string, token: string): Promise<boolean> {
  const response = await postAsPostman(`${base}/connect/introspect`, { token });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`introspection answered ${response.status}: ${text}`);
  return (JSON.parse(text) as { active: boolean }).active;
}

/** A refresh_token grant: the status, the error code if any, and the new tokens if any. */
export async function refreshOutcome(
  base: string,
  refreshToken: string,
): Promise<{ status: number; error: string | undefined; tokens: Partial<UserTokens> }> {
  const response = await postAsPostman(`${base}/connect/token`, { grant_type: "refresh_token", refresh_token: refreshToken });
  const body = (await response.json()) as Partial<UserTokens> & { error?: string };
  return { status: response.status, error: body.error, tokens: body };
}

/** The userinfo endpoint's status for an access token. */
export async function userinfoStatus(base: string, accessToken: string): Promise<number> {
  const response = await fetch(`${base}/connect/userinfo`, { headers: { Authorization: `Bearer ${accessToken}` } });
  await response.arrayBuffer();
  return response.status;
}

/** The portal session a cookie carries, as @auth/core reports it (null when there is none). */
export async function portalSession(base: string, cookie: string): Promise<{ user?: { name?: string } } | null> {
  const response = await fetch(`${base}/api/auth/session`, { headers: { cookie } });
  return (await response.json()) as { user?: { name?: string } } | null;
}
