// GATEHOUSE_TRUST_PROXY (lib/auth/clientAddress.ts, lib/settings.ts): which
// X-Forwarded-For entry names the client. Read from the right: only what our
// own proxies appended is believed; the client writes everything to the left.
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { TRUST_NO_PROXY, clientAddressOf, forwardedAddress, parseTrustedProxies } from "@/lib/auth/clientAddress";
import { readSettings } from "@/lib/settings";

function req(peer: string | undefined, forwardedFor?: string | string[]): IncomingMessage {
  return {
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
    rawHeaders: [],
    socket: { remoteAddress: peer },
  } as unknown as IncomingMessage;
}

const env = (vars: Record<string, string>) => ({ NODE_ENV: "test", GATEHOUSE_ROOT: "/tmp", ...vars }) as NodeJS.ProcessEnv;

const address = (trust: string | undefined, peer: string | undefined, forwardedFor?: string | string[]) =>
  clientAddressOf(req(peer, forwardedFor), parseTrustedProxies(trust));

describe("a spoofed first X-Forwarded-For entry changes nothing", () => {
  it.each([
    ["1", "10.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"],
    ["1", "10.0.0.1", "203.0.113.7", "203.0.113.7"],
    ["10.0.0.0/8", "10.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"],
    ["2", "10.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"],
    ["10.0.0.0/8", "10.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"],
  ])("trust %s, peer %s, X-Forwarded-For %s -> %s", (trust, peer, forwardedFor, expected) => {
    expect(address(trust, peer, forwardedFor)).toBe(expected);
    // Whatever the client writes in front, the answer stays.
    for (const spoof of ["1.1.1.1", "127.0.0.1", "10.0.0.5", "::1", "garbage", ""]) {
      expect(address(trust, peer, `${spoof}, ${forwardedFor}`)).toBe(expected);
    }
  });

  it("without a trusted proxy the header is ignored altogether", () => {
    expect(address(undefined, "198.51.100.4", "203.0.113.7")).toBe("198.51.100.4");
    expect(address("0", "198.51.100.4", "203.0.113.7")).toBe("198.51.100.4");
    expect(address("", "198.51.100.4", "203.0.113.7")).toBe("198.51.100.4");
    expect(clientAddressOf(req("::ffff:198.51.100.4", "203.0.113.7"), TRUST_NO_PROXY)).toBe("198.51.100.4");
  });
});

describe("hop counts", () => {
  const chain = "192.0.2.1, 198.51.100.2, 203.0.113.3";
  it("N hops: the N-th entry from the right (1 = the one the proxy in front appended)", () => {
    expect(address("1", "10.0.0.1", chain)).toBe("203.0.113.3");
    expect(address("2", "10.0.0.1", chain)).toBe("198.51.100.2");
    expect(address("3", "10.0.0.1", chain)).toBe("192.0.2.1");
  });

  it("a chain shorter than the hop count gives its leftmost entry (the request passed fewer proxies)", () => {
    expect(address("5", "10.0.0.1", chain)).toBe("192.0.2.1");
    expect(address("2", "10.0.0.1", "203.0.113.3")).toBe("203.0.113.3");
  });

  it("no header: the socket peer", () => {
    expect(address("1", "10.0.0.1")).toBe("10.0.0.1");
    expect(address("1", "10.0.0.1", "")).toBe("10.0.0.1");
  });

  it("several header lines are one list, in order", () => {
    expect(address("1", "10.0.0.1", ["6.6.6.6", "203.0.113.7"])).toBe("203.0.113.7");
    expect(address("2", "10.0.0.1", ["6.6.6.6", "203.0.113.7, 10.0.0.2"])).toBe("203.0.113.7");
  });
});

