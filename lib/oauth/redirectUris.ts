// Which redirect_uri an authorization request may use (RFC 9700 §4.1.3,
// RFC 8252 §7.3). The comparison is by exact string, with one exception the
// native-app RFC requires: a native app listening on a loopback IP address
// picks a free port when it starts, so for a public client's registered
// http://127.0.0.1/… or http://[::1]/… URI the port may be any port, while
// scheme, host, path and query must still match character for character.
// "localhost" gets no such allowance: RFC 8252 §8.3 advises against it, since
// a name can resolve to something other than the loopback interface.
import type { ClientRecord } from "./ports";

/** http, a loopback IP literal, an optional port, then the path and query exactly as written. */
const LOOPBACK_IP_URI = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?].*)?$/s;

interface LoopbackParts {
  host: string;
  rest: string;
}

function loopbackParts(uri: string): LoopbackParts | null {
  const match = LOOPBACK_IP_URI.exec(uri);
  if (!match) return null;
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  // "http://127.0.0.1/" and "http://127.0.0.1" name the same resource; keep the comparison textual otherwise.
  return { host: match[1]!, rest: match[3] ?? "/" };
}

/**
 * Whether `requested` is one of `client`'s registered redirect URIs: the same
 * string, or, for a public client, a registered loopback IP URI with another port.
 */
export function isRegisteredRedirectUri(client: Pick<ClientRecord, "clientType" | "redirectUris">, requested: string): boolean {
  if (client.redirectUris.includes(requested)) return true;
  if (client.clientType !== "public") return false;
  const wanted = loopbackParts(requested);
  if (!wanted) return false;
  return client.redirectUris.some((registered) => {
    const parts = loopbackParts(registered);
    return parts !== null && parts.host === wanted.host && parts.rest === wanted.rest;
  });
}
