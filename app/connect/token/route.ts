import { gatehouseEndpoint } from "@/lib/gatehouse";

// The production server dispatches this path straight to the same handler;
// this route serves it under `next dev` and any plain `next start`.
export const dynamic = "force-dynamic";
export const POST = gatehouseEndpoint("token");
