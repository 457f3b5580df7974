// /api/v1/clients: the dashboard's client operations with RFC 7591 client
// metadata names (client_name, redirect_uris, grant_types, scope, ...). The
// body is translated into the dashboard form's values and checked by the form's
// own schema (lib/forms/clientForm.ts), so every rule is the dashboard's; its
// messages come back under the metadata names. Clients are addressed by client_id.
import { z } from "zod";
import { findClientByApplicationId, listClients } from "../db/clientAdmin";
import { createClientStore } from "../db/repositories";
import {
  CONSENT_TYPES,
  clientFormValuesFromClient,
  createClientSchema,
  GRANT_TYPES,
  LIFETIME_FIELD_NAMES,
  LIFETIME_FIELDS,
  updateClientSchema,
  type ClientFormValues,
  type LifetimeField,
} from "../forms/clientForm";
import type { ClientRecord } from "../oauth/ports";
import {
  createClientOperation,
  deleteClientOperation,
  rotateClientSecretOperation,
  setClientEnabledOperation,
  updateClientOperation,
} from "./clientOperations";
import type { OperationContext } from "./context";
import { answerOf, fieldProblems, invalidInput, notFound, route, type FieldNames } from "./routes";

const TAG = "Clients";

/** RFC 7591 §2 names (and Gatehouse's own, for settings the RFC does not name) of the form's fields. */
export const CLIENT_FIELD_NAMES: FieldNames = {
  clientId: "client_id",
  displayName: "client_name",
  clientType: "token_endpoint_auth_method",
  consentType: "consent_type",
  redirectUris: "redirect_uris",
  postLogoutRedirectUris: "post_logout_redirect_uris",
  grantTypes: "grant_types",
  scopes: "scope",
  accessTokenLifetime: "access_token_lifetime",
  authorizationCodeLifetime: "authorization_code_lifetime",
  idTokenLifetime: "id_token_lifetime",
  refreshTokenLifetime: "refresh_token_lifetime",
  refreshTokenAbsoluteLifetime: "refresh_token_absolute_lifetime",
  idTokenSigningAlg: "id_token_signed_response_alg",
  accessTokenSigningAlg: "access_token_signed_response_alg",
};

/** RFC 7591 §2: none is a public client; either secret method means a confidential one (both are accepted at the token endpoint). */
const AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"] as const;
const SIGNING_ALGS = ["RS256", "ES256"] as const;
/** One URI per element: the form's rules apply to each; a line break would smuggle in a second. */
const uri = z.string().max(2000).regex(/^[^\r\n]*$/, "A URI cannot contain a line break.");

const lifetime = (name: LifetimeField) =>
  z
    .int()
    .nullable()
    .default(null)
    .describe(`${LIFETIME_FIELDS[name].label} in seconds (${LIFETIME_FIELDS[name].min}–${LIFETIME_FIELDS[name].max}); null: the server default.`);

/** The client's settings (RFC 7591 names), shared by the API's bodies and config files (./configFile.ts). */
export const clientMetadataShape = {
  client_name: z.string().describe("Shown to users on the consent page."),
  token_endpoint_auth_method: z
    .enum(AUTH_METHODS)
    .default("client_secret_basic")
    .describe("none: a public client (browser or native app, PKCE only). client_secret_basic or client_secret_post: a confidential client with a secret (both methods are accepted)."),
  grant_types: z.array(z.enum(GRANT_TYPES)).default(["authorization_code"]).describe("client_credentials needs a confidential client; refresh_token needs authorization_code and the offline_access scope."),
  response_types: z.array(z.enum(["code"])).optional().describe('["code"] with authorization_code, else []; derived from grant_types when left out.'),
  redirect_uris: z.array(uri).default([]).describe("Compared exactly: https, http on a loopback host, or a reverse-domain private-use scheme."),
  post_logout_redirect_uris: z.array(uri).default([]),
  scope: z.string().default("").describe("Space-separated scopes the client may request (openid comes with authorization_code)."),
  consent_type: z.enum(CONSENT_TYPES).default("explicit"),
  access_token_lifetime: lifetime("accessTokenLifetime"),
  authorization_code_lifetime: lifetime("authorizationCodeLifetime"),
  id_token_lifetime: lifetime("idTokenLifetime"),
  refresh_token_lifetime: lifetime("refreshTokenLifetime"),
  refresh_token_absolute_lifetime: lifetime("refreshTokenAbsoluteLifetime"),
  id_token_signed_response_alg: z.enum(SIGNING_ALGS).nullable().default(null).describe("null: the server default (RS256)."),
  access_token_signed_response_alg: z.enum(SIGNING_ALGS).nullable().default(null).describe("null: the server default (GATEHOUSE_ACCESS_TOKEN_ALG)."),
};

