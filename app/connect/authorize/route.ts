import { gatehouseEndpoint } from "@/lib/gatehouse";
import { skippingNextRouterFetches } from "@/lib/server/webBridge";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
const authorize = skippingNextRouterFetches(gatehouseEndpoint("authorize"));
export const GET = authorize;
export const POST = authorize;
