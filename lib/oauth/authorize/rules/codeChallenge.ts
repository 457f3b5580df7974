// PKCE for every client (RFC 9700 §2.1.1), S256 only (RFC 7636 §4.2, §4.3;
// RFC 9700 §2.1.1: plain is not allowed here).
import { OAuthError } from "../../errors";
import type { FormParameters } from "../../http";
import { isValidS256Challenge } from "../../pkce";

/** The request's code_challenge, with code_challenge_method=S256 (the default, plain, is refused: RFC 7636 §4.3). */
export function requireS256CodeChallenge(params: FormParameters): string {
  const challenge = params.get("code_challenge");
  const method = params.get("code_challenge_method");
  if (!challenge) {
    throw new OAuthError(
      "invalid_request",
      method ? "code_challenge_method was sent without code_challenge." : "PKCE is required: send code_challenge and code_challenge_method=S256 (RFC 7636).",
    );
  }
  if (method !== "S256") {
    throw new OAuthError(
      "invalid_request",
      `Only code_challenge_method=S256 is supported${method ? ` (got '${method}')` : "; the default, plain, is not allowed"}.`,
    );
  }
  if (!isValidS256Challenge(challenge)) throw new OAuthError("invalid_request", "code_challenge must be the 43-character base64url SHA-256 of the code verifier.");
  return challenge;
}
