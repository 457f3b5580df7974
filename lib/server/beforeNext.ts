// What the server checks before handing a page or server-action request to
// Next.js, because Next.js would answer it with a 500 and a stack trace:
//   - a path whose percent-encoding does not decode (Next.js decodes dynamic
//     route segments and throws URIError) gets 400, and so does a router state
//     header Next.js cannot parse;
//   - the body is read here first, see below; a server action's arguments
//     must be what React's client sends for our actions (serverActionReply.ts).
//
// Next.js parses a multipart/form-data POST to any page as a possible server
// action and turns a body it cannot parse into a 500 with a stack trace; a
// client that hangs up mid-upload is logged as an error too. Reading the
// body here first (bounded, as Next's own 1 MB server-action limit) lets the
// server answer what the client got wrong with a 4xx, drop an aborted upload
// quietly, and hand Next.js a complete copy of the request.
import { IncomingMessage, type ServerResponse } from "node:http";
import { parseAndValidateFlightRouterState } from "next/dist/server/app-render/parse-and-validate-flight-router-state.js";
import { log } from "./log";
import { isAcceptableFormReply, isAcceptableTextReply } from "./serverActionReply";

/** Next.js's default serverActions.bodySizeLimit ("1mb"): no real form of ours comes near it. */
export const MAX_PAGE_BODY_BYTES = 1024 * 1024;
/** Past this much, an oversized body is not drained any more: the connection is closed. */
const MAX_DRAINED_BYTES = 8 * 1024 * 1024;

type BodyRead = { kind: "body"; body: Buffer } | { kind: "too-large" } | { kind: "aborted" };

function readPageBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (read: BodyRead) => {
      if (!settled) {
        settled = true;
        resolve(read);
      }
    };
    req.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_DRAINED_BYTES) req.destroy();
      else if (total > limit) {
        chunks.length = 0;
        settle({ kind: "too-large" }); // keep draining so the 413 can be read
      } else chunks.push(chunk);
    });
    req.on("end", () => settle({ kind: "body", body: Buffer.concat(chunks, total) }));
    // A request stream only errors when the client went away (or the request timeout cut it).
    req.on("error", () => settle({ kind: "aborted" }));
    req.on("close", () => settle({ kind: "aborted" }));
  });
}

/** What Next.js treats as a multipart server action (server-action-request-meta.js: a case-sensitive prefix). */
function isMultipartPost(req: IncomingMessage): boolean {
  return req.method === "POST" && String(req.headers["content-type"] ?? "").startsWith("multipart/form-data");
}

/** A server action called by React's client (fetch): a POST with a Next-Action header. */
function isFetchAction(req: IncomingMessage): boolean {
  return req.method === "POST" && req.headers["next-action"] !== undefined;
}

/** React's client encodes a fetch action's arguments as JSON text when they are not FormData (encodeReply). */
function isAcceptableTextBody(body: Buffer): boolean {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return false;
  }
  return isAcceptableTextReply(text);
}

/**
 * Parses the body with the same Fetch API parser Next.js uses for a form post
 * (`new Request(...).formData()`), so a body it would choke on is refused here.
 */
export async function parseMultipart(contentType: string, body: Buffer): Promise<FormData | null> {
  try {
    return await new Request("http://gatehouse.invalid/", {
      method: "POST",
      headers: { "content-type": contentType },
      body: body as unknown as BodyInit,
    }).formData();
  } catch {
    return null;
  }
}

/** The request again, its body now held in memory, for Next.js to read as if from the socket. */
function replayRequest(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = req.headers;
  copy.rawHeaders = req.rawHeaders;
  copy.trailers = req.trailers;
  copy.rawTrailers = req.rawTrailers;
  copy.httpVersion = req.httpVersion;
  copy.httpVersionMajor = req.httpVersionMajor;
  copy.httpVersionMinor = req.httpVersionMinor;
  copy.complete = true;
  if (body.length > 0) copy.push(body);
  copy.push(null);
  return copy;
}

function answer(res: ServerResponse, status: number, message: string, close = false): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    ...(close ? { Connection: "close" } : {}),
  });
  res.end(body);
}

function mayCarryBody(req: IncomingMessage): boolean {
  return req.method === "POST";
}

/** RFC 3986 §2.1: every "%" starts two hex digits; the bytes must also be UTF-8 for the router to decode them. */
export function hasDecodablePath(url: string): boolean {
  const query = url.indexOf("?");
  const pathname = query < 0 ? url : url.slice(0, query);
  if (!pathname.includes("%")) return true;
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/**
 * The router state a client navigation sends (Next-Router-State-Tree) must be one Next.js can read: it throws on
 * anything else, and a malformed header became a 500 with a stack trace (the long fuzz, seed 11). Checked with
 * Next.js's own parser so the two cannot disagree.
 */
export function hasReadableRouterState(req: IncomingMessage): boolean {
  try {
    parseAndValidateFlightRouterState(req.headers["next-router-state-tree"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The request to give Next.js, or null when it was answered here (400 for an
 * undecodable path or a multipart body no parser can read, 413 past the
 * limit) or the client left.
 */
export async function prepareForNext(req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage | null> {
  if (!hasDecodablePath(req.url ?? "/")) {
    answer(res, 400, "The request path is not valid percent-encoded UTF-8.");
    return null;
  }
  if (!hasReadableRouterState(req)) {
    answer(res, 400, "The Next-Router-State-Tree header could not be read.");
    return null;
  }
  if (!mayCarryBody(req)) return req;
  const read = await readPageBody(req, MAX_PAGE_BODY_BYTES);
  if (read.kind === "aborted") {
    log().debug({ method: req.method, path: (req.url ?? "/").split("?")[0] }, "client left during the body");
    return null;
  }
  if (read.kind === "too-large") {
    answer(res, 413, `The request body is larger than ${MAX_PAGE_BODY_BYTES} bytes.`, true);
    return null;
  }
  if (isMultipartPost(req)) {
    const form = await parseMultipart(String(req.headers["content-type"]), read.body);
    if (!form) {
      answer(res, 400, "The form data could not be read (malformed multipart/form-data body).");
      return null;
    }
    if (!isAcceptableFormReply(form, isFetchAction(req))) {
      answer(res, 400, "The server action's arguments could not be read.");
      return null;
    }
  } else if (isFetchAction(req) && !isAcceptableTextBody(read.body)) {
    answer(res, 400, "The server action's arguments could not be read.");
    return null;
  }
  // React's client never sends RSC with an action; Next.js then fails its own invariant (a 500) on an unknown action.
  if (isFetchAction(req) && req.headers.rsc !== undefined) {
    answer(res, 400, "A server action request must not carry the RSC header.");
    return null;
  }
  return replayRequest(req, read.body);
}
