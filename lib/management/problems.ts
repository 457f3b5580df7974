// RFC 9457 problem details: every refusal of the management API is one of
// these, application/problem+json with Cache-Control: no-store. `type` names
// the kind of problem (a URN: nothing to dereference, stable to match on);
// `errors` lists each invalid field by JSON pointer (RFC 9457 §3's example
// extension), so a client can show each message next to its field.
import { noStoreHeaders } from "../oauth/errors";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const ProblemTypes = {
  invalidInput: "urn:gatehouse:problem:invalid-input",
  unauthorized: "urn:gatehouse:problem:unauthorized",
  forbidden: "urn:gatehouse:problem:forbidden",
  notFound: "urn:gatehouse:problem:not-found",
  methodNotAllowed: "urn:gatehouse:problem:method-not-allowed",
  conflict: "urn:gatehouse:problem:conflict",
  tooLarge: "urn:gatehouse:problem:payload-too-large",
  unsupportedMediaType: "urn:gatehouse:problem:unsupported-media-type",
  serverError: "urn:gatehouse:problem:server-error",
} as const;

const TITLES: Record<number, string> = {
  400: "Invalid input",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Payload too large",
  415: "Unsupported media type",
  500: "Server error",
};

const TYPES: Record<number, string> = {
  400: ProblemTypes.invalidInput,
  401: ProblemTypes.unauthorized,
  403: ProblemTypes.forbidden,
  404: ProblemTypes.notFound,
  405: ProblemTypes.methodNotAllowed,
  409: ProblemTypes.conflict,
  413: ProblemTypes.tooLarge,
  415: ProblemTypes.unsupportedMediaType,
  500: ProblemTypes.serverError,
};

/** One invalid field and what is wrong: a JSON pointer into the body (RFC 6901, "#/…"), or a query or path parameter's name. */
export type FieldProblem = { pointer: string; detail: string } | { parameter: string; detail: string };

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

export type ProblemStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 500;

export function problem(status: ProblemStatus, detail: string, errors?: FieldProblem[]): Problem {
  return { type: TYPES[status]!, title: TITLES[status]!, status, detail, ...(errors && errors.length > 0 ? { errors } : {}) };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, ...noStoreHeaders, ...headers },
  });
}

/** A refusal a handler throws; the router turns it into its response. */
export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
    this.name = "ProblemError";
  }
}

export function jsonBody(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...noStoreHeaders, ...headers } });
}
