// The dashboard's client form: the fields, the rules the browser
// (react-hook-form) and the server action both check with the same zod
// schemas, and the mapping from the admin's choices to the OpenIddict-style
// permission strings lib/oauth enforces. Framework-free and safe to import
// from client components: no node:*, no database.
//
// The schemas never change a value's type (a lifetime stays the string the
// input holds, redirect URIs stay the textarea's text): useActionForm sends
// the browser-parsed values to the server action, which parses them again.
// clientSettingsFromForm turns the checked strings into the stored shape.
import { z } from "zod";
import { Permissions, Requirements } from "../oauth/permissions";
import type { ClientRecord, SigningAlgorithm } from "../oauth/ports";

export const CLIENT_TYPES = ["public", "confidential"] as const;
export type ClientTypeChoice = (typeof CLIENT_TYPES)[number];

export const CONSENT_TYPES = ["explicit", "implicit", "external", "systematic"] as const;
export type ConsentTypeChoice = (typeof CONSENT_TYPES)[number];

/** The grants the token endpoint implements (lib/oauth/token.ts), in the order the form lists them. */
export const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
export type GrantTypeChoice = (typeof GRANT_TYPES)[number];

/** Sentences the form shows next to each choice (what lib/oauth/authorize.ts does with it). */
export const CONSENT_TYPE_CHOICES: readonly { value: ConsentTypeChoice; label: string; description: string }[] = [
  { value: "explicit", label: "Explicit", description: "Users are asked on a consent page; their answer is remembered until they need to grant more scopes." },
  { value: "implicit", label: "Implicit", description: "No consent page: consent is recorded automatically (for your own, trusted apps)." },
  { value: "external", label: "External", description: "No consent page: only users an administrator has already authorized get in; others get consent_required." },
  { value: "systematic", label: "Systematic", description: "Users are asked every time; nothing is remembered." },
];

export const GRANT_TYPE_CHOICES: readonly { value: GrantTypeChoice; label: string; description: string }[] = [
  { value: "authorization_code", label: "Authorization code", description: "Users sign in through Gatehouse and the app gets tokens on their behalf (PKCE S256 always required)." },
  { value: "refresh_token", label: "Refresh token", description: "Keeps users signed in: the app asks for offline_access and swaps refresh tokens for new access tokens." },
  { value: "client_credentials", label: "Client credentials", description: "The app calls APIs as itself, with its secret; confidential clients only." },
];

/**
 * The algorithms a client's tokens may be signed with (lib/oauth/signingKeys.ts keeps a key for each);
 * "" is the server default: RS256 for ID tokens, which every relying party must accept (OIDC Core §15.1),
 * and GATEHOUSE_ACCESS_TOKEN_ALG (RS256 unless set) for access tokens.
 */
export const SIGNING_ALGORITHM_FIELDS = {
  idTokenSigningAlg: { label: "ID token signing algorithm" },
  accessTokenSigningAlg: { label: "Access token signing algorithm" },
} as const;
export type SigningAlgorithmField = keyof typeof SIGNING_ALGORITHM_FIELDS;
export const SIGNING_ALGORITHM_FIELD_NAMES = Object.keys(SIGNING_ALGORITHM_FIELDS) as SigningAlgorithmField[];
const SIGNING_ALGORITHM_VALUES = ["", "RS256", "ES256"] as const satisfies readonly ("" | SigningAlgorithm)[];
export const SIGNING_ALGORITHM_CHOICES: readonly { value: (typeof SIGNING_ALGORITHM_VALUES)[number]; label: string }[] = [
  { value: "", label: "Server default" },
  { value: "RS256", label: "RS256 (RSA): every OpenID Connect library accepts it" },
  { value: "ES256", label: "ES256 (ECDSA P-256): smaller and faster to sign; the app must support it" },
];

