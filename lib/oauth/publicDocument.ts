// Public documents: the discovery metadata (RFC 8414, OIDC Discovery) and the
// JWKS (RFC 7517 §5). Every GET gets the same bytes until the data behind them
// changes, so they are built once per change, with a strong ETag, and the fast
// lane writes them straight to the socket (lib/server/webBridge.ts
// serveDocument) without a Request or Response object. The Web handler made
// here answers the same way under `next dev` and in unit tests.
import { createHash } from "node:crypto";
import { withOAuthErrors } from "./errors";
import { requireMethod } from "./http";

export interface PublicDocument {
  body: Buffer;
  /** Content-Type, Cache-Control, CORS and ETag: everything but the length. */
  headers: Readonly<Record<string, string>>;
  etag: string;
}

/** The current document; resolves fast (from memory) while nothing changed. */
export type DocumentSource = () => Promise<PublicDocument>;

/** A Web handler for GET and HEAD of a document, which also exposes the document itself for the fast lane. */
export interface DocumentEndpoint {
  (request: Request): Promise<Response>;
  document: DocumentSource;
}

export function isDocumentEndpoint(handler: (request: Request) => Promise<Response>): handler is DocumentEndpoint {
  return typeof (handler as Partial<DocumentEndpoint>).document === "function";
}

/** A document of `json` with `headers`, its ETag the SHA-256 of the bytes (RFC 9110 §8.8.3: a strong validator). */
export function publicDocument(json: string, headers: Record<string, string>): PublicDocument {
  const body = Buffer.from(json, "utf8");
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  return { body, etag, headers: Object.freeze({ ...headers, ETag: etag }) };
}

/**
 * RFC 9110 §13.1.2: If-None-Match names our current ETag (or "*"), so the client's copy is current.
 * Weak comparison, as the RFC asks for If-None-Match: W/"x" matches "x".
 */
export function clientHasCurrentCopy(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}

export interface DocumentAnswer {
  status: 200 | 304;
  headers: Readonly<Record<string, string>>;
  /** None for HEAD and 304. */
  body: Buffer | null;
  /** The length of the document's bytes (what a GET's body has). */
  length: number;
}

/** What to send for a GET or HEAD of `document`: 304 without a body when the client's copy is current. */
export function documentAnswer(document: PublicDocument, method: string, ifNoneMatch: string | null | undefined): DocumentAnswer {
  const length = document.body.length;
  if (clientHasCurrentCopy(ifNoneMatch, document.etag)) return { status: 304, headers: document.headers, body: null, length };
  return { status: 200, headers: document.headers, body: method === "HEAD" ? null : document.body, length };
}

export function documentEndpoint(document: DocumentSource): DocumentEndpoint {
  const handler = withOAuthErrors(async (request) => {
    requireMethod(request, ["GET", "HEAD"]);
    const answer = documentAnswer(await document(), request.method, request.headers.get("if-none-match"));
    return new Response(answer.body as BodyInit | null, { status: answer.status, headers: answer.headers });
  });
  return Object.assign(handler, { document });
}

/**
 * A source that rebuilds its document only when `read` returns another value
 * than the last time (compared with ===: a string, or an object kept while unchanged).
 */
export function documentOf<Value>(read: () => Promise<Value>, build: (value: Value) => PublicDocument): DocumentSource {
  let last: { value: Value; document: PublicDocument } | null = null;
  return async () => {
    const value = await read();
    if (!last || last.value !== value) last = { value, document: build(value) };
    return last.document;
  };
}