export const clientCreateBody = z
  .strictObject({
    client_id: z.string().optional().describe("3 to 100 of A-Z a-z 0-9 . _ ~ -; generated when left out."),
    ...clientMetadataShape,
  })
  .meta({ title: "ClientCreate" });

export const clientUpdateBody = z
  .strictObject({
    client_id: z.string().optional().describe("If sent, it must be the client_id of the path: a client_id never changes."),
    ...clientMetadataShape,
    enabled: z.boolean().optional().describe("false: refused at every endpoint, its tokens not honoured."),
  })
  .meta({ title: "ClientUpdate", description: "The whole client: fields left out take their defaults, as on create." });

export type ClientMetadata = z.output<z.ZodObject<typeof clientMetadataShape>>;

const clientRepresentation = z
  .object({
    id: z.uuid().describe("The database id (the dashboard's /dashboard/clients/{id})."),
    client_id: z.string(),
    client_name: z.string(),
    token_endpoint_auth_method: z.enum(["none", "client_secret_basic"]),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    response_types: z.array(z.enum(["code"])),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    scope: z.string(),
    consent_type: z.enum(CONSENT_TYPES),
    access_token_lifetime: z.int().nullable(),
    authorization_code_lifetime: z.int().nullable(),
    id_token_lifetime: z.int().nullable(),
    refresh_token_lifetime: z.int().nullable(),
    refresh_token_absolute_lifetime: z.int().nullable(),
    id_token_signed_response_alg: z.enum(SIGNING_ALGS).nullable(),
    access_token_signed_response_alg: z.enum(SIGNING_ALGS).nullable(),
    enabled: z.boolean(),
    gatehouse_management_api: z.boolean().describe("Allowed the gatehouse:admin scope; set on the client's dashboard page only."),
  })
  .meta({ title: "Client" });

const clientWithSecret = clientRepresentation
  .extend({
    client_secret: z.string().optional().describe("Only in the answer that made it (create, rotation, a change to confidential); stored as a hash."),
    client_secret_expires_at: z.literal(0).optional().describe("RFC 7591 §3.2.1: 0, the secret does not expire."),
  })
  .meta({ title: "ClientWithSecret" });

const clientSummary = z
  .object({
    id: z.uuid(),
    client_id: z.string(),
    client_name: z.string(),
    token_endpoint_auth_method: z.enum(["none", "client_secret_basic"]),
    consent_type: z.enum(CONSENT_TYPES),
    enabled: z.boolean(),
  })
  .meta({ title: "ClientSummary" });

