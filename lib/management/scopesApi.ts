// /api/v1/scopes: the dashboard's scope operations. Bodies are translated into
// the scope form's values and checked by its schemas (lib/forms/scopeForm.ts).
// Scopes are addressed by name (what clients request; it never changes).
import { z } from "zod";
import { findScopeForAdmin, listScopesForAdmin, type AdminScope } from "../db/scopeAdmin";
import { createScopeSchema, RELEASABLE_CLAIMS, updateScopeSchema } from "../forms/scopeForm";
import type { OperationContext } from "./context";
import { createScopeOperation, deleteScopeOperation, updateScopeOperation } from "./scopeOperations";
import { answerOf, fieldProblems, invalidInput, notFound, route, type FieldNames } from "./routes";

const TAG = "Scopes";

export const SCOPE_FIELD_NAMES: FieldNames = { displayName: "display_name", accessTokenClaims: "access_token_claims" };
const CLAIMS = RELEASABLE_CLAIMS.map((claim) => claim.name) as [string, ...string[]];

/** A scope's settings, shared by the API's bodies and config files (./configFile.ts). */
export const scopeFields = {
  display_name: z.string().describe("The consent page's heading for this scope."),
  description: z.string().default(""),
  resources: z.array(z.string().regex(/^[^\r\n]*$/, "A resource cannot contain a line break.")).default([]).describe("Audiences of access tokens carrying this scope (absolute URIs)."),
  claims: z.array(z.enum(CLAIMS)).default([]).describe("User claims released to the ID token and userinfo."),
  access_token_claims: z.array(z.enum(CLAIMS)).default([]).describe("Of those, the claims that also go into access tokens."),
};

const scopeCreateBody = z.strictObject({ name: z.string().describe("As clients request it; cannot change later."), ...scopeFields }).meta({ title: "ScopeCreate" });
const scopeUpdateBody = z.strictObject(scopeFields).meta({ title: "ScopeUpdate" });

const scopeRepresentation = z
  .object({
    id: z.uuid(),
    name: z.string(),
    display_name: z.string(),
    description: z.string(),
    resources: z.array(z.string()),
    claims: z.array(z.string()),
    access_token_claims: z.array(z.string()),
    standard: z.boolean().describe("Defined by OpenID Connect: cannot be deleted; its claims and resources are fixed."),
  })
  .meta({ title: "Scope" });

const nameParams = z.object({ name: z.string().min(1).max(200) });

function scopeOf(scope: AdminScope) {
  return {
    id: scope.id,
    name: scope.name,
    display_name: scope.displayName,
    description: scope.description,
    resources: scope.resources,
    claims: scope.claims,
    access_token_claims: scope.accessTokenClaims,
    standard: scope.standard,
  };
}

/** The body as the scope form's values, so that the form's schema checks them. */
export function scopeFormValuesOf(body: z.output<z.ZodObject<typeof scopeFields>>) {
  return {
    displayName: body.display_name,
    description: body.description,
    resources: body.resources.join("\n"),
    claims: body.claims,
    accessTokenClaims: body.access_token_claims,
  };
}

function checkedBy<S extends z.ZodType>(schema: S, values: unknown): z.output<S> {
  const result = schema.safeParse(values);
  if (!result.success) throw invalidInput(fieldProblems(result.error.issues, "body", SCOPE_FIELD_NAMES));
  return result.data;
}

async function scopeByName(operation: OperationContext, name: string): Promise<AdminScope> {
  const scope = (await listScopesForAdmin(operation.db)).find((candidate) => candidate.name === name);
  if (!scope) throw notFound(`There is no scope named ${name}.`);
  return scope;
}

async function savedScope(operation: OperationContext, id: string) {
  const found = await findScopeForAdmin(operation.db, id);
  if (!found) throw notFound("The scope was deleted meanwhile.");
  return scopeOf(found.scope);
}

export const scopeRoutes = [
  route({
    method: "GET",
    path: "/scopes",
    operationId: "listScopes",
    tag: TAG,
    summary: "List scopes",
    description: "Standard scopes first, then by name, each with the number of clients that may request it.",
    success: { status: 200, description: "Every scope.", schema: z.object({ scopes: z.array(scopeRepresentation.extend({ client_count: z.int() })) }) },
    async run({ operation }) {
      const scopes = await listScopesForAdmin(operation.db);
      return { status: 200, body: { scopes: scopes.map((scope) => ({ ...scopeOf(scope), client_count: scope.clientCount })) } };
    },
  }),
  route({
    method: "POST",
    path: "/scopes",
    operationId: "createScope",
    tag: TAG,
    summary: "Create a scope",
    body: scopeCreateBody,
    success: { status: 201, description: "The scope.", schema: scopeRepresentation },
    problems: [409],
    async run({ body, operation }) {
      const input = checkedBy(createScopeSchema, { name: body.name, ...scopeFormValuesOf(body) });
      const result = answerOf(await createScopeOperation(operation, input), (data) => ({ status: 201, body: data }), SCOPE_FIELD_NAMES);
      return { status: 201, body: await savedScope(operation, (result.body as { id: string }).id) };
    },
  }),
  route({
    method: "GET",
    path: "/scopes/{name}",
    operationId: "getScope",
    tag: TAG,
    summary: "Read a scope",
    params: nameParams,
    success: {
      status: 200,
      description: "The scope and the clients that may request it.",
      schema: scopeRepresentation.extend({ clients: z.array(z.object({ client_id: z.string(), client_name: z.string() })) }),
    },
    problems: [404],
    async run({ params, operation }) {
      const scope = await scopeByName(operation, params.name);
      const found = await findScopeForAdmin(operation.db, scope.id);
      if (!found) throw notFound(`There is no scope named ${params.name}.`);
      return {
        status: 200,
        body: { ...scopeOf(found.scope), clients: found.clients.map((client) => ({ client_id: client.clientId, client_name: client.displayName })) },
      };
    },
  }),
  route({
    method: "PUT",
    path: "/scopes/{name}",
    operationId: "updateScope",
    tag: TAG,
    summary: "Replace a scope's settings",
    description: "A standard scope's claims and resources are fixed; its texts and access-token claims can change.",
    params: nameParams,
    body: scopeUpdateBody,
    success: { status: 200, description: "The scope.", schema: scopeRepresentation },
    problems: [404, 409],
    async run({ params, body, operation }) {
      const scope = await scopeByName(operation, params.name);
      const input = checkedBy(updateScopeSchema, { id: scope.id, ...scopeFormValuesOf(body) });
      answerOf(await updateScopeOperation(operation, input), () => ({ status: 200 }), SCOPE_FIELD_NAMES);
      return { status: 200, body: await savedScope(operation, scope.id) };
    },
  }),
  route({
    method: "DELETE",
    path: "/scopes/{name}",
    operationId: "deleteScope",
    tag: TAG,
    summary: "Delete a scope",
    description: "Refused (409) for a standard scope and while a client may request it.",
    params: nameParams,
    success: { status: 204, description: "Deleted." },
    problems: [404, 409],
    async run({ params, operation }) {
      const scope = await scopeByName(operation, params.name);
      return answerOf(await deleteScopeOperation(operation, { id: scope.id }), () => ({ status: 204 }));
    },
  }),
];
