// The client's network address as the portal sees it. server.ts (the only
// production entry to Next.js) overwrites this header on every request it
// hands to Next.js, so pages and server actions can trust it; see
// docs/decisions/0002-sign-in.md for `next dev` and `next start`.
import type { IncomingMessage } from "node:http";

export const CLIENT_ADDRESS_HEADER = "x-gatehouse-client-ip";

/** A printable address of bounded length, or null. IPv4-mapped IPv6 becomes plain IPv4. */
export function normalizeClientAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  let address = value.trim();
  if (address.startsWith("::ffff:") && address.includes(".")) address = address.slice(7);
  if (!address || address.length > 64 || !/^[0-9A-Za-z.:_%\-[\]]+$/.test(address)) return null;
  return address;
}

/**
 * The address to record for `req`: the socket's peer, or with a trusted
 * reverse proxy in front (GATEHOUSE_TRUST_PROXY=1) the first X-Forwarded-For entry.
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0];
    const address = normalizeClientAddress(first);
    if (address) return address;
  }
  return normalizeClientAddress(req.socket.remoteAddress);
}

/** Replaces any incoming value of the client address header with the real one. */
export function stampClientAddress(req: IncomingMessage, trustProxy: boolean): void {
  delete req.headers[CLIENT_ADDRESS_HEADER];
  // Keep rawHeaders consistent: nothing downstream should see the client's own value.
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === CLIENT_ADDRESS_HEADER) raw.splice(i, 2);
  }
  const address = clientAddressOf(req, trustProxy);
  if (address) {
    req.headers[CLIENT_ADDRESS_HEADER] = address;
    raw.push(CLIENT_ADDRESS_HEADER, address);
  }
}
