import { HEALTH_PATHS } from "@/lib/server/health";
import { protocolRouteHandlers } from "@/lib/server/protocolRoutes";

// Served by the fast lane in production (server.ts); this route serves `next dev` and a plain
// `next start` with the same handler, and refuses the same methods the same way.
export const dynamic = "force-dynamic";
export const { GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS } = protocolRouteHandlers(HEALTH_PATHS.health);
