import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
const revoke = gatehouseEndpoint("revoke");
export const POST = revoke;
export const OPTIONS = revoke;
