// What one HTTP request is known by while it is served: its request id (X-Request-Id, echoed or generated
// by server.ts) and, once someone learns them, the client and the user it acts for. server.ts opens the
// context around each request (fast lane and Next.js alike); the audit writer stamps the id on every event a
// request records, and the request's log line reads the client and user back (docs/decisions/0019-logs-and-metrics.md).
//
// AsyncLocalStorage rather than a parameter: audit events are written from the protocol core, the sign-in
// store, server actions and the dashboard's guards; threading an id through each would touch every one of them.
// Kept on globalThis because server.ts and Next.js's bundles each load their own copy of this module.
import { AsyncLocalStorage } from "node:async_hooks";

export interface RequestContext {
  /** The X-Request-Id this request is answered with. */
  readonly requestId: string;
  /** The client_id the request was made by or is about, once known (an authenticated or registered client). */
  clientId: string | null;
  /** The user the request acts for, once known. */
  userId: string | null;
}

const STORAGE_KEY = Symbol.for("gatehouse.requestContext");
type GlobalWithStorage = typeof globalThis & { [STORAGE_KEY]?: AsyncLocalStorage<RequestContext> };

function storage(): AsyncLocalStorage<RequestContext> {
  const holder = globalThis as GlobalWithStorage;
  holder[STORAGE_KEY] ??= new AsyncLocalStorage<RequestContext>();
  return holder[STORAGE_KEY];
}

const requests = storage();

/** Runs `serve` with `context` as the current request's. */
export function withRequestContext<T>(context: RequestContext, serve: () => T): T {
  return requests.run(context, serve);
}

/** The request being served, or undefined outside one (start-up work, the purge, a CLI command). */
export function currentRequest(): RequestContext | undefined {
  return requests.getStore();
}

/**
 * Records who a request turned out to be about: the client and the user of an event it records. The first
 * value seen wins (a request acts for one client and one user); `null` leaves what is known.
 */
export function noteRequestParties(parties: { clientId?: string | null; userId?: string | null }): string | null {
  const context = requests.getStore();
  if (!context) return null;
  if (context.clientId === null && parties.clientId) context.clientId = parties.clientId;
  if (context.userId === null && parties.userId) context.userId = parties.userId;
  return context.requestId;
}
