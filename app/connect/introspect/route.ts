import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
export const POST = gatehouseEndpoint("introspect");
