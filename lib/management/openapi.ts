// The OpenAPI 3.1 document of the management API, written from the route list
// (./routes.ts) and its zod schemas with zod 4's own z.toJSONSchema (JSON
// Schema 2020-12, the dialect OpenAPI 3.1 uses). Checks a JSON Schema cannot
// say (a redirect URI's rules, fields that depend on each other) are in the
// descriptions and in the problem answers, not in the schema.
import { z } from "zod";
import type { OAuthServerConfig } from "../oauth/config";
import { MANAGEMENT_API_PATH, MANAGEMENT_SCOPE, managementAudience } from "../oauth/managementScope";
import { ENDPOINT_PATHS, endpointUrl } from "../oauth/config";
import { PROBLEM_CONTENT_TYPE } from "./problems";
import type { ApiRoute } from "./routes";

export const OPENAPI_PATH = "/openapi.json";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as JsonSchema;
  return rest;
}

const problemSchema = z
  .object({
    type: z.string().describe("A URN naming the kind of problem, e.g. urn:gatehouse:problem:invalid-input."),
    title: z.string(),
    status: z.int(),
    detail: z.string().describe("What went wrong and what to change."),
    errors: z
      .array(
        z.union([
          z.object({ pointer: z.string().describe("JSON pointer into the request body, e.g. #/redirect_uris/0."), detail: z.string() }),
          z.object({ parameter: z.string().describe("A path or query parameter."), detail: z.string() }),
        ]),
      )
      .optional()
      .describe("Each invalid field (400 only)."),
  })
  .meta({ title: "Problem", description: "RFC 9457 problem details." });

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input (the fields are listed in errors).",
  401: "No access token, or one that is invalid, expired, revoked, not meant for this API, or whose client is no longer allowed (WWW-Authenticate: Bearer, RFC 6750 §3.1).",
  403: `The token lacks the scope ${MANAGEMENT_SCOPE} (insufficient_scope).`,
  404: "No such resource.",
  409: "Conflicts with the current state (a taken name, the last administrator, a scope in use).",
};

/** Path, query: one parameter per field of the object schema. */
function parametersOf(schema: z.ZodType | undefined, location: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === "path" || (object.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function operationOf(route: ApiRoute): JsonSchema {
  const problems = [400, 401, 403, ...(route.problems ?? [])];
  const responses: Record<string, JsonSchema> = {
    [route.success.status]: {
      description: route.success.description,
      ...(route.success.schema ? { content: { "application/json": { schema: jsonSchema(route.success.schema, "output") } } } : {}),
    },
  };
  for (const status of problems) {
    responses[status] = {
      description: PROBLEM_DESCRIPTIONS[status] ?? "A problem.",
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: "#/components/schemas/Problem" } } },
    };
  }
  return {
    operationId: route.operationId,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    parameters: [...parametersOf(route.params, "path"), ...parametersOf(route.query, "query")],
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } } } : {}),
    responses,
  };
}

export function openApiDocument(routes: readonly ApiRoute[], config: Pick<OAuthServerConfig, "issuer">): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operationOf(route) };
  }
  const problem = jsonSchema(problemSchema, "output");
  return {
    openapi: "3.1.0",
    info: {
      title: "Gatehouse management API",
      version: "1",
      description:
        `Clients, scopes, users, authorizations and tokens, signing keys and the audit log: the operations of the dashboard. ` +
        `Call it with an access token from the client_credentials grant for the scope ${MANAGEMENT_SCOPE} (audience ${managementAudience(config)}), ` +
        "which only clients an administrator allowed on their dashboard page can obtain. Every change is recorded in the audit log with the calling client as its actor.",
    },
    servers: [{ url: managementAudience(config) }],
    security: [{ clientCredentials: [MANAGEMENT_SCOPE] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Problem: problem },
      securitySchemes: {
        clientCredentials: {
          type: "oauth2",
          description: `A bearer access token (RFC 6750) for ${MANAGEMENT_SCOPE}.`,
          flows: { clientCredentials: { tokenUrl: endpointUrl(config, ENDPOINT_PATHS.token), scopes: { [MANAGEMENT_SCOPE]: "Administer Gatehouse." } } },
        },
      },
    },
  };
}

export const MANAGEMENT_OPENAPI_URL_PATH = `${MANAGEMENT_API_PATH}${OPENAPI_PATH}`;
