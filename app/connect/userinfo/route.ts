import { gatehouseEndpoint } from "@/lib/gatehouse";

// Served by the fast lane in production (server.ts); this route serves `next dev`.
export const dynamic = "force-dynamic";
// Every method goes to the handler, which answers the ones it does not serve
// with its own 405 and Allow (Next.js's would carry neither the OAuth error nor Allow).
const userinfo = gatehouseEndpoint("userinfo");
export { userinfo as GET, userinfo as HEAD, userinfo as POST, userinfo as PUT, userinfo as DELETE, userinfo as PATCH, userinfo as OPTIONS };
