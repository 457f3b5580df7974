// The management API from a caller's side: a client marked for it on the
// dashboard (its own server action, as an admin), its gatehouse:admin token,
// and JSON calls. No test-runner imports: vitest and Playwright suites share it.
import { createClient, type CreatedClient } from "./adminRecords";
import { basicAuthorization, postForm, TOKEN_PATH } from "./oauth";
import { callServerAction } from "./serverActions";

export const MANAGEMENT_SCOPE = "gatehouse:admin";
export const API_BASE = "/api/v1";

/** Marks (or unmarks) a client for the management API the way its dashboard page does. */
export async function setManagementApi(base: string, adminCookie: string, id: string, managementApi: boolean): Promise<void> {
  const call = await callServerAction(base, {
    page: `/dashboard/clients/${id}`,
    filename: "app/dashboard/clients/actions.ts",
    exportedName: "setClientManagementApi",
    input: { id, managementApi },
    cookie: adminCookie,
  });
  if (!(call.result as { ok: boolean }).ok) throw new Error(`marking the client was refused: ${JSON.stringify(call.result)}`);
}

/** A new confidential client_credentials client, optionally marked for the API. */
export async function automationClient(base: string, adminCookie: string, { marked = true, scopes = [] as string[] } = {}): Promise<CreatedClient & { secret: string }> {
  const client = await createClient(base, adminCookie, "automation", {
    displayName: "Automation",
    clientType: "confidential",
    grantTypes: ["client_credentials"],
    scopes,
  });
  if (marked) await setManagementApi(base, adminCookie, client.id, true);
  return { ...client, secret: client.secret! };
}

/** The token endpoint's answer to a client_credentials request for `scope`. */
export function requestToken(base: string, client: { clientId: string; secret: string }, scope = MANAGEMENT_SCOPE): Promise<Response> {
  return postForm(base + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(client.clientId, client.secret) },
    body: { grant_type: "client_credentials", scope },
  });
}

export async function managementToken(base: string, client: { clientId: string; secret: string }): Promise<string> {
  const response = await requestToken(base, client);
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !body.access_token) throw new Error(`no management token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** One call: a JSON body when `body` is given, the token as Bearer when given. */
export async function callApi<T = Record<string, unknown>>(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(base + API_BASE + path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}
