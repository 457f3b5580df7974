// Which methods the server answers, decided before any handler runs.
//
// The Fetch API cannot even represent some methods node:http accepts (TRACE,
// CONNECT): building a Web Request for them throws, which used to surface as a
// 500 with a stack trace on every protocol endpoint and in Next.js. So the
// fast lane knows each endpoint's methods and pages have one fixed set; any
// other method gets 405 with Allow (RFC 9110 §15.5.6) without reaching a handler.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** Pages, server actions and /api/auth/*: what Next.js serves for us. */
export const PAGE_METHODS = ["GET", "HEAD", "POST", "OPTIONS"] as const;

function allowHeader(allowed: readonly string[]): string {
  return allowed.join(", ");
}

/** A protocol endpoint's refusal: the OAuth error shape, like requireMethod in lib/oauth/http.ts. */
export function refuseProtocolMethod(res: ServerResponse, allowed: readonly string[]): void {
  const body = JSON.stringify({
    error: "invalid_request",
    error_description: `This endpoint accepts ${allowed.join(" and ")} only.`,
  });
  res.writeHead(405, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    Pragma: "no-cache",
    Allow: allowHeader(allowed),
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
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
