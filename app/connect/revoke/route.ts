import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
// Every method goes to the handler, which answers the ones it does not serve
// with its own 405 and Allow (Next.js's would carry neither the OAuth error nor Allow).
const revoke = gatehouseEndpoint("revoke");
export { revoke as GET, revoke as HEAD, revoke as POST, revoke as PUT, revoke as DELETE, revoke as PATCH, revoke as OPTIONS };