describe("trusted proxy lists (IPv4 and IPv6 addresses and CIDRs)", () => {
  it("walks left past every trusted proxy to the first address that is not one", () => {
    const trust = "10.0.0.0/8, 2001:db8:1::/48, 192.168.1.10";
    expect(address(trust, "10.1.1.1", "203.0.113.7, 192.168.1.10, 10.2.2.2")).toBe("203.0.113.7");
    expect(address(trust, "2001:db8:1::5", "2001:db8:ffff::9, 2001:db8:1::6")).toBe("2001:db8:ffff::9");
    expect(address(trust, "::ffff:10.1.1.1", "203.0.113.7")).toBe("203.0.113.7");
    // 192.168.1.11 is not the trusted 192.168.1.10: it is the client.
    expect(address(trust, "10.1.1.1", "6.6.6.6, 192.168.1.11, 10.2.2.2")).toBe("192.168.1.11");
  });

  it("a peer that is not a trusted proxy is the client, whatever the header says", () => {
    expect(address("10.0.0.0/8", "203.0.113.50", "10.0.0.1")).toBe("203.0.113.50");
    expect(address("2001:db8::/32", "2001:db9::1", "2001:db8::1")).toBe("2001:db9::1");
    expect(address("loopback", "192.0.2.9", "203.0.113.7")).toBe("192.0.2.9");
  });

  it("named ranges: loopback, linklocal, uniquelocal", () => {
    expect(address("loopback", "127.0.0.1", "203.0.113.7")).toBe("203.0.113.7");
    expect(address("loopback", "::1", "203.0.113.7")).toBe("203.0.113.7");
    expect(address("uniquelocal", "172.20.0.3", "203.0.113.7")).toBe("203.0.113.7");
    expect(address("uniquelocal", "fd00::3", "203.0.113.7")).toBe("203.0.113.7");
    expect(address("linklocal", "fe80::1%eth0", "203.0.113.7")).toBe("203.0.113.7");
  });

  it("all entries trusted: the leftmost", () => {
    expect(address("10.0.0.0/8", "10.0.0.1", "10.0.0.3, 10.0.0.2")).toBe("10.0.0.3");
  });
});

describe("malformed entries", () => {
  it("an entry that is not an address ends the walk: the trusted address right of it is used", () => {
    expect(address("1", "10.0.0.1", "garbage")).toBe("10.0.0.1");
    expect(address("2", "10.0.0.1", "203.0.113.7, <script>, 10.0.0.2")).toBe("10.0.0.2");
    expect(address("10.0.0.0/8", "10.0.0.1", "203.0.113.7, unknown, 10.0.0.2")).toBe("10.0.0.2");
    expect(address("1", "10.0.0.1", "203.0.113.7, ")).toBe("10.0.0.1");
    expect(address("1", "10.0.0.1", "999.1.1.1")).toBe("10.0.0.1");
    expect(address("1", "10.0.0.1", "9".repeat(100))).toBe("10.0.0.1");
  });

  it("port forms some proxies write are read as the address", () => {
    expect(forwardedAddress("203.0.113.7:5123")).toBe("203.0.113.7");
    expect(forwardedAddress("[2001:db8::7]:443")).toBe("2001:db8::7");
    expect(forwardedAddress("[2001:db8::7]")).toBe("2001:db8::7");
    expect(forwardedAddress(" 2001:db8::7 ")).toBe("2001:db8::7");
    expect(forwardedAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(forwardedAddress("example.com")).toBeNull();
    expect(forwardedAddress("203.0.113.7:")).toBeNull();
    expect(forwardedAddress("[203.0.113.7")).toBeNull();
  });
});

describe("GATEHOUSE_TRUST_PROXY is parsed once, with a clear error", () => {
  it("reads hop counts, lists and nothing", () => {
    expect(readSettings(env({})).trustedProxies).toEqual(TRUST_NO_PROXY);
    expect(readSettings(env({ GATEHOUSE_TRUST_PROXY: "2" })).trustedProxies).toEqual({ kind: "hops", hops: 2 });
    const list = readSettings(env({ GATEHOUSE_TRUST_PROXY: "10.0.0.0/8,::1" })).trustedProxies;
    expect(list).toMatchObject({ kind: "addresses", description: "10.0.0.0/8, ::1" });
  });

  it.each([
    ["true", /"true" is not an IPv4 or IPv6 address/],
    ["yes", /not an IPv4 or IPv6 address/],
    ["10.0.0.0/33", /prefix length that is not 0-32/],
    ["2001:db8::/129", /prefix length that is not 0-128/],
    ["10.0.0.0/", /prefix length/],
    ["10.0.0.1,,10.0.0.2", /is empty/],
    ["-1", /not an IPv4 or IPv6 address/],
    ["1.5", /not an IPv4 or IPv6 address/],
    ["100", /not plausible/],
    ["fe80::1%eth0", /not an IPv4 or IPv6 address/],
  ])("%s is refused", (value, message) => {
    expect(() => readSettings(env({ GATEHOUSE_TRUST_PROXY: value }))).toThrow(/GATEHOUSE_TRUST_PROXY/);
    expect(() => parseTrustedProxies(value)).toThrow(message);
  });
});
