import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
// Every method goes to the handler, which answers the ones it does not serve
// with its own 405 and Allow (Next.js's would carry neither the OAuth error nor Allow).
const introspect = gatehouseEndpoint("introspect");
export { introspect as GET, introspect as HEAD, introspect as POST, introspect as PUT, introspect as DELETE, introspect as PATCH, introspect as OPTIONS };
