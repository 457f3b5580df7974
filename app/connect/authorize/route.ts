import { gatehouseEndpoint } from "@/lib/gatehouse";

export const dynamic = "force-dynamic";
export const GET = gatehouseEndpoint("authorize");
export const POST = gatehouseEndpoint("authorize");
