// Records a test makes for itself on a server other tests share: users,
// clients and scopes created through the dashboard's own server actions over
// HTTP (tests/helpers/serverActions.ts), signed in as the seeded
// administrator. A test that changes a user or a client changes its own, never
// the demo ones (alice, postman, spa) that other tests on the same server rely
// on. Names are unique per call. No test-runner imports: Playwright and vitest
// suites can both use it.
import { randomBytes } from "node:crypto";
import { NEW_CLIENT_DEFAULTS } from "@/lib/forms/clientForm";
import { callServerAction } from "./serverActions";

/** `prefix` plus 8 random hex digits: unique on a server shared by many tests (letters, digits and "-" only). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** The password every created user gets unless told otherwise (the forms ask for at least 12 characters). */
export const CREATED_USER_PASSWORD = "created-user-password";

export interface CreatedUser {
  id: string;
  username: string;
  password: string;
  email: string;
}

interface ActionAnswer<T> {
  ok: boolean;
  data?: T;
  message?: string;
}

function dataOf<T>(what: string, result: unknown): T {
  const answer = result as ActionAnswer<T>;
  if (!answer.ok) throw new Error(`creating ${what} was refused: ${JSON.stringify(result)}`);
  return answer.data as T;
}

/** A new enabled user (role user) who can sign in at once; the username starts with `prefix`. */
export async function createUser(
  base: string,
  adminCookie: string,
  prefix: string,
  options: { password?: string; email?: string; name?: string; emailVerified?: boolean } = {},
): Promise<CreatedUser> {
  const username = uniqueName(prefix);
  const password = options.password ?? CREATED_USER_PASSWORD;
  // example.net, not example.com: the user list's search tests look for the demo user's example.com.
  const email = options.email ?? `${username}@example.net`;
  const call = await callServerAction(base, {
    page: "/dashboard/users/new",
    filename: "app/dashboard/users/actions.ts",
    exportedName: "createUserAction",
    input: { username, email, name: options.name ?? "", emailVerified: options.emailVerified ?? true, password },
    cookie: adminCookie,
  });
  const { id } = dataOf<{ id: string }>(`user ${username}`, call.result);
  return { id, username, password, email };
}

export interface ClientSettings {
  displayName: string;
  clientType: "public" | "confidential";
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  grantTypes: ("authorization_code" | "refresh_token" | "client_credentials")[];
  /** Scope names the client may request (openid comes with the authorization code grant). */
  scopes: string[];
  consentType?: "explicit" | "implicit" | "external" | "systematic";
}

export interface CreatedClient {
  /** The database id (the dashboard's /dashboard/clients/<id>). */
  id: string;
  clientId: string;
  displayName: string;
  /** The one-time secret of a confidential client, null for a public one. */
  secret: string | null;
}

/** A new enabled client whose client_id starts with `prefix`, made like the dashboard's "New client" form. */
export async function createClient(base: string, adminCookie: string, prefix: string, settings: ClientSettings): Promise<CreatedClient> {
  const clientId = uniqueName(prefix);
  const call = await callServerAction(base, {
    page: "/dashboard/clients/new",
    filename: "app/dashboard/clients/actions.ts",
    exportedName: "createClient",
    // The form's own starting values (server defaults for lifetimes and algorithms), then the test's settings.
    input: {
      ...NEW_CLIENT_DEFAULTS,
      clientId,
      displayName: settings.displayName,
      clientType: settings.clientType,
      consentType: settings.consentType ?? "explicit",
      redirectUris: (settings.redirectUris ?? []).join("\n"),
      postLogoutRedirectUris: (settings.postLogoutRedirectUris ?? []).join("\n"),
      grantTypes: settings.grantTypes,
      scopes: settings.scopes,
    },
    cookie: adminCookie,
  });
  const saved = dataOf<{ id: string; clientId: string; secret: string | null }>(`client ${clientId}`, call.result);
  return { id: saved.id, clientId: saved.clientId, displayName: settings.displayName, secret: saved.secret };
}

export interface CreatedScope {
  id: string;
  name: string;
}

/** A new scope whose name starts with `prefix`, releasing no claims. */
export async function createScope(
  base: string,
  adminCookie: string,
  prefix: string,
  fields: { displayName: string; description?: string; resources?: string[] },
): Promise<CreatedScope> {
  const call = await callServerAction(base, {
    page: "/dashboard/scopes/new",
    filename: "app/dashboard/scopes/actions.ts",
    exportedName: "createScopeAction",
    input: {
      name: uniqueName(prefix),
      displayName: fields.displayName,
      description: fields.description ?? "",
      resources: (fields.resources ?? []).join("\n"),
      claims: [],
      accessTokenClaims: [],
    },
    cookie: adminCookie,
  });
  return dataOf<CreatedScope>("a scope", call.result);
}
