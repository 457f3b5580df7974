// Request objects (OIDC Core §6): neither `request` nor `request_uri` is
// supported, and saying so is the defined answer (OIDC Core §3.1.2.6).
import { OAuthError } from "../../errors";
import type { FormParameters } from "../../http";

export function rejectRequestObjects(params: FormParameters): void {
  if (params.has("request")) throw new OAuthError("request_not_supported", "Request objects (the request parameter) are not supported.");
  if (params.has("request_uri")) throw new OAuthError("request_uri_not_supported", "The request_uri parameter is not supported.");
}
