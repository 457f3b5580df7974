// The scope form's fields, checked by the same zod schemas in the browser
// (react-hook-form) and in the dashboard's server actions. Framework-free and
// safe to import from client code.
import { z } from "zod";
import { isReservedScopeName, RESERVED_SCOPE_PREFIX } from "../oauth/managementScope";
import { idSchema, linesOf } from "./common";

/**
 * RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) — printable
 * ASCII without space, '"' and '\'. A scope's name is what clients put in
 * `scope=` and what "scp:<name>" permissions and issued tokens refer to.
 */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const MAX_SCOPE_NAME_LENGTH = 100;
export const MAX_RESOURCES = 20;
export const MAX_RESOURCE_LENGTH = 2000;

/**
 * The user claims a scope can release: the standard claims lib/oauth/claims.ts
 * (userClaimValue) knows how to fill. A claim outside this list would never
 * reach a token, so the form does not offer it. tests/unit/scopeForm.test.ts
 * keeps this list and userClaimValue in step.
 */
export const RELEASABLE_CLAIMS = [
  { name: "sub", label: "Subject identifier (sub)" },
  { name: "name", label: "Full name (name)" },
  { name: "preferred_username", label: "Username (preferred_username)" },
  { name: "email", label: "Email address (email)" },
  { name: "email_verified", label: "Email verified (email_verified)" },
  { name: "updated_at", label: "Profile last updated (updated_at)" },
] as const;

const CLAIM_NAMES = RELEASABLE_CLAIMS.map((claim) => claim.name) as [string, ...string[]];
const claimList = z.array(z.enum(CLAIM_NAMES, "Choose claims from the list.")).max(CLAIM_NAMES.length);

/** Why a resource line is not acceptable as an access-token audience, or null. */
export function resourceProblem(resource: string): string | null {
  if (resource.length > MAX_RESOURCE_LENGTH) return `"${resource.slice(0, 40)}…" is longer than ${MAX_RESOURCE_LENGTH} characters.`;
  if (/\s/.test(resource)) return `"${resource}" contains a space.`;
  // RFC 8707 §2: an absolute URI without a fragment. URNs ("urn:example:api") are absolute URIs too.
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return `"${resource}" is not an absolute URI or URN (for example https://api.example.com or urn:example:api).`;
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(resource)) return `"${resource}" does not start with a scheme such as https: or urn:.`;
  if (url.hash || resource.includes("#")) return `"${resource}" has a fragment (#…); resource indicators must not.`;
  return null;
}

/** The audiences typed into the resources box: one per line, blanks and repeats dropped. */
export function resourcesFromText(text: string): string[] {
  return [...new Set(linesOf(text))];
}

const resourcesText = z
  .string()
  .max(MAX_RESOURCES * (MAX_RESOURCE_LENGTH + 1), "That is too much text for the resources.")
  .superRefine((text, context) => {
    const resources = resourcesFromText(text);
    if (resources.length > MAX_RESOURCES) {
      context.addIssue({ code: "custom", message: `At most ${MAX_RESOURCES} resources per scope.` });
      return;
    }
    const problem = resources.map(resourceProblem).find((message) => message !== null);
    if (problem) context.addIssue({ code: "custom", message: problem });
  });

/** The editable fields; the name is set once, at creation (see scopeNameSchema). */
const scopeFields = z.object({
  displayName: z.string().trim().min(1, "Enter a display name (the consent screen's heading for this scope).").max(100, "At most 100 characters."),
  description: z.string().trim().max(500, "At most 500 characters."),
  /** Audiences, one per line (a textarea's text; see resourcesFromText). */
  resources: resourcesText,
  /** Claims released to the ID token and userinfo. */
  claims: claimList,
  /** Of those, the claims that also go into access tokens. */
  accessTokenClaims: claimList,
});

/** lib/oauth/claims.ts puts a claim into access tokens only when the scope also releases it. */
function accessTokenClaimsAreReleased(fields: { claims: string[]; accessTokenClaims: string[] }, context: z.RefinementCtx) {
  const outside = fields.accessTokenClaims.filter((claim) => !fields.claims.includes(claim));
  if (outside.length) {
    context.addIssue({
      code: "custom",
      path: ["accessTokenClaims"],
      message: `A claim can go into access tokens only if the scope releases it: also tick ${outside.join(", ")} under "Claims released".`,
    });
  }
}

/**
 * The scope's name. It cannot be changed after creation: clients hold it as
 * the permission "scp:<name>", consents and issued tokens carry it, and
 * client applications send it in their requests — a rename would silently
 * break all of them.
 */
export const scopeNameSchema = z
  .string()
  .trim()
  .min(1, "Enter the scope's name, as clients will request it (for example api or orders:read).")
  .max(MAX_SCOPE_NAME_LENGTH, `At most ${MAX_SCOPE_NAME_LENGTH} characters.`)
  .regex(SCOPE_TOKEN, 'Use printable ASCII characters without spaces, quotes (") or backslashes (RFC 6749 scope token).')
  // gatehouse:admin is granted by the server itself, to marked clients only (docs/decisions/0020-management-api.md).
  .refine((name) => !isReservedScopeName(name), `Names starting with ${RESERVED_SCOPE_PREFIX} are reserved for Gatehouse's own scopes.`);

export const scopeFieldsSchema = scopeFields.superRefine(accessTokenClaimsAreReleased);
export const createScopeSchema = scopeFields.extend({ name: scopeNameSchema }).superRefine(accessTokenClaimsAreReleased);
export const updateScopeSchema = scopeFields.extend({ id: idSchema }).superRefine(accessTokenClaimsAreReleased);
export const scopeIdSchema = z.object({ id: idSchema });

export type ScopeFields = z.input<typeof scopeFieldsSchema>;
export type CreateScopeInput = z.input<typeof createScopeSchema>;
export type UpdateScopeInput = z.input<typeof updateScopeSchema>;
