import { gatehouseEndpoint } from "@/lib/gatehouse";
import { skippingNextRouterFetches } from "@/lib/server/webBridge";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
// Every method goes to the handler, which answers the ones it does not serve
// with its own 405 and Allow (Next.js's would carry neither the OAuth error nor Allow).
const endSession = skippingNextRouterFetches(gatehouseEndpoint("logout"));
export { endSession as GET, endSession as HEAD, endSession as POST, endSession as PUT, endSession as DELETE, endSession as PATCH, endSession as OPTIONS };
