// One log line per request, and the request id that ties it to the response and the audit log
// (docs/decisions/0019-logs-and-metrics.md). The line is built from a fixed list of fields — time, request
// id, method, route, status, duration, client_id, user id — and never from the request itself: no URL (its
// query may hold a code or a token), no header (Authorization, Cookie), no body. The route is the path
// pattern the request matched (/connect/token, /dashboard/users/[id]), not the path it named.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { RequestContext } from "../requestContext";
import type { Logger } from "./log";

export const REQUEST_ID_HEADER = "x-request-id";

/** Longest request id echoed: a UUID is 36, the longest common tracing ids (AWS, Heroku, W3C trace ids) fit. */
export const MAX_REQUEST_ID_LENGTH = 128;
/**
 * Letters, digits and - _ . : = + / only (UUIDs, base64, AWS "Root=1-…" trace ids): it goes into a response
 * header, a log line and an audit row as it is, so nothing that could end a header or a JSON string.
 */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:=+/-]+$/;

/**
 * The request id a caller sent, when it is one we can repeat safely: one header, at most
 * MAX_REQUEST_ID_LENGTH characters of the safe set. Anything else is ignored (and a new id generated), so a
 * caller cannot split headers, forge log lines or fill the audit table through it.
 */
export function acceptableRequestId(header: string | string[] | undefined): string | null {
  if (typeof header !== "string" || header.length === 0 || header.length > MAX_REQUEST_ID_LENGTH) return null;
  return REQUEST_ID_PATTERN.test(header) ? header : null;
}

/** The id this request is known by: the caller's when acceptable, else a fresh random UUID. */
export function requestIdOf(req: IncomingMessage): string {
  return acceptableRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

/** Routes of requests that matched no page (Next.js answers 404). */
export const UNMATCHED_ROUTE = "(unmatched)";
/** Next.js's own files (/_next/static/…, /_next/image), one route. */
export const NEXT_ASSETS_ROUTE = "/_next/*";

interface RoutesManifest {
  staticRoutes?: { page: string }[];
  dynamicRoutes?: { page: string; regex: string }[];
}

/** Names a page request's route from the path: the same table Next.js routes by, read once from its build. */
export type RouteNamer = (url: string) => string;

/** The route namer of the Next.js build under `projectRoot` (.next/routes-manifest.json). */
export function createRouteNamer(projectRoot: string): RouteNamer {
  let manifest: RoutesManifest = {};
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, ".next", "routes-manifest.json"), "utf8")) as RoutesManifest;
  } catch {
    // No build manifest (a test): every page request is "(unmatched)"; the log line is still written.
  }
  return routeNamer(manifest);
}

export function routeNamer(manifest: RoutesManifest): RouteNamer {
  const exact = new Set((manifest.staticRoutes ?? []).map((route) => route.page));
  const patterns = (manifest.dynamicRoutes ?? []).map((route) => ({ page: route.page, regex: new RegExp(route.regex) }));
  return (url) => {
    const query = url.indexOf("?");
    let pathname = query < 0 ? url : url.slice(0, query);
    if (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.slice(0, -1);
    if (exact.has(pathname)) return pathname;
    if (pathname.startsWith("/_next/")) return NEXT_ASSETS_ROUTE;
    for (const pattern of patterns) if (pattern.regex.test(pathname)) return pattern.page;
    return UNMATCHED_ROUTE;
  };
}

/** Longest client_id written: a presented one is the caller's text. */
const MAX_CLIENT_ID_LENGTH = 128;

/** What a request's line holds, and nothing else. */
export interface RequestLine {
  request_id: string;
  method: string;
  route: string;
  /** The status sent; 0 when the client left before any was. */
  status: number;
  duration_ms: number;
  client_id?: string;
  user_id?: string;
  /** The answer was not completely sent: the client went away (or was cut by a timeout) first. */
  incomplete?: true;
}

export function requestLine(context: RequestContext, method: string, route: string, status: number, durationMs: number, finished: boolean): RequestLine {
  const line: RequestLine = { request_id: context.requestId, method, route, status, duration_ms: Math.round(durationMs * 100) / 100 };
  if (context.clientId !== null) line.client_id = context.clientId.length > MAX_CLIENT_ID_LENGTH ? context.clientId.slice(0, MAX_CLIENT_ID_LENGTH) : context.clientId;
  if (context.userId !== null) line.user_id = context.userId;
  if (!finished) line.incomplete = true;
  return line;
}

/**
 * Starts a request: its id on the response (every response, both lanes) and its line written when the
 * response is done (5xx at error level, the rest at info). Returns the context to serve it in.
 */
export function startRequest(req: IncomingMessage, res: ServerResponse, route: string, logger: Logger, observe: RequestObserver | null = null): RequestContext {
  const context: RequestContext = { requestId: requestIdOf(req), clientId: null, userId: null };
  res.setHeader(REQUEST_ID_HEADER, context.requestId);
  const logs = logger.isLevelEnabled("error");
  if (logs || observe) {
    const started = performance.now();
    res.once("close", () => {
      // 0: no status line was sent at all (the client left first).
      const status = res.headersSent ? res.statusCode : 0;
      const durationMs = performance.now() - started;
      observe?.(route, status, durationMs / 1000);
      if (!logs) return;
      const line = requestLine(context, req.method ?? "GET", route, status, durationMs, res.writableFinished);
      if (line.status >= 500) logger.error(line, "request");
      else logger.info(line, "request"); // a no-op below info
    });
  }
  return context;
}

/** Told each request's route, status and duration in seconds when it is done (the metrics). */
export type RequestObserver = (route: string, status: number, seconds: number) => void;
