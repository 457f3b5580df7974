// @auth/core's own endpoints: GET session, GET csrf, POST signout (GET signin
// redirects to /login; signing in happens there only).
import { getGatehouse } from "@/lib/gatehouse";

export const dynamic = "force-dynamic";

async function handle(request: Request): Promise<Response> {
  return (await getGatehouse()).auth.handle(request);
}

export { handle as GET, handle as POST };
