import { gatehouseEndpoint } from "@/lib/gatehouse";
import { skippingNextRouterFetches } from "@/lib/server/webBridge";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
// Every method goes to the handler, which answers the ones it does not serve
// with its own 405 and Allow (Next.js's would carry neither the OAuth error nor Allow).
const authorize = skippingNextRouterFetches(gatehouseEndpoint("authorize"));
export { authorize as GET, authorize as HEAD, authorize as POST, authorize as PUT, authorize as DELETE, authorize as PATCH, authorize as OPTIONS };
