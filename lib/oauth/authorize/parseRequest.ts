// The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), read by
// small pure checks (./rules, one per rule) in the order their refusals are
// reported. The endpoint (lib/oauth/authorize.ts) supplies what comes from
// outside, between the steps:
//
//   1. requireClientId            — then the endpoint looks the client up
//   2. readRedirectTarget         — where answers go; until here refusals are pages
//   3. readRequestedScopes        — then the endpoint reads the scopes' records
//   4. parseCodeRequest           — the rest; from step 3 on refusals go to the client
//   5. expectedSubjectOf (rules)  — once the endpoint has verified an id_token_hint
//
// Refusals are thrown: a PageRefusal (./pages) in steps 1–2, an OAuthError after.
import type { FormParameters } from "../http";
import type { ClientRecord, ScopeRecord, ValidatedAuthorizationRequest } from "../ports";
import { checkClientScopes, parseScopeParameter, type ResolvedScopes } from "../scopes";
import { requireCodeFlowPermissions, requireRefreshGrantForOfflineAccess } from "./rules/clientPermissions";
import { requireS256CodeChallenge } from "./rules/codeChallenge";
import { readMaxAge } from "./rules/maxAge";
import { rejectOversizedParameters } from "./rules/parameterSize";
import { readPrompt } from "./rules/prompt";
import { chooseRedirectUri } from "./rules/redirectUri";
import { rejectRequestObjects } from "./rules/requestObjects";
import { requireCodeResponseType, requireQueryResponseMode } from "./rules/responseType";
import { returnableState } from "./rules/state";

export { requireClientId, isClientIdSyntax, requireEnabledClient } from "./rules/clientId";
export { expectedSubjectOf } from "./rules/idTokenHint";

/** Where the answer to a request goes (RFC 6749 §4.1.2, §4.1.2.1). */
export interface RedirectTarget {
  redirectUri: string;
  /** Whether redirect_uri was sent (RFC 6749 §4.1.3). */
  redirectUriProvided: boolean;
  /** Returned with the answer, unchanged (RFC 6749 §4.1.2). */
  state: string | null;
}

/** Step 2: the redirect URI and the state; a refusal is a page. */
export function readRedirectTarget(params: FormParameters, client: ClientRecord): RedirectTarget {
  const { redirectUri, provided } = chooseRedirectUri(params, client);
  return { redirectUri, redirectUriProvided: provided, state: returnableState(params) };
}

/** Step 3: the checks that need no scope records, ending with the scopes asked for (RFC 6749 §3.3). */
export function readRequestedScopes(params: FormParameters, client: ClientRecord): string[] {
  rejectOversizedParameters(params); // decision 0010
  params.rejectRepeated(); // RFC 6749 §3.1
  rejectRequestObjects(params); // OIDC Core §6
  requireCodeResponseType(params); // RFC 6749 §3.1.1
  requireQueryResponseMode(params);
  requireCodeFlowPermissions(client); // RFC 6749 §4.1.2.1
  return parseScopeParameter(params.get("scope")); // RFC 6749 §3.3
}

export interface ParsedCodeRequest {
  /** The request as kept while the user signs in and consents (expectedSubject is step 5's). */
  request: ValidatedAuthorizationRequest;
  /** The granted-if-consented scopes with their records and audiences. */
  scopes: ResolvedScopes;
  /** The id_token_hint as sent, for the endpoint to verify (step 5); undefined without one. */
  idTokenHint: string | undefined;
}

/** Step 4: with the records of the requested scopes (`records`, any order), the rest of the request. */
export function parseCodeRequest(
  params: FormParameters,
  client: ClientRecord,
  target: RedirectTarget,
  requested: string[],
  records: ScopeRecord[],
): ParsedCodeRequest {
  const scopes = checkClientScopes(client, requested, records); // RFC 6749 §3.3, lib/oauth/scopes.ts
  requireRefreshGrantForOfflineAccess(client, requested); // OIDC Core §11
  const codeChallenge = requireS256CodeChallenge(params); // RFC 7636, RFC 9700 §2.1.1
  const prompt = readPrompt(params); // OIDC Core §3.1.2.1
  const maxAge = readMaxAge(params); // OIDC Core §3.1.2.1
  return {
    request: {
      clientId: client.clientId,
      redirectUri: target.redirectUri,
      redirectUriProvided: target.redirectUriProvided,
      scopes: requested,
      state: target.state,
      nonce: params.get("nonce") ?? null,
      codeChallenge,
      codeChallengeMethod: "S256",
      prompt,
      maxAge,
      loginHint: params.get("login_hint") ?? null,
    },
    scopes,
    idTokenHint: params.get("id_token_hint"),
  };
}
