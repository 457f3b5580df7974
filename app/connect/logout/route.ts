import { gatehouseEndpoint } from "@/lib/gatehouse";
import { skippingNextRouterFetches } from "@/lib/server/webBridge";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
const logout = skippingNextRouterFetches(gatehouseEndpoint("logout"));
export const GET = logout;
export const POST = logout;
