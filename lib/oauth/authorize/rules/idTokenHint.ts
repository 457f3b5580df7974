// id_token_hint (OIDC Core §3.1.2.1): an ID token this server issued to this
// client, naming the user the client expects. Its signature is verified by the
// endpoint (lib/oauth/idTokenHint.ts) after every other check; this rule judges the outcome.
import { OAuthError } from "../../errors";
import type { IdTokenHintClaims } from "../../idTokenHint";
import type { ClientRecord } from "../../ports";

/** The subject the verified hint names, for this client; a hint that did not verify, or was issued to another client, is refused. */
export function expectedSubjectOf(hint: IdTokenHintClaims | null, client: ClientRecord): string {
  if (!hint || !hint.aud.includes(client.clientId)) {
    throw new OAuthError("invalid_request", "The id_token_hint is not an ID token this server issued to this client.");
  }
  return hint.sub;
}
