import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev` and a plain
// `next start` with the same handler (lib/management/api.ts).
export const dynamic = "force-dynamic";
const management = gatehouseEndpoint("management");
export { management as GET, management as HEAD, management as POST, management as PUT, management as PATCH, management as DELETE, management as OPTIONS };
