// The management API's OpenAPI 3.1 document is written from the same route list
// and zod schemas that check requests (lib/management/openapi.ts).
import { describe, expect, test } from "vitest";
import { MANAGEMENT_ROUTES } from "@/lib/management/allRoutes";
import { openApiDocument } from "@/lib/management/openapi";

const issuer = "https://id.example.com";
const document = openApiDocument(MANAGEMENT_ROUTES, { issuer }) as {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, { operationId: string; parameters: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

describe("the management API's OpenAPI document", () => {
  test("is OpenAPI 3.1 for {issuer}/api/v1, with one operation per route", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.servers).toEqual([{ url: `${issuer}/api/v1` }]);
    const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
    expect(operations.map((operation) => operation.operationId).sort()).toEqual(MANAGEMENT_ROUTES.map((route) => route.operationId).sort());
    expect(new Set(operations.map((operation) => operation.operationId)).size).toBe(operations.length);
  });

  test("every operation answers problems for 400, 401 and 403, and declares its path parameters", () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const operation of Object.values(methods)) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(["400", "401", "403"]));
        const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        expect(operation.parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name)).toEqual(names);
      }
    }
    expect(document.components.schemas.Problem).toMatchObject({ type: "object", required: expect.arrayContaining(["type", "title", "status", "detail"]) });
  });

  test("client bodies use the RFC 7591 metadata names", () => {
    const body = document.paths["/clients"]!.post!.requestBody as { content: { "application/json": { schema: { properties: Record<string, unknown> } } } };
    expect(Object.keys(body.content["application/json"].schema.properties)).toEqual(
      expect.arrayContaining(["client_id", "client_name", "redirect_uris", "grant_types", "response_types", "token_endpoint_auth_method", "scope", "post_logout_redirect_uris"]),
    );
  });
});
