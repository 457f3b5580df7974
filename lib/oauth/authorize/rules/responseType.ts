// response_type and response_mode: the authorization code flow only
// (RFC 6749 §3.1.1, §4.1.1; RFC 9700 §2.1.2 drops the implicit grant), and its
// default response mode, query (OAuth 2.0 Multiple Response Type Encoding Practices §2.1, §5).
import { OAuthError } from "../../errors";
import type { FormParameters } from "../../http";

/** response_type is REQUIRED (RFC 6749 §3.1.1) and must be "code" (§4.1.2.1 unsupported_response_type otherwise). */
export function requireCodeResponseType(params: FormParameters): void {
  const responseType = params.get("response_type");
  if (!responseType) throw new OAuthError("invalid_request", "The response_type parameter is missing; use response_type=code.");
  if (responseType !== "code") {
    throw new OAuthError("unsupported_response_type", `Only response_type=code is supported (got '${responseType}').`);
  }
}

export function requireQueryResponseMode(params: FormParameters): void {
  const responseMode = params.get("response_mode");
  if (responseMode !== undefined && responseMode !== "query") throw new OAuthError("invalid_request", "Only response_mode=query is supported.");
}
