// The management API (/api/v1, docs/decisions/0020-management-api.md) as one
// framework-free Web handler: match the route, authenticate the caller (a
// marked client's gatehouse:admin token), check the path, query and JSON body
// with the route's zod schemas, run the operation the dashboard runs too, and
// answer JSON — or an RFC 9457 problem, never a stack trace or a 5xx for bad input.
import type { z } from "zod";
import type { Database } from "../db/client";
import type { ClientAddressReader } from "../oauth/audit";
import { MAX_BODY_BYTES } from "../oauth/http";
import { MANAGEMENT_API_PATH } from "../oauth/managementScope";
import type { AuditLog } from "../oauth/ports";
import { authenticateCaller, type CallerDeps } from "./authenticate";
import { clientActor, type OperationContext } from "./context";
import { OPENAPI_PATH, openApiDocument } from "./openapi";
import { jsonBody, problem, ProblemError, problemResponse } from "./problems";
import { fieldProblems, invalidInput, type ApiRoute } from "./routes";

export interface ManagementApiDeps extends CallerDeps {
  db: Database;
  audit: AuditLog;
  clientAddress?: ClientAddressReader;
  rotateSigningKeys: OperationContext["rotateSigningKeys"];
  routes: readonly ApiRoute[];
}

/** The methods the fast lane lets through to this handler (anything else is refused before a Request is built). */
export const MANAGEMENT_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Whether a request path is the management API's (server.ts's fast lane dispatches on it). */
export function isManagementPath(pathname: string): boolean {
  return pathname === MANAGEMENT_API_PATH || pathname.startsWith(`${MANAGEMENT_API_PATH}/`);
}

interface Match {
  route: ApiRoute;
  params: Record<string, string>;
}

/** The path's segments after /api/v1, percent-decoded; null when one cannot be decoded. */
function segmentsOf(pathname: string): string[] | null {
  try {
    return pathname.slice(MANAGEMENT_API_PATH.length).split("/").filter((part) => part !== "").map(decodeURIComponent);
  } catch {
    return null;
  }
}

/** The routes whose template fits `segments`, with the values of their {name} segments. */
function matchingRoutes(routes: readonly ApiRoute[], segments: string[]): Match[] {
  return routes.flatMap((route) => {
    const template = route.path.split("/").filter((part) => part !== "");
    if (template.length !== segments.length) return [];
    const params: Record<string, string> = {};
    for (const [index, part] of template.entries()) {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name) params[name] = segments[index]!;
      else if (part !== segments[index]) return [];
    }
    return [{ route, params }];
  });
}

/** Query parameters, one value each; a repeated parameter is refused (which value was meant?). */
function queryOf(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name in query) throw invalidInput([{ parameter: name, detail: `Send ${name} once.` }]);
    query[name] = value;
  }
  return query;
}

/** The JSON body: application/json, at most MAX_BODY_BYTES, parseable. */
async function jsonOf(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new ProblemError(problem(415, "Send the request body as JSON, with Content-Type: application/json."));
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new ProblemError(problem(413, `The request body is larger than ${MAX_BODY_BYTES} bytes.`));
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ProblemError(problem(400, "The request body is not valid JSON (UTF-8)."));
  }
}

function parsed<T extends z.ZodType | undefined>(schema: T, value: unknown, where: "body" | "query" | "path"): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(fieldProblems(result.error.issues, where));
  return result.data;
}

function allowOf(matches: Match[]): string {
  const methods = new Set<string>(matches.map((match) => match.route.method));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].join(", ");
}

export function createManagementApi(deps: ManagementApiDeps): (request: Request) => Promise<Response> {
  const document = JSON.stringify(openApiDocument(deps.routes, deps.config));

  async function serve(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method === "HEAD" ? "GET" : request.method;
    if (url.pathname === `${MANAGEMENT_API_PATH}${OPENAPI_PATH}` && method === "GET") {
      // Public, like a discovery document: it describes the API, it holds no data.
      return new Response(document, { headers: { "Content-Type": "application/json", "Cache-Control": "no-cache" } });
    }
    const segments = segmentsOf(url.pathname);
    if (!segments) throw new ProblemError(problem(404, "There is no such resource: the path cannot be decoded."));
    const matches = matchingRoutes(deps.routes, segments);
    if (matches.length === 0) throw new ProblemError(problem(404, `There is no such resource; the operations are listed in ${MANAGEMENT_API_PATH}${OPENAPI_PATH}.`));
    const match = matches.find((candidate) => candidate.route.method === method);
    if (!match) {
      const allow = allowOf(matches);
      throw new ProblemError(problem(405, `This resource accepts ${allow} only.`), { Allow: allow });
    }
    const caller = await authenticateCaller(deps, request);
    const { route } = match;
    const params = parsed(route.params, match.params, "path");
    const rawQuery = queryOf(url);
    const query = parsed(route.query, rawQuery, "query");
    const body = route.body ? parsed(route.body, await jsonOf(request), "body") : undefined;
    const ip = deps.clientAddress?.(request) ?? null;
    const actor = clientActor(caller.clientId);
    const operation: OperationContext = {
      db: deps.db,
      actorId: actor,
      audit: (event) => deps.audit.record({ ...event, actor, ip }),
      rotateSigningKeys: deps.rotateSigningKeys,
    };
    const answer = await route.run({ params, query, rawQuery, body, operation, caller });
    if (answer.status === 204) return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
    return jsonBody(answer.body, answer.status);
  }

  return async (request) => {
    try {
      return await serve(request);
    } catch (error) {
      if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
      console.error(`[gatehouse] management API failure on ${request.method} ${new URL(request.url).pathname}:`, error);
      return problemResponse(problem(500, "The server met an unexpected condition; the request can be retried."));
    }
  };
}
