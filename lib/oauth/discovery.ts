// Server metadata (OIDC Discovery 1.0 and RFC 8414). Lists only what the
// server implements: each field follows from the modules that exist.
import { CLIENT_AUTHENTICATION_METHODS } from "./clientAuthentication";
import { ENDPOINT_PATHS, endpointUrl, type OAuthServerConfig } from "./config";
import { documentEndpoint, documentOf, publicDocument, type DocumentEndpoint } from "./publicDocument";
import { ID_TOKEN_CLAIMS_SUPPORTED } from "./idTokens";
import type { ScopeStore } from "./ports";
import { SUPPORTED_SIGNING_ALGORITHMS } from "./signingKeys";
import { SUPPORTED_GRANT_TYPES } from "./token";

export interface DiscoveryDeps {
  config: OAuthServerConfig;
  scopes: ScopeStore;
  /** How long the scope list may be cached, in ms. */
  cacheMs?: number;
}

export function buildServerMetadata(config: OAuthServerConfig, scopeNames: string[]): Record<string, unknown> {
  return {
    issuer: config.issuer,
    authorization_endpoint: endpointUrl(config, ENDPOINT_PATHS.authorization),
    token_endpoint: endpointUrl(config, ENDPOINT_PATHS.token),
    jwks_uri: endpointUrl(config, ENDPOINT_PATHS.jwks),
    userinfo_endpoint: endpointUrl(config, ENDPOINT_PATHS.userinfo),
    revocation_endpoint: endpointUrl(config, ENDPOINT_PATHS.revocation),
    introspection_endpoint: endpointUrl(config, ENDPOINT_PATHS.introspection),
    // OIDC RP-Initiated Logout 1.0 §2.1.
    end_session_endpoint: endpointUrl(config, ENDPOINT_PATHS.logout),
    scopes_supported: scopeNames,
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: SUPPORTED_GRANT_TYPES,
    // "none": public clients redeem codes with client_id alone, PKCE being their proof.
    token_endpoint_auth_methods_supported: [...CLIENT_AUTHENTICATION_METHODS, "none"],
    // Public clients revoke their own tokens with client_id alone; introspection needs a confidential client.
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTHENTICATION_METHODS, "none"],
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTHENTICATION_METHODS],
    // PKCE is required for every authorization request, S256 only.
    code_challenge_methods_supported: ["S256"],
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [...SUPPORTED_SIGNING_ALGORITHMS],
    // What an ID token can carry (lib/oauth/idTokens.ts); the claims request parameter is not supported.
    claims_supported: [...ID_TOKEN_CLAIMS_SUPPORTED],
    claims_parameter_supported: false,
    access_token_signing_alg_values_supported: [...SUPPORTED_SIGNING_ALGORITHMS],
  };
}

const metadataHeaders = {
  "Content-Type": "application/json",
  "Cache-Control": "public, max-age=60",
  "Access-Control-Allow-Origin": "*",
};

/** One handler serves both well-known paths; the document is rebuilt when the scope names change. */
export function createDiscoveryEndpoint(deps: DiscoveryDeps): DocumentEndpoint {
  const cacheMs = deps.cacheMs ?? 5_000;
  let scopeNames: { key: string; at: number } | null = null;
  // The scope names as one JSON string: documentOf rebuilds the document when it differs.
  const readScopeNames = async () => {
    if (!scopeNames || Date.now() - scopeNames.at >= cacheMs) {
      scopeNames = { key: JSON.stringify(await deps.scopes.listScopeNames()), at: Date.now() };
    }
    return scopeNames.key;
  };
  return documentEndpoint(
    documentOf(readScopeNames, (names) => publicDocument(JSON.stringify(buildServerMetadata(deps.config, JSON.parse(names))), metadataHeaders)),
  );
}