/** Seconds; what an empty field means is the server default, which the page shows next to each field. */
export const LIFETIME_FIELDS = {
  accessTokenLifetime: { label: "Access token lifetime", min: 60, max: 24 * 3600 },
  // lib/oauth/authorize.ts caps codes at AUTHORIZATION_CODE_MAX_LIFETIME (60 s; a unit test keeps the two equal).
  authorizationCodeLifetime: { label: "Authorization code lifetime", min: 10, max: 60 },
  idTokenLifetime: { label: "ID token lifetime", min: 60, max: 24 * 3600 },
  refreshTokenLifetime: { label: "Refresh token sliding lifetime", min: 300, max: 365 * 24 * 3600 },
  refreshTokenAbsoluteLifetime: { label: "Refresh token absolute lifetime", min: 300, max: 365 * 24 * 3600 },
} as const;
export type LifetimeField = keyof typeof LIFETIME_FIELDS;
export const LIFETIME_FIELD_NAMES = Object.keys(LIFETIME_FIELDS) as LifetimeField[];

export const MAX_REDIRECT_URIS = 20;
const MAX_URI_LENGTH = 2000;
/** RFC 8252 §7.3 loopback redirects; http is allowed nowhere else (RFC 9700 §2.6). */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** URL-safe, readable in a config file, and within RFC 6749's VSCHAR. */
const CLIENT_ID = /^[A-Za-z0-9._~-]{3,100}$/;
/** scope-token (RFC 6749 §3.3). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const OPENID = "openid";
const OFFLINE_ACCESS = "offline_access";

/**
 * Why `uri` cannot be registered as a (post-logout) redirect URI, or null when
 * it can: absolute, no fragment, https — or http on a loopback host, or a
 * private-use reverse-domain scheme for native apps (RFC 8252 §7.1). The URI
 * is stored exactly as typed: /connect/authorize compares strings exactly.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > MAX_URI_LENGTH) return `is longer than ${MAX_URI_LENGTH} characters`;
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) return "contains spaces or control characters";
  if (uri.includes("#")) return "has a fragment (#…), which redirect URIs may not have";
  if (uri.includes("*")) return "has a wildcard; redirect URIs are compared exactly, so list each one";
  const scheme = URI_SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (!scheme) return "is not an absolute URL; write it in full, like https://app.example.com/callback";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not a valid URL";
  }
  if (url.username || url.password) return "contains a user name or password";
  // WHATWG URL reads https:///cb as https://cb/; the string as typed must have its host where it belongs.
  if ((scheme === "https" || scheme === "http") && !/^https?:\/\/[^/?#\\]/i.test(uri)) return "has no host after the //";
  if (scheme === "https") return url.hostname ? null : "has no host";
  if (scheme === "http") {
    return LOOPBACK_HOSTS.has(url.hostname) ? null : "uses http; use https (plain http is allowed only on localhost, 127.0.0.1 and [::1])";
  }
  // RFC 8252 §7.1: a native app's private-use scheme is a reverse domain name (com.example.app:/callback).
  if (scheme.includes(".")) return null;
  return `uses the scheme ${scheme}:, which is not allowed; use https, http on a loopback address, or a reverse-domain scheme such as com.example.app:/callback`;
}

/** The non-empty lines of a textarea, trimmed, without repeats. */
export function splitLines(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== ""))];
}

const uriListField = z
  .string()
  .max(MAX_REDIRECT_URIS * (MAX_URI_LENGTH + 2), "That is too much text for a list of URIs.")
  .superRefine((text, ctx) => {
    const lines = splitLines(text);
    if (lines.length > MAX_REDIRECT_URIS) {
      ctx.addIssue({ code: "custom", message: `Enter at most ${MAX_REDIRECT_URIS} URIs.` });
      return;
    }
    for (const [index, line] of lines.entries()) {
      const problem = redirectUriProblem(line);
      if (problem) {
        const shown = line.length > 80 ? `${line.slice(0, 80)}…` : line;
        ctx.addIssue({ code: "custom", message: `${shown} ${problem}.${lines.length > 1 ? ` (line ${index + 1})` : ""}` });
        return;
      }
    }
  });

