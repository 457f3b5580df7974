import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
const userinfo = gatehouseEndpoint("userinfo");
export const GET = userinfo;
export const POST = userinfo;
export const OPTIONS = userinfo;
