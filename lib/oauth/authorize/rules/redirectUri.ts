// redirect_uri (RFC 6749 §3.1.2, §4.1.1), refused on a page like the client_id:
// an unregistered or ambiguous one is never redirected to (RFC 6749 §4.1.2.1,
// RFC 9700 §4.1.1).
import { checkParameterSize, type FormParameters } from "../../http";
import type { ClientRecord } from "../../ports";
import { isRegisteredRedirectUri } from "../../redirectUris";
import { invalidRequestPage, unregisteredRedirectUriPage } from "../pages";

export interface ChosenRedirectUri {
  redirectUri: string;
  /** Whether redirect_uri was sent (then the token request must repeat it, RFC 6749 §4.1.3). */
  provided: boolean;
}

/**
 * The redirect URI answers go to: the one sent, sent once (RFC 6749 §3.1), within its size
 * limit (decision 0010) and registered for the client, compared as a string (RFC 9700 §4.1.3,
 * lib/oauth/redirectUris.ts); without one, the client's only registered URI (RFC 6749 §3.1.2.3:
 * with several registered, the request must say which).
 */
export function chooseRedirectUri(params: FormParameters, client: ClientRecord): ChosenRedirectUri {
  const count = params.count("redirect_uri");
  if (count > 1) throw invalidRequestPage("The redirect_uri parameter was sent more than once.");
  if (count === 1) {
    const requested = params.get("redirect_uri")!;
    const tooLong = checkParameterSize("redirect_uri", requested);
    if (tooLong) throw invalidRequestPage(tooLong);
    if (!isRegisteredRedirectUri(client, requested)) throw unregisteredRedirectUriPage(client.displayName);
    return { redirectUri: requested, provided: true };
  }
  if (client.redirectUris.length === 1) return { redirectUri: client.redirectUris[0]!, provided: false };
  throw invalidRequestPage("The request has no redirect_uri, and the application has several registered: it must say which one to use.");
}
