// Where the browser goes after signing in. Only two kinds of target exist:
// the authorization endpoint resuming an interaction, or a path on this site.
// Anything else (absolute URLs, scheme-relative "//host", "/\host" which
// browsers treat like "//host", control characters) falls back to "/".

import { SEALED_INTERACTION } from "../oauth/sealedInteraction";

/** An interaction id: 256 random bits, base64url (43 characters). */
export const INTERACTION_ID = /^[A-Za-z0-9_-]{43}$/;

export const AUTHORIZE_RESUME_PATH = "/connect/authorize";

/**
 * An interaction reference the login page may carry on: a stored interaction's
 * id, or a sealed request (base64url, bounded; only the authorization endpoint
 * can open it). Either is safe to put into the resume URL as it is.
 */
export function isInteractionId(value: unknown): value is string {
  return typeof value === "string" && (INTERACTION_ID.test(value) || SEALED_INTERACTION.test(value));
}

/**
 * `value` if it is a same-origin path, else null: it must start with a single
 * "/" (not "//" nor "/\"), hold no backslash, control character or whitespace
 * (browsers strip tabs and newlines, which would turn "/\t/evil" into
 * "//evil"), and resolve to this origin.
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith("/") || value.startsWith("//")) return null;
  if (/[\\\s\u0000-\u001f\u007f-\u009f]/.test(value)) return null;
  // Belt and braces: the path must not change origin once a browser resolves it.
  const base = "https://gatehouse.invalid";
  let resolved: URL;
  try {
    resolved = new URL(value, base);
  } catch {
    return null;
  }
  if (resolved.origin !== base) return null;
  return value;
}

/** The 303 target after a successful sign-in. */
export function postSignInLocation(target: { interaction?: unknown; returnTo?: unknown }): string {
  if (isInteractionId(target.interaction)) return `${AUTHORIZE_RESUME_PATH}?interaction=${target.interaction}`;
  return safeReturnPath(target.returnTo) ?? "/";
}
