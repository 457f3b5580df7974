// GET /.well-known/jwks.json: the public halves of the active and retiring keys (RFC 7517 §5),
// rebuilt when the key ring's JWKS changes.
import { documentEndpoint, documentOf, publicDocument, type DocumentEndpoint } from "./publicDocument";
import type { KeyRing } from "./signingKeys";

const JWKS_HEADERS = {
  "Content-Type": "application/jwk-set+json",
  "Cache-Control": "public, max-age=60",
  "Access-Control-Allow-Origin": "*",
};

export function createJwksEndpoint(keys: Pick<KeyRing, "publicKeys">): DocumentEndpoint {
  return documentEndpoint(documentOf(async () => (await keys.publicKeys()).json, (json) => publicDocument(json, JWKS_HEADERS)));
}
