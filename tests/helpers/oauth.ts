// Small HTTP helpers for protocol tests: form posts to the token endpoint,
// Basic credentials, and the checks every OAuth error response must pass.
import { expect } from "vitest";
import { createRemoteJWKSet, jwtVerify, type JWTVerifyResult } from "jose";

export const TOKEN_PATH = "/connect/token";
export const JWKS_PATH = "/.well-known/jwks.json";
export const OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";
export const OAUTH_METADATA_PATH = "/.well-known/oauth-authorization-server";

/** The demo data from lib/db/seed.ts. */
export const POSTMAN = { clientId: "postman", secret: "postman-secret" } as const;
export const SPA = { clientId: "spa" } as const;
export const API_SCOPE = { name: "api", resource: "urn:gatehouse:api" } as const;

/** RFC 6749 §5.2: `error` and `error_description` use only %x20-21 / %x23-5B / %x5D-7E. */
export const ERROR_CHARACTERS = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

/** RFC 6749 §2.3.1 / Appendix B: each part is form-urlencoded, then `id:secret` is base64-encoded. */
export function basicAuthorization(clientId: string, secret: string, { urlencode = true } = {}): string {
  const encode = (value: string) => (urlencode ? encodeURIComponent(value).replace(/%20/g, "+") : value);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`, "utf8").toString("base64")}`;
}

export const postmanBasic = () => basicAuthorization(POSTMAN.clientId, POSTMAN.secret);

export interface FormPost {
  /** A form (encoded with URLSearchParams), or a raw body sent as is. */
  body?: Record<string, string> | [string, string][] | string | Uint8Array;
  headers?: Record<string, string>;
  method?: string;
}

/** POSTs an application/x-www-form-urlencoded body unless the caller sets a content type. */
export async function postForm(url: string, { body, headers = {}, method = "POST" }: FormPost = {}): Promise<Response> {
  let payload: string | Uint8Array | undefined;
  const finalHeaders: Record<string, string> = { ...headers };
  const hasContentType = Object.keys(finalHeaders).some((name) => name.toLowerCase() === "content-type");
  if (body === undefined) payload = undefined;
  else if (typeof body === "string" || body instanceof Uint8Array) payload = body;
  else payload = new URLSearchParams(body).toString();
  if (payload !== undefined && !hasContentType && !(typeof body === "string" || body instanceof Uint8Array)) {
    finalHeaders["Content-Type"] = "application/x-www-form-urlencoded";
  }
  return fetch(url, { method, headers: finalHeaders, body: payload as BodyInit | undefined, redirect: "manual" });
}

export interface TokenSuccess {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** client_credentials for the demo client with client_secret_basic; asserts a 200. */
export async function postmanToken(baseUrl: string, scope = API_SCOPE.name): Promise<TokenSuccess> {
  const response = await postForm(baseUrl + TOKEN_PATH, {
    headers: { Authorization: postmanBasic() },
    body: { grant_type: "client_credentials", scope },
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as TokenSuccess;
}

/** Verifies an RFC 9068 access token against a server's published JWKS. */
export async function verifyAccessToken(
  token: string,
  jwksUrl: string,
  options: { issuer?: string; audience?: string } = {},
): Promise<JWTVerifyResult> {
  const jwks = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 0, cooldownDuration: 0 });
  return jwtVerify(token, jwks, { ...options, typ: "at+jwt", algorithms: ["RS256", "ES256"] });
}

export interface ExpectedError {
  status: number;
  /** One error code, or the codes a spec allows here. */
  error: string | string[];
  description?: RegExp;
  /** A WWW-Authenticate header is required (true), or must match this pattern. */
  wwwAuthenticate?: boolean | RegExp;
}

/**
 * Checks one OAuth error response (TK-09): the status, a JSON body with a
 * well-formed `error` and non-empty `error_description`, no-store, never a 5xx.
 * Returns the parsed body.
 */
export async function expectOAuthError(
  response: Response,
  expected: ExpectedError,
): Promise<{ error: string; error_description: string }> {
  const text = await response.text();
  const context = `${response.status} ${text}`;
  expect(response.status, context).toBeLessThan(500);
  expect(response.status, context).toBe(expected.status);
  expect(response.headers.get("content-type") ?? "", context).toMatch(/^application\/json\b/);
  expect(response.headers.get("cache-control") ?? "", context).toMatch(/\bno-store\b/);
  const body = JSON.parse(text) as { error: unknown; error_description: unknown; error_uri?: unknown };
  const allowed = Array.isArray(expected.error) ? expected.error : [expected.error];
  expect(allowed, context).toContain(body.error);
  expect(body.error, context).toMatch(ERROR_CHARACTERS);
  expect(typeof body.error_description, context).toBe("string");
  expect((body.error_description as string).length, context).toBeGreaterThan(0);
  expect(body.error_description, context).toMatch(ERROR_CHARACTERS);
  if (body.error_uri !== undefined) expect(() => new URL(String(body.error_uri)), context).not.toThrow();
  if (expected.description) expect(body.error_description, context).toMatch(expected.description);
  if (expected.wwwAuthenticate) {
    const header = response.headers.get("www-authenticate");
    expect(header, context).toBeTruthy();
    if (expected.wwwAuthenticate instanceof RegExp) expect(header, context).toMatch(expected.wwwAuthenticate);
  }
  return body as { error: string; error_description: string };
}

/** GETs a JSON document, asserting a 200; returns the body and the response. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ response: Response; body: T }> {
  const response = await fetch(url);
  const text = await response.text();
  expect(response.status, `${url}: ${text}`).toBe(200);
  return { response, body: JSON.parse(text) as T };
}

export interface PublicJwkSet {
  keys: Array<Record<string, unknown> & { kid?: string; kty?: string; alg?: string }>;
}

export async function fetchJwks(baseUrl: string): Promise<PublicJwkSet> {
  return (await getJson<PublicJwkSet>(baseUrl + JWKS_PATH)).body;
}

export async function fetchKids(baseUrl: string): Promise<string[]> {
  return (await fetchJwks(baseUrl)).keys.map((key) => String(key.kid)).sort();
}
