import { gatehouseEndpoint } from "@/lib/gatehouse";

// The production server dispatches this path straight to the same handler;
// this route serves it under `next dev` and any plain `next start`.
export const dynamic = "force-dynamic";
// Every method goes to the handler, which answers the ones it does not serve
// with its own 405 and Allow (Next.js's would carry neither the OAuth error nor Allow).
const token = gatehouseEndpoint("token");
export { token as GET, token as HEAD, token as POST, token as PUT, token as DELETE, token as PATCH, token as OPTIONS };
