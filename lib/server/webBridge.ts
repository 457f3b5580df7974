// Serves a Web handler `(Request) => Promise<Response>` on node:http without
// the Next.js router (the fast lane for protocol endpoints).
import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_BODY_BYTES } from "../oauth/http";
import { documentAnswer, type DocumentSource } from "../oauth/publicDocument";
import { log } from "./log";

/** Headers the Next.js config adds to pages; the fast lane sets them itself. */
const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The client hung up (or was cut by the request timeout) before its body was complete. */
class ClientLeftMidBody extends Error {}

interface BufferedBody {
  bytes: Buffer;
  /** Reading stopped past the limit: the rest is left unread, so the connection must close. */
  cut: boolean;
}

/**
 * Buffers a body up to one byte past the protocol endpoints' limit (lib/oauth/http.ts): enough
 * for the endpoint's own reader to see that it is too long and answer with its own refusal
 * (a JSON 413, or the authorization endpoint's page), so the limit and the answer live in one place.
 */
function readBody(req: IncomingMessage): Promise<BufferedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on("data", (chunk: Buffer) => {
      if (total > MAX_BODY_BYTES) return; // already cut (a chunk read before the pause)
      total += chunk.length;
      if (total > MAX_BODY_BYTES) {
        req.pause();
        chunks.push(chunk.subarray(0, chunk.length - (total - MAX_BODY_BYTES - 1)));
        resolve({ bytes: Buffer.concat(chunks), cut: true });
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve({ bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), cut: false }));
    req.on("error", () => reject(new ClientLeftMidBody()));
    // Such a client may end with "close" alone.
    req.on("close", () => {
      if (!req.complete) reject(new ClientLeftMidBody());
    });
  });
}

/**
 * Next.js follows a same-origin redirect from a server action (sign-in,
 * consent) by fetching the target as an RSC payload — first from the server,
 * then from the browser — before the real navigation. On a protocol path such
 * a fetch must not run the handler: resuming an authorization twice would
 * consume its interaction. A plain, empty answer makes Next fall back to a full
 * page navigation, which then does the real request once.
 */
export function isNextRouterFetch(req: IncomingMessage | Request): boolean {
  const header = (name: string) => (req instanceof Request ? req.headers.get(name) : req.headers[name]) ?? undefined;
  return header("rsc") === "1" || header("next-router-state-tree") !== undefined;
}

const NEXT_ROUTER_FETCH_ANSWER = { status: 200, headers: { "content-type": "text/plain", "cache-control": "no-store", vary: "rsc" } };

export function answerNextRouterFetch(res: ServerResponse): void {
  res.writeHead(NEXT_ROUTER_FETCH_ANSWER.status, NEXT_ROUTER_FETCH_ANSWER.headers);
  res.end();
}

/** The same guard for a route handler (under `next dev`, where there is no fast lane). */
export function skippingNextRouterFetches(handler: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> =>
    isNextRouterFetch(request) ? new Response(null, NEXT_ROUTER_FETCH_ANSWER) : handler(request);
}

/**
 * GET or HEAD of a public document (discovery, JWKS: lib/oauth/publicDocument.ts), written straight
 * from its bytes: the same answer as its Web handler, without building a Request or a Response.
 * Should the document fail to load, the Web handler answers instead, with its own error handling.
 */
export async function serveDocument(
  document: DocumentSource,
  handler: (request: Request) => Promise<Response>,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let answer: ReturnType<typeof documentAnswer>;
  try {
    answer = documentAnswer(await document(), req.method ?? "GET", req.headers["if-none-match"]);
  } catch {
    return serveWebHandler(handler, origin, req, res);
  }
  const headers: Record<string, string> = { ...SECURITY_HEADERS, ...answer.headers };
  // A HEAD gets the length its GET would have (RFC 9110 §9.3.2), and node sends no body for it.
  if (answer.status === 200) headers["content-length"] = String(answer.length);
  res.writeHead(answer.status, headers);
  res.end(answer.body ?? undefined);
}

export async function serveWebHandler(
  handler: (request: Request) => Promise<Response>,
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const method = req.method ?? "GET";
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      // HTTP/2 pseudo-headers and invalid names cannot go into a Headers object.
      if (name.startsWith(":")) continue;
      try {
        headers.append(name, req.rawHeaders[i + 1]!);
      } catch {
        /* skip a header the Fetch API refuses */
      }
    }
    const body = method !== "GET" && method !== "HEAD" ? await readBody(req) : null;
    const request = new Request(origin + (req.url ?? "/"), {
      method,
      headers,
      body: (body?.bytes ?? null) as unknown as BodyInit | null,
    });
    const response = await handler(request);
    const outgoing: Record<string, string | string[]> = { ...SECURITY_HEADERS };
    if (body?.cut) outgoing.connection = "close";
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") outgoing[name] = value;
    });
    // Each cookie is its own Set-Cookie line (they cannot be joined with commas).
    const setCookies = response.headers.getSetCookie();
    if (setCookies.length > 0) outgoing["set-cookie"] = setCookies;
    const payload = response.body ? Buffer.from(await response.arrayBuffer()) : null;
    if (payload) outgoing["content-length"] = String(payload.length);
    res.writeHead(response.status, outgoing);
    res.end(payload);
  } catch (error) {
    if (error instanceof ClientLeftMidBody) {
      // Nobody is left to answer: a debug line, not an error.
      log().debug({ method: req.method, path: (req.url ?? "/").split("?")[0] }, "client left during the body");
      res.destroy();
      return;
    }
    log().error({ err: error }, "fast lane failure");
    if (!res.headersSent) {
      res.writeHead(500, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ error: "server_error", error_description: "The server met an unexpected condition." }));
    } else {
      res.destroy();
    }
  }
}