function lifetimeField(name: LifetimeField) {
  const { min, max } = LIFETIME_FIELDS[name];
  return z
    .string()
    .trim()
    .refine(
      (value) => value === "" || (/^\d{1,9}$/.test(value) && Number(value) >= min && Number(value) <= max),
      `Enter whole seconds from ${min} to ${max}, or leave it empty for the server default.`,
    );
}

/** The fields create and edit share. */
const clientFieldShape = {
  displayName: z
    .string()
    .trim()
    .min(1, "Enter a display name: users see it on the consent page.")
    .max(100, "Keep the display name to 100 characters.")
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "The display name contains control characters."),
  clientType: z.enum(CLIENT_TYPES, "Choose public or confidential."),
  consentType: z.enum(CONSENT_TYPES, "Choose a consent type."),
  redirectUris: uriListField,
  postLogoutRedirectUris: uriListField,
  grantTypes: z.array(z.enum(GRANT_TYPES, "Unknown grant type.")).max(GRANT_TYPES.length),
  scopes: z.array(z.string().max(200).regex(SCOPE_TOKEN, "That is not a scope name.")).max(200),
  accessTokenLifetime: lifetimeField("accessTokenLifetime"),
  authorizationCodeLifetime: lifetimeField("authorizationCodeLifetime"),
  idTokenLifetime: lifetimeField("idTokenLifetime"),
  refreshTokenLifetime: lifetimeField("refreshTokenLifetime"),
  refreshTokenAbsoluteLifetime: lifetimeField("refreshTokenAbsoluteLifetime"),
  idTokenSigningAlg: z.enum(SIGNING_ALGORITHM_VALUES, "Choose RS256, ES256 or the server default."),
  accessTokenSigningAlg: z.enum(SIGNING_ALGORITHM_VALUES, "Choose RS256, ES256 or the server default."),
};

type ClientFields = z.output<z.ZodObject<typeof clientFieldShape>>;