const pageQuery = z.strictObject({
  search: z.string().max(200).optional().describe("Part of the client_id or the name."),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

const clientIdParams = z.object({ client_id: z.string().min(1).max(200) });

/** The client as the API shows it: the dashboard form's reading of it, under the RFC 7591 names. */
export function clientMetadataOf(client: ClientRecord) {
  const values = clientFormValuesFromClient(client);
  const grants = values.grantTypes ?? [];
  const permitted = client.permissions.filter((permission) => permission.startsWith("scp:")).map((permission) => permission.slice(4));
  return {
    id: client.id,
    client_id: client.clientId,
    client_name: client.displayName,
    token_endpoint_auth_method: client.clientType === "public" ? ("none" as const) : ("client_secret_basic" as const),
    grant_types: grants,
    response_types: grants.includes("authorization_code") ? ["code" as const] : [],
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    scope: permitted.join(" "),
    consent_type: values.consentType,
    access_token_lifetime: client.accessTokenLifetime,
    authorization_code_lifetime: client.authorizationCodeLifetime,
    id_token_lifetime: client.idTokenLifetime,
    refresh_token_lifetime: client.refreshTokenLifetime,
    refresh_token_absolute_lifetime: client.refreshTokenAbsoluteLifetime,
    id_token_signed_response_alg: client.idTokenSigningAlg,
    access_token_signed_response_alg: client.accessTokenSigningAlg,
    enabled: client.enabled,
    gatehouse_management_api: client.managementApi,
  };
}

/** RFC 7591 §2.1: response_types must agree with grant_types (code ⇔ authorization_code); what is wrong, or null. */
export function responseTypesProblem(metadata: ClientMetadata): string | null {
  if (metadata.response_types === undefined) return null;
  const wantsCode = metadata.grant_types.includes("authorization_code");
  if (metadata.response_types.includes("code") === wantsCode) return null;
  return wantsCode ? 'authorization_code needs the response type "code".' : 'The response type "code" needs the authorization_code grant.';
}

function checkResponseTypes(metadata: ClientMetadata): void {
  const detail = responseTypesProblem(metadata);
  if (detail) throw invalidInput([{ pointer: "#/response_types", detail }]);
}

/** The metadata as the dashboard form's values, so that the form's schema checks them. */
export function clientFormValuesOf(metadata: ClientMetadata): Omit<ClientFormValues, "clientId"> {
  const lifetimes = Object.fromEntries(
    LIFETIME_FIELD_NAMES.map((name) => [name, metadata[CLIENT_FIELD_NAMES[name] as keyof ClientMetadata] === null ? "" : String(metadata[CLIENT_FIELD_NAMES[name] as keyof ClientMetadata])]),
  ) as Record<LifetimeField, string>;
  return {
    displayName: metadata.client_name,
    clientType: metadata.token_endpoint_auth_method === "none" ? "public" : "confidential",
    consentType: metadata.consent_type,
    redirectUris: metadata.redirect_uris.join("\n"),
    postLogoutRedirectUris: metadata.post_logout_redirect_uris.join("\n"),
    grantTypes: metadata.grant_types,
    scopes: metadata.scope.split(" ").filter((name) => name !== ""),
    ...lifetimes,
    idTokenSigningAlg: metadata.id_token_signed_response_alg ?? "",
    accessTokenSigningAlg: metadata.access_token_signed_response_alg ?? "",
  };
}

function checkedBy<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const result = schema.safeParse(values);
  if (!result.success) throw invalidInput(fieldProblems(result.error.issues, "body", CLIENT_FIELD_NAMES));
  return result.data;
}

async function clientByClientId(operation: OperationContext, clientId: string): Promise<ClientRecord> {
  const client = await createClientStore(operation.db).findClientByClientId(clientId);
  if (!client) throw notFound(`There is no client with the client_id ${clientId}.`);
  return client;
}

/** The saved client, read again, with the secret that was made for it (if one was). */
async function savedClient(operation: OperationContext, id: string, secret: string | null) {
  const client = await findClientByApplicationId(operation.db, id);
  if (!client) throw notFound("The client was deleted meanwhile.");
  return { ...clientMetadataOf(client), ...(secret ? { client_secret: secret, client_secret_expires_at: 0 as const } : {}) };
}

export const clientRoutes = [
  route({
    method: "GET",
    path: "/clients",
    operationId: "listClients",
    tag: TAG,
    summary: "List clients",
    description: "20 a page, by name.",
    query: pageQuery,
    success: {
      status: 200,
      description: "One page of clients.",
      schema: z.object({ clients: z.array(clientSummary), page: z.int(), has_next: z.boolean() }),
    },
    async run({ query, operation }) {
      const result = await listClients(operation.db, { search: query.search, page: query.page });
      return {
        status: 200,
        body: {
          clients: result.clients.map((client) => ({
            id: client.id,
            client_id: client.clientId,
            client_name: client.displayName,
            token_endpoint_auth_method: client.clientType === "public" ? "none" : "client_secret_basic",
            consent_type: client.consentType,
            enabled: client.enabled,
          })),
          page: query.page,
          has_next: result.hasNext,
        },
      };
    },
  }),
  route({
    method: "POST",
    path: "/clients",
    operationId: "createClient",
    tag: TAG,
    summary: "Create a client",
    description: "A confidential client's secret is in this answer only.",
    body: clientCreateBody,
    success: { status: 201, description: "The client, with client_secret when confidential.", schema: clientWithSecret },
    problems: [409],
    async run({ body, operation }) {
      checkResponseTypes(body);
      const input = checkedBy(createClientSchema, { clientId: body.client_id ?? "", ...clientFormValuesOf(body) });
      const result = await createClientOperation(operation, input);
      const saved = answerOf(result, (data) => ({ status: 201, body: data }), CLIENT_FIELD_NAMES).body as { id: string; secret: string | null };
      return { status: 201, body: await savedClient(operation, saved.id, saved.secret) };
    },
  }),
  route({
    method: "GET",
    path: "/clients/{client_id}",
    operationId: "getClient",
    tag: TAG,
    summary: "Read a client",
    params: clientIdParams,
    success: { status: 200, description: "The client.", schema: clientRepresentation },
    problems: [404],
    async run({ params, operation }) {
      return { status: 200, body: clientMetadataOf(await clientByClientId(operation, params.client_id)) };
    },
  }),
  route({
    method: "PUT",
    path: "/clients/{client_id}",
    operationId: "updateClient",
    tag: TAG,
    summary: "Replace a client's settings",
    description: "Making a public client confidential answers its new client_secret; making it public drops its secret.",
    params: clientIdParams,
    body: clientUpdateBody,
    success: { status: 200, description: "The client.", schema: clientWithSecret },
    problems: [404],
    async run({ params, body, operation }) {
      if (body.client_id !== undefined && body.client_id !== params.client_id) {
        throw invalidInput([{ pointer: "#/client_id", detail: "A client_id cannot change; leave it out or send the one in the path." }]);
      }
      checkResponseTypes(body);
      const client = await clientByClientId(operation, params.client_id);
      const input = checkedBy(updateClientSchema, { id: client.id, ...clientFormValuesOf(body) });
      const result = await updateClientOperation(operation, input);
      const saved = answerOf(result, (data) => ({ status: 200, body: data }), CLIENT_FIELD_NAMES).body as { id: string; secret: string | null };
      if (body.enabled !== undefined && body.enabled !== client.enabled) {
        answerOf(await setClientEnabledOperation(operation, { id: client.id, enabled: body.enabled }), () => ({ status: 200 }));
      }
      return { status: 200, body: await savedClient(operation, saved.id, saved.secret) };
    },
  }),
  route({
    method: "DELETE",
    path: "/clients/{client_id}",
    operationId: "deleteClient",
    tag: TAG,
    summary: "Delete a client",
    description: "Its consents and every token issued to it go with it.",
    params: clientIdParams,
    success: { status: 204, description: "Deleted." },
    problems: [404],
    async run({ params, operation }) {
      const client = await clientByClientId(operation, params.client_id);
      return answerOf(await deleteClientOperation(operation, { id: client.id }), () => ({ status: 204 }));
    },
  }),
  route({
    method: "POST",
    path: "/clients/{client_id}/secret",
    operationId: "rotateClientSecret",
    tag: TAG,
    summary: "Rotate a confidential client's secret",
    description: "The old secret is refused from the next request on.",
    params: clientIdParams,
    success: {
      status: 200,
      description: "The new secret (shown once).",
      schema: z.object({ client_id: z.string(), client_secret: z.string(), client_secret_expires_at: z.literal(0) }),
    },
    problems: [404],
    async run({ params, operation }) {
      const client = await clientByClientId(operation, params.client_id);
      return answerOf(await rotateClientSecretOperation(operation, { id: client.id }), (data) => ({
        status: 200,
        body: { client_id: data.clientId, client_secret: data.secret, client_secret_expires_at: 0 },
      }));
    },
  }),
];
