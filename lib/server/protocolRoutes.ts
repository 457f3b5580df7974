// The protocol endpoints as App Router route handlers, for `next dev` and a
// plain `next start`: the fast lane's table, handlers and refusals (server.ts),
// so a CORS preflight or a refused method gets the same answer under either.
import { gatehouseEndpoint } from "../gatehouse";
import { PROTOCOL_ENDPOINTS, protocolMethodRefusal } from "./methods";
import { skippingNextRouterFetches } from "./webBridge";

/** Every method a route file can export; Next.js answers one that is not exported itself (OPTIONS with a bare 204). */
export const ROUTE_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

type RouteHandler = (request: Request) => Promise<Response>;

/** A handler for each of ROUTE_METHODS: the endpoint's for the methods it serves, the fast lane's 405 for the rest. */
export function protocolRouteHandlers(path: string): Record<(typeof ROUTE_METHODS)[number], RouteHandler> {
  const entry = PROTOCOL_ENDPOINTS.find((candidate) => candidate.path === path);
  if (!entry) throw new Error(`${path} is not in PROTOCOL_ENDPOINTS (lib/server/methods.ts)`);
  const serve = skippingNextRouterFetches(gatehouseEndpoint(entry.endpoint));
  const refuse: RouteHandler = async () => protocolMethodRefusal(entry.methods);
  const handlerFor = (method: string) => (entry.methods.includes(method) ? serve : refuse);
  return {
    GET: handlerFor("GET"),
    HEAD: handlerFor("HEAD"),
    POST: handlerFor("POST"),
    PUT: handlerFor("PUT"),
    DELETE: handlerFor("DELETE"),
    PATCH: handlerFor("PATCH"),
    OPTIONS: handlerFor("OPTIONS"),
  };
}
