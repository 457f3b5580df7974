import type { SigningAlgorithm } from "./ports";

export interface OAuthServerConfig {
  /** The issuer identifier: an https URL (http only on loopback), no query or fragment. */
  issuer: string;
  /** Default access token lifetime in seconds. */
  accessTokenLifetime: number;
  /** Default JWS algorithm for access tokens (RFC 9068 requires RS256 support). */
  accessTokenSigningAlg: SigningAlgorithm;
  /** Audience used when no granted scope names a resource (RFC 9068 §3 default resource). */
  defaultAudience: string;
}

export function endpointUrl(config: Pick<OAuthServerConfig, "issuer">, path: string): string {
  return config.issuer.replace(/\/$/, "") + path;
}

export const ENDPOINT_PATHS = {
  authorization: "/connect/authorize",
  token: "/connect/token",
  userinfo: "/connect/userinfo",
  revocation: "/connect/revoke",
  introspection: "/connect/introspect",
  logout: "/connect/logout",
  jwks: "/.well-known/jwks.json",
  openidConfiguration: "/.well-known/openid-configuration",
  oauthAuthorizationServer: "/.well-known/oauth-authorization-server",
} as const;

/** Validates an issuer per RFC 8414 §2 / OIDC Discovery §4.3. */
export function validateIssuer(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`GATEHOUSE_ISSUER must be an absolute URL; got "${issuer}".`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`GATEHOUSE_ISSUER must use https (http is allowed only on localhost); got "${issuer}".`);
  }
  if (url.search || url.hash || issuer.includes("#") || issuer.includes("?")) {
    throw new Error(`GATEHOUSE_ISSUER must not have a query or fragment; got "${issuer}".`);
  }
  // Normalise away a trailing slash so `{issuer}/.well-known/...` is well-formed.
  return issuer.replace(/\/+$/, "");
}
