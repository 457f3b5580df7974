// The client's network address as the portal sees it. server.ts (the only
// production entry to Next.js) overwrites this header on every request it
// hands to Next.js, so pages and server actions can trust it; see
// docs/decisions/0002-sign-in.md for `next dev` and `next start`.
//
// Behind reverse proxies the address comes from X-Forwarded-For, read from the
// RIGHT: each proxy appends the address of whoever connected to it, so only
// the entries our own proxies appended can be believed; everything to their
// left was written by the client (docs/decisions/0012-proxies-client-limits-cors.md).
import type { IncomingMessage } from "node:http";
import net from "node:net";

export const CLIENT_ADDRESS_HEADER = "x-gatehouse-client-ip";

/**
 * Which X-Forwarded-For entries to believe (GATEHOUSE_TRUST_PROXY):
 * none (the socket's peer is the client), a number of proxy hops in front of
 * this server, or the addresses/subnets of the trusted proxies.
 */
export type TrustedProxies =
  | { kind: "none" }
  | { kind: "hops"; hops: number }
  | { kind: "addresses"; list: net.BlockList; description: string };

export const TRUST_NO_PROXY: TrustedProxies = { kind: "none" };

/** Names for the usual private ranges (the same names as Express's `trust proxy`). */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
};

const MAX_HOPS = 32;

/**
 * Parses GATEHOUSE_TRUST_PROXY: unset, empty or "0" trusts nothing; a positive
 * integer is a hop count; anything else is a comma-separated list of IPv4/IPv6
 * addresses, CIDR subnets, or the names loopback, linklocal, uniquelocal.
 * Throws an Error that names the bad part.
 */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const text = (value ?? "").trim();
  if (text === "" || text === "0") return TRUST_NO_PROXY;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_HOPS) throw new Error(`GATEHOUSE_TRUST_PROXY: ${hops} proxy hops is not plausible (at most ${MAX_HOPS}).`);
    return { kind: "hops", hops };
  }
  const list = new net.BlockList();
  const entries = text.split(",").map((entry) => entry.trim());
  for (const entry of entries) {
    const problem = addTrustedEntry(list, entry);
    if (problem) {
      throw new Error(
        `GATEHOUSE_TRUST_PROXY must be a number of proxy hops (e.g. 1) or a comma-separated list of proxy addresses ` +
          `or CIDR subnets (e.g. 10.0.0.0/8, 2001:db8::/32, loopback); "${entry}" ${problem}.`,
      );
    }
  }
  return { kind: "addresses", list, description: entries.join(", ") };
}

/** Adds one address, subnet or range name to `list`; returns what is wrong with it, or null. */
function addTrustedEntry(list: net.BlockList, entry: string): string | null {
  if (entry === "") return "is empty (a stray comma?)";
  const named = NAMED_RANGES[entry.toLowerCase()];
  if (named) {
    for (const range of named) addTrustedEntry(list, range);
    return null;
  }
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = net.isIP(address);
  if (family === 0 || address.includes("%")) return "is not an IPv4 or IPv6 address";
  const type = family === 4 ? "ipv4" : "ipv6";
  if (slash < 0) {
    list.addAddress(address, type);
    return null;
  }
  const prefixText = entry.slice(slash + 1);
  const maxPrefix = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) return `has a prefix length that is not 0-${maxPrefix}`;
  list.addSubnet(address, Number(prefixText), type);
  return null;
}

/** A printable address of bounded length, or null. IPv4-mapped IPv6 becomes plain IPv4. */
export function normalizeClientAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  let address = value.trim();
  if (address.startsWith("::ffff:") && address.includes(".")) address = address.slice(7);
  if (!address || address.length > 64 || !/^[0-9A-Za-z.:_%\-[\]]+$/.test(address)) return null;
  return address;
}

/**
 * One X-Forwarded-For entry as an IP address, or null when it is not one.
 * Accepts the port forms some proxies write (1.2.3.4:5678, [2001:db8::1]:443).
 */
export function forwardedAddress(entry: string): string | null {
  let text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(text)) text = text.slice(0, text.indexOf(":"));
  return net.isIP(text) ? normalizeClientAddress(text) : null;
}

function isTrustedProxy(list: net.BlockList, address: string): boolean {
  const bare = address.split("%")[0]!; // an IPv6 zone does not change which host it is
  return list.check(bare, net.isIP(bare) === 4 ? "ipv4" : "ipv6");
}

function forwardedEntries(req: IncomingMessage): string[] {
  const header = req.headers["x-forwarded-for"];
  const joined = Array.isArray(header) ? header.join(",") : header;
  return joined ? joined.split(",") : [];
}

/**
 * The address to record for `req`, walking from the right of the chain
 * [X-Forwarded-For entries..., socket peer]:
 * - none: the socket peer;
 * - hops N: the N-th entry left of the peer (1 = the one the proxy in front appended);
 *   a shorter chain gives its leftmost entry (the request passed fewer proxies);
 * - addresses: the peer, unless it is a trusted proxy; then leftwards past every
 *   trusted proxy to the first address that is not one.
 * An entry that is not an IP address ends the walk: the address right of it is used,
 * since only a trusted proxy's own entries are believed and that one is garbage.
 */
export function clientAddressOf(req: IncomingMessage, proxies: TrustedProxies): string | null {
  const peer = normalizeClientAddress(req.socket.remoteAddress);
  if (proxies.kind === "none" || peer === null) return peer;
  if (proxies.kind === "addresses" && !isTrustedProxy(proxies.list, peer)) return peer;
  const entries = forwardedEntries(req);
  let current = peer;
  for (let step = 1, i = entries.length - 1; i >= 0; step++, i--) {
    const next = forwardedAddress(entries[i]!);
    if (next === null) return current;
    current = next;
    if (proxies.kind === "hops" ? step >= proxies.hops : !isTrustedProxy(proxies.list, current)) return current;
  }
  return current;
}

/** Replaces any incoming value of the client address header with the real one. */
export function stampClientAddress(req: IncomingMessage, proxies: TrustedProxies): void {
  delete req.headers[CLIENT_ADDRESS_HEADER];
  // Keep rawHeaders consistent: nothing downstream should see the client's own value.
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() === CLIENT_ADDRESS_HEADER) raw.splice(i, 2);
  }
  const address = clientAddressOf(req, proxies);
  if (address) {
    req.headers[CLIENT_ADDRESS_HEADER] = address;
    raw.push(CLIENT_ADDRESS_HEADER, address);
  }
}
