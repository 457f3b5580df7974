// How a management API operation is declared: method, path template, the zod
// schemas of its path, query and body, its answers, and what it runs. The same
// list serves requests (./api.ts) and writes the OpenAPI document (./openapi.ts),
// so the document cannot drift from what the server checks.
import type { z } from "zod";
import type { ActionResult } from "../forms/actionResult";
import type { Caller } from "./authenticate";
import type { OperationContext } from "./context";
import { problem, ProblemError, type FieldProblem, type ProblemStatus } from "./problems";

export type ApiMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface ApiCall<P, Q, B> {
  params: P;
  query: Q;
  /** The query as sent, one value per name (for a shared parser that takes the raw text, like the audit filter's). */
  rawQuery: Record<string, string>;
  body: B;
  operation: OperationContext;
  caller: Caller;
}

/** What an operation answers on success: a status and a JSON body (none for 204). */
export interface ApiAnswer {
  status: 200 | 201 | 204;
  body?: unknown;
}

export interface ApiResponseSpec {
  status: number;
  description: string;
  schema?: z.ZodType;
}

export interface ApiRoute {
  method: ApiMethod;
  /** Under /api/v1, with {name} segments, e.g. /clients/{client_id}. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success answer; problem answers (400, 401, 403, 404, 409) are added by the document. */
  success: ApiResponseSpec;
  /** Problem statuses this operation can answer besides 400, 401 and 403. */
  problems?: ProblemStatus[];
  run(call: ApiCall<unknown, unknown, unknown>): Promise<ApiAnswer>;
}

/** Declares a route with its handler typed by its schemas. */
export function route<P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(spec: {
  method: ApiMethod;
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  success: ApiResponseSpec;
  problems?: ProblemStatus[];
  run(call: ApiCall<z.output<P>, z.output<Q>, z.output<B>>): Promise<ApiAnswer>;
}): ApiRoute {
  return spec as unknown as ApiRoute;
}

/** Field names of a shared form schema → the API's names (RFC 7591 for clients), for messages. */
export type FieldNames = Readonly<Record<string, string>>;

/**
 * An operation's outcome (the ActionResult the dashboard gets too) as the API's answer: the data
 * shaped by `shape`, or the refusal as a problem whose field messages carry the API's field names.
 */
export function answerOf<T>(result: ActionResult<T>, shape: (data: T) => ApiAnswer, names: FieldNames = {}): ApiAnswer {
  if (result.ok) return shape(result.data);
  const errors: FieldProblem[] = Object.entries(result.fieldErrors ?? {}).flatMap(([field, messages]) =>
    messages.map((detail) => ({ pointer: `#/${names[field] ?? field}`, detail })),
  );
  // A 500 from an operation is a failure it caught; anything else is about the request.
  throw new ProblemError(problem(result.status, result.message, errors));
}

/** zod issues as field problems: `where` says which part of the request they are in. */
export function fieldProblems(issues: readonly z.core.$ZodIssue[], where: "body" | "query" | "path", names: FieldNames = {}): FieldProblem[] {
  return issues.flatMap((issue) => {
    // A field this API does not know (strict objects): named one by one, so a typo points at itself.
    if (issue.code === "unrecognized_keys") {
      const parent = issue.path.map(String);
      return issue.keys.map((key) =>
        where === "body"
          ? { pointer: `#/${[...parent, key].join("/")}`, detail: `Unknown field ${key}.` }
          : { parameter: key, detail: `Unknown parameter ${key}.` },
      );
    }
    const path = issue.path.map((part, index) => (index === 0 && typeof part === "string" ? (names[part] ?? part) : String(part)));
    return where === "body"
      ? { pointer: `#/${path.join("/")}`, detail: issue.message }
      : { parameter: path[0] ?? "", detail: issue.message };
  });
}

/** A 400 listing what is wrong with each field. */
export function invalidInput(errors: FieldProblem[], detail = "The request has invalid fields; see errors."): ProblemError {
  return new ProblemError(problem(400, detail, errors));
}

export function notFound(detail: string): ProblemError {
  return new ProblemError(problem(404, detail));
}
