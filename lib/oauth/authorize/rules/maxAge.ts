// max_age (OIDC Core §3.1.2.1): the most seconds since the user last
// authenticated; past it, the user signs in again.
import { OAuthError } from "../../errors";
import type { FormParameters } from "../../http";

/** Above ten years max_age is a mistake, not a policy. */
const MAX_AGE_LIMIT = 10 * 365 * 24 * 3600;
const DIGITS = /^\d{1,10}$/;

/** Seconds, or null when max_age was not sent. */
export function readMaxAge(params: FormParameters): number | null {
  const text = params.get("max_age");
  if (text === undefined) return null;
  if (!DIGITS.test(text) || Number(text) > MAX_AGE_LIMIT) throw new OAuthError("invalid_request", "max_age must be a non-negative number of seconds.");
  return Number(text);
}