/** The rules between fields: which grants fit which client type, and what each grant needs. */
function checkClientRules(values: ClientFields, ctx: z.RefinementCtx) {
  const issue = (path: keyof ClientFields, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  const grants = new Set(values.grantTypes);
  if (grants.size === 0) issue("grantTypes", "Choose at least one grant type.");
  if (grants.has("client_credentials") && values.clientType === "public") {
    issue("grantTypes", "Client credentials needs a confidential client: a public client has no secret to prove who it is.");
  }
  if (grants.has("refresh_token") && !grants.has("authorization_code")) {
    issue("grantTypes", "Refresh tokens come from a user's sign-in: tick Authorization code too.");
  }
  if (grants.has("authorization_code") && splitLines(values.redirectUris).length === 0) {
    issue("redirectUris", "Enter at least one redirect URI: the authorization code flow sends the user back to one.");
  }
  if (!grants.has("authorization_code") && splitLines(values.postLogoutRedirectUris).length > 0) {
    issue("postLogoutRedirectUris", "Only clients that sign users in (authorization code) can send them back after sign-out.");
  }
  const offline = values.scopes.includes(OFFLINE_ACCESS);
  if (offline && !grants.has("refresh_token")) {
    issue("scopes", "offline_access needs the Refresh token grant: tick it, or untick offline_access.");
  } else if (!offline && grants.has("refresh_token")) {
    issue("scopes", "Tick offline_access: refresh tokens are issued only to apps that request it.");
  }
  const sliding = values.refreshTokenLifetime === "" ? null : Number(values.refreshTokenLifetime);
  const absolute = values.refreshTokenAbsoluteLifetime === "" ? null : Number(values.refreshTokenAbsoluteLifetime);
  if (sliding !== null && absolute !== null && absolute < sliding) {
    issue("refreshTokenAbsoluteLifetime", "The absolute lifetime cannot be shorter than the sliding lifetime.");
  }
}

/** What the form holds, for both create and edit (on edit, clientId is shown but not sent). */
export const clientFormSchema = z
  .object({
    clientId: z
      .string()
      .trim()
      .refine((value) => value === "" || CLIENT_ID.test(value), "Use 3 to 100 letters, digits, or . _ ~ - (or leave it empty to generate one)."),
    ...clientFieldShape,
  })
  .superRefine(checkClientRules);
export type ClientFormValues = z.input<typeof clientFormSchema>;

export const createClientSchema = clientFormSchema;

/** client_id is fixed once created: apps are configured with it and issued tokens carry it. */
export const updateClientSchema = z.object({ id: z.guid("Unknown client."), ...clientFieldShape }).superRefine(checkClientRules);
export type UpdateClientInput = z.input<typeof updateClientSchema>;

export const clientReferenceSchema = z.object({ id: z.guid("Unknown client.") });
export const clientEnabledSchema = z.object({ id: z.guid("Unknown client."), enabled: z.boolean() });
/** Marks a client for the management API (the gatehouse:admin scope), or unmarks it. */
export const clientManagementApiSchema = z.object({ id: z.guid("Unknown client."), managementApi: z.boolean() });

// ------------------------------------------------------- form ⇄ stored client

export type ClientLifetimes = Record<LifetimeField, number | null>;
export type ClientSigningAlgorithms = Record<SigningAlgorithmField, SigningAlgorithm | null>;

/** The form's choices in the shape they are stored in (checked values only). */
export interface ClientSettings {
  displayName: string;
  clientType: ClientTypeChoice;
  consentType: ConsentTypeChoice;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantTypeChoice[];
  /** Scope names the client may request (openid is implied by the authorization code grant). */
  scopes: string[];
  lifetimes: ClientLifetimes;
  /** null: the server default. */
  signingAlgorithms: ClientSigningAlgorithms;
}

export function clientSettingsFromForm(values: z.output<typeof clientFormSchema> | z.output<typeof updateClientSchema>): ClientSettings {
  const lifetime = (value: string) => (value === "" ? null : Number(value));
  return {
    displayName: values.displayName,
    clientType: values.clientType,
    consentType: values.consentType,
    redirectUris: splitLines(values.redirectUris),
    postLogoutRedirectUris: splitLines(values.postLogoutRedirectUris),
    grantTypes: GRANT_TYPES.filter((grant) => values.grantTypes.includes(grant)),
    scopes: [...new Set(values.scopes.filter((scope) => scope !== OPENID))],
    lifetimes: Object.fromEntries(LIFETIME_FIELD_NAMES.map((name) => [name, lifetime(values[name])])) as ClientLifetimes,
    signingAlgorithms: Object.fromEntries(SIGNING_ALGORITHM_FIELD_NAMES.map((name) => [name, values[name] === "" ? null : values[name]])) as ClientSigningAlgorithms,
  };
}

/** Permission kinds the form decides; any other permission on a client is kept as it is. */
const MANAGED_PERMISSION_PREFIXES = ["ept:", "gt:", "rst:", "scp:"];

export function isManagedPermission(permission: string): boolean {
  return MANAGED_PERMISSION_PREFIXES.some((prefix) => permission.startsWith(prefix));
}

/**
 * The permissions that make the client work at the endpoints for the chosen
 * grants and scopes: the token endpoint (and revocation of its own tokens)
 * for any grant; the authorization endpoint, response type code, logout and
 * openid for the authorization code flow; introspection for confidential
 * clients (a public client cannot authenticate there); a scp: per scope.
 */
export function clientPermissions(settings: Pick<ClientSettings, "clientType" | "grantTypes" | "scopes">): string[] {
  const grants = new Set(settings.grantTypes);
  const permissions: string[] = [];
  if (grants.has("authorization_code")) {
    permissions.push(Permissions.endpoint.authorization, Permissions.responseType("code"), Permissions.endpoint.logout);
  }
  if (grants.size > 0) permissions.push(Permissions.endpoint.token, Permissions.endpoint.revocation);
  if (settings.clientType === "confidential") permissions.push(Permissions.endpoint.introspection);
  for (const grant of GRANT_TYPES) if (grants.has(grant)) permissions.push(Permissions.grantType(grant));
  // openid needs no permission in lib/oauth/scopes.ts; it is recorded for the sign-in flow all the same (as OpenIddict does).
  if (grants.has("authorization_code")) permissions.push(Permissions.scope(OPENID));
  for (const scope of settings.scopes) if (scope !== OPENID) permissions.push(Permissions.scope(scope));
  return [...new Set(permissions)];
}

/** The new permission list: what the form decides, plus whatever else the client already had. */
export function mergePermissions(existing: readonly string[], decided: readonly string[]): string[] {
  return [...new Set([...decided, ...existing.filter((permission) => !isManagedPermission(permission))])];
}

/**
 * PKCE is always on: lib/oauth/authorize.ts requires an S256 challenge from
 * every client, so ft:pkce is stored for every client and the form shows it
 * as a fixed fact rather than a switch that would do nothing.
 */
export function clientRequirements(existing: readonly string[] = []): string[] {
  return [...new Set([Requirements.pkce, ...existing])];
}

type StoredClient = Pick<
  ClientRecord,
  "clientId" | "displayName" | "clientType" | "consentType" | "redirectUris" | "postLogoutRedirectUris" | "permissions" | LifetimeField | SigningAlgorithmField
>;

/** The edit form's starting values for a stored client (clientId left empty: it is not editable). */
export function clientFormValuesFromClient(client: StoredClient): ClientFormValues {
  const granted = (permission: string) => client.permissions.includes(permission);
  return {
    clientId: "",
    displayName: client.displayName,
    clientType: client.clientType,
    consentType: (CONSENT_TYPES as readonly string[]).includes(client.consentType) ? client.consentType : "explicit",
    redirectUris: client.redirectUris.join("\n"),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join("\n"),
    grantTypes: GRANT_TYPES.filter((grant) => granted(Permissions.grantType(grant))),
    scopes: client.permissions
      .filter((permission) => permission.startsWith("scp:"))
      .map((permission) => permission.slice("scp:".length))
      .filter((scope) => scope !== OPENID),
    ...(Object.fromEntries(LIFETIME_FIELD_NAMES.map((name) => [name, client[name] === null ? "" : String(client[name])])) as Record<LifetimeField, string>),
    idTokenSigningAlg: client.idTokenSigningAlg ?? "",
    accessTokenSigningAlg: client.accessTokenSigningAlg ?? "",
  };
}

/** A new client's starting values: a browser app signing users in. */
export const NEW_CLIENT_DEFAULTS: ClientFormValues = {
  clientId: "",
  displayName: "",
  clientType: "public",
  consentType: "explicit",
  redirectUris: "",
  postLogoutRedirectUris: "",
  grantTypes: ["authorization_code"],
  scopes: [],
  accessTokenLifetime: "",
  authorizationCodeLifetime: "",
  idTokenLifetime: "",
  refreshTokenLifetime: "",
  refreshTokenAbsoluteLifetime: "",
  idTokenSigningAlg: "",
  accessTokenSigningAlg: "",
};

/** What the create and update actions answer: the client, and a secret to show once when one was just made. */
export interface SavedClient {
  id: string;
  clientId: string;
  secret: string | null;
}

/** "3600" → "1 hour", "1209600" → "14 days": for the lifetime hints. */
export function describeDuration(seconds: number): string {
  const units: [number, string][] = [
    [24 * 3600, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const count = seconds / size;
      return `${count} ${name}${count === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}
