// GET /.well-known/jwks.json: the public halves of the active and retiring keys.
import { withOAuthErrors } from "./errors";
import { requireMethod } from "./http";
import type { KeyRing } from "./signingKeys";

export function createJwksEndpoint(keys: KeyRing): (request: Request) => Promise<Response> {
  return withOAuthErrors(async (request) => {
    requireMethod(request, ["GET", "HEAD"]);
    const { json } = await keys.publicKeys();
    return new Response(request.method === "HEAD" ? null : json, {
      headers: {
        "Content-Type": "application/jwk-set+json",
        "Cache-Control": "public, max-age=60",
        "Access-Control-Allow-Origin": "*",
      },
    });
  });
}
