// Which methods the server answers, decided before any handler runs.
//
// The Fetch API cannot even represent some methods node:http accepts (TRACE,
// CONNECT): building a Web Request for them throws, which used to surface as a
// 500 with a stack trace on every protocol endpoint and in Next.js. So the
// fast lane knows each endpoint's methods and pages have one fixed set; any
// other method gets 405 with Allow (RFC 9110 §15.5.6) without reaching a handler.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Gatehouse } from "../gatehouse";
import { ENDPOINT_PATHS } from "../oauth/config";
import { HEALTH_PATHS } from "./health";

/**
 * Each protocol path, the handler behind it and the methods it serves. server.ts's
 * fast lane refuses other methods before any handler runs; the route files in app/
 * (`next dev`, a plain `next start`) do the same through lib/server/protocolRoutes.ts
 * (tests/integration/nextRoutes.test.ts compares the two mountings' answers).
 * OPTIONS is listed where the endpoint answers CORS preflights (lib/oauth/cors.ts).
 */
export const PROTOCOL_ENDPOINTS: readonly { path: string; endpoint: keyof Gatehouse["endpoints"]; methods: readonly string[] }[] = [
  { path: ENDPOINT_PATHS.authorization, endpoint: "authorize", methods: ["GET", "POST"] },
  { path: ENDPOINT_PATHS.token, endpoint: "token", methods: ["POST", "OPTIONS"] },
  { path: ENDPOINT_PATHS.userinfo, endpoint: "userinfo", methods: ["GET", "POST", "OPTIONS"] },
  { path: ENDPOINT_PATHS.revocation, endpoint: "revoke", methods: ["POST", "OPTIONS"] },
  { path: ENDPOINT_PATHS.introspection, endpoint: "introspect", methods: ["POST"] },
  { path: ENDPOINT_PATHS.logout, endpoint: "logout", methods: ["GET", "POST"] },
  { path: ENDPOINT_PATHS.jwks, endpoint: "jwks", methods: ["GET", "HEAD"] },
  { path: ENDPOINT_PATHS.openidConfiguration, endpoint: "discovery", methods: ["GET", "HEAD"] },
  { path: ENDPOINT_PATHS.oauthAuthorizationServer, endpoint: "discovery", methods: ["GET", "HEAD"] },
  // Operations (lib/server/health.ts): not OAuth, but the same lane, so a probe never waits behind Next.js.
  { path: HEALTH_PATHS.health, endpoint: "health", methods: ["GET", "HEAD"] },
  { path: HEALTH_PATHS.readiness, endpoint: "readiness", methods: ["GET", "HEAD"] },
];

/** Pages, server actions and /api/auth/*: what Next.js serves for us. */
export const PAGE_METHODS = ["GET", "HEAD", "POST", "OPTIONS"] as const;

function allowHeader(allowed: readonly string[]): string {
  return allowed.join(", ");
}

/** A protocol endpoint's refusal: the OAuth error shape, like requireMethod in lib/oauth/http.ts. */
function protocolRefusal(allowed: readonly string[]): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    error: "invalid_request",
    error_description: `This endpoint accepts ${allowed.join(" and ")} only.`,
  });
  const headers = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    Pragma: "no-cache",
    Allow: allowHeader(allowed),
    "X-Content-Type-Options": "nosniff",
  };
  return { body, headers };
}

/** The fast lane's refusal of a method `allowed` does not list. */
export function refuseProtocolMethod(res: ServerResponse, allowed: readonly string[]): void {
  const { body, headers } = protocolRefusal(allowed);
  res.writeHead(405, { ...headers, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

/** The same refusal as a Web Response, for the route handlers in app/ (lib/server/protocolRoutes.ts). */
export function protocolMethodRefusal(allowed: readonly string[]): Response {
  const { body, headers } = protocolRefusal(allowed);
  return new Response(body, { status: 405, headers });
}

/**
 * Answers what Next.js should never see for a page: OPTIONS (204 with Allow,
 * RFC 9110 §9.3.7; no CORS headers, pages are not for other origins) and any
 * method outside PAGE_METHODS (405). Returns true when it answered.
 */
export function answerPageMethod(req: IncomingMessage, res: ServerResponse): boolean {
  const method = req.method ?? "GET";
  if (method === "OPTIONS") {
    res.writeHead(204, { Allow: allowHeader(PAGE_METHODS), "Cache-Control": "no-store" });
    res.end();
    return true;
  }
  if ((PAGE_METHODS as readonly string[]).includes(method)) return false;
  const body = "Method Not Allowed\n";
  res.writeHead(405, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    Allow: allowHeader(PAGE_METHODS),
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
  return true;
}

/**
 * CONNECT never reaches the request handler (node:http emits "connect"; with
 * no listener it drops the socket without a word). Gatehouse is no proxy: 405.
 */
export function refuseConnect(_req: IncomingMessage, socket: Socket): void {
  const body = "Method Not Allowed\n";
  socket.on("error", () => undefined);
  socket.end(
    "HTTP/1.1 405 Method Not Allowed\r\n" +
      `Allow: ${allowHeader(PAGE_METHODS)}\r\n` +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${body.length}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

/** The management API's refusal of a method it never serves (TRACE, CONNECT, …): RFC 9457 problem details. */
export function refuseManagementMethod(res: ServerResponse, allowed: readonly string[]): void {
  const body = JSON.stringify({
    type: "urn:gatehouse:problem:method-not-allowed",
    title: "Method not allowed",
    status: 405,
    detail: `The management API accepts ${allowed.join(", ")} only.`,
  });
  res.writeHead(405, {
    "Content-Type": "application/problem+json",
    "Cache-Control": "no-store",
    Allow: allowHeader(allowed),
    "X-Content-Type-Options": "nosniff",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}
