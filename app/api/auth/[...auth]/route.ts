// @auth/core's own endpoints: GET session, GET csrf, POST signout (GET signin
// redirects to /login; signing in happens there only).
import { getGatehouse } from "@/lib/gatehouse";
import { withoutCallbackUrl } from "@/lib/server/authRequests";

export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  return (await getGatehouse()).auth.handle(withoutCallbackUrl(request));
}

/** @auth/core refuses HEAD with a 400; HEAD is GET without the body (RFC 9110 §9.3.2). */
async function head(request: Request): Promise<Response> {
  const response = await handle(new Request(request, { method: "GET" }));
  return new Response(null, { status: response.status, headers: response.headers });
}

export { handle as GET, head as HEAD, handle as POST };
