import { gatehouseEndpoint } from "@/lib/gatehouse";

// The production server dispatches this path straight to the same handler;
// this route serves it under `next dev` and any plain `next start`.
export const dynamic = "force-dynamic";
const token = gatehouseEndpoint("token");
export const POST = token;
// A browser app's CORS preflight (lib/oauth/cors.ts answers it).
export const OPTIONS = token;
