import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { isPossibleServerActionPost, judgeServerActionOrigin } from "@/lib/auth/crossOriginGuard";
import { TRUST_NO_PROXY, clientAddressOf, normalizeClientAddress, parseTrustedProxies, stampClientAddress } from "@/lib/auth/clientAddress";

function req(headers: Record<string, string>, method = "POST", remoteAddress = "127.0.0.1"): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method,
    headers: lower,
    rawHeaders: Object.entries(headers).flat(),
    socket: { remoteAddress, encrypted: false },
  } as unknown as IncomingMessage;
}

const multipart = { "content-type": "multipart/form-data; boundary=x", host: "id.example.test" };

describe("server action origin guard", () => {
  it("only looks at what Next.js treats as possible server actions", () => {
    expect(isPossibleServerActionPost(req(multipart))).toBe(true);
    expect(isPossibleServerActionPost(req({ "next-action": "abc", host: "h" }))).toBe(true);
    expect(isPossibleServerActionPost(req({ "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }))).toBe(false);
    expect(isPossibleServerActionPost(req(multipart, "GET"))).toBe(false);
    expect(judgeServerActionOrigin(req({ "content-type": "application/json", origin: "https://evil.example", host: "h" }))).toEqual({ verdict: "pass" });
  });

  it("passes a same-origin post and one without Origin (not from a browser form)", () => {
    expect(judgeServerActionOrigin(req({ ...multipart, origin: "https://id.example.test" }))).toEqual({ verdict: "pass" });
    expect(judgeServerActionOrigin(req(multipart))).toEqual({ verdict: "pass" });
    expect(judgeServerActionOrigin(req({ ...multipart, origin: "https://id.example.test", "sec-fetch-site": "same-origin" }))).toEqual({ verdict: "pass" });
  });

  it("refuses several Origin headers (joined by Node.js with a comma), even when the first is the request's own origin", () => {
    expect(judgeServerActionOrigin(req({ ...multipart, origin: "https://id.example.test, https://evil.example" }))).toEqual({ verdict: "refuse" });
    expect(judgeServerActionOrigin(req({ ...multipart, origin: "https://id.example.test, https://id.example.test" }))).toEqual({ verdict: "refuse" });
    expect(judgeServerActionOrigin(req({ ...multipart, origin: "null, null", "sec-fetch-site": "same-origin" }))).toEqual({ verdict: "refuse" });
  });

  it("turns a same-origin post's null Origin into the request's own origin", () => {
    expect(judgeServerActionOrigin(req({ ...multipart, origin: "null", "sec-fetch-site": "same-origin" }))).toEqual({
      verdict: "pass-with-origin",
      origin: "http://id.example.test",
    });
    expect(
      judgeServerActionOrigin(req({ ...multipart, origin: "null", "sec-fetch-site": "same-origin", "x-forwarded-proto": "https", "x-forwarded-host": "id.example.com" })),
    ).toEqual({ verdict: "pass-with-origin", origin: "https://id.example.com" });
  });

  it("refuses other sites, opaque origins without Sec-Fetch-Site, and unparsable origins", () => {
    const cases: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "https://id.example.test.evil.example" },
      { origin: "null" },
      { origin: "not a url" },
      { origin: "https://id.example.test", "sec-fetch-site": "cross-site" },
      { origin: "https://sub.example.test", "sec-fetch-site": "same-site" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const headers of cases) {
      expect(judgeServerActionOrigin(req({ ...multipart, ...headers })), JSON.stringify(headers)).toEqual({ verdict: "refuse" });
    }
  });
});

describe("client address", () => {
  it("normalises and bounds what it records", () => {
    expect(normalizeClientAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeClientAddress(" 2001:db8::1 ")).toBe("2001:db8::1");
    expect(normalizeClientAddress("fe80::1%eth0")).toBe("fe80::1%eth0");
    expect(normalizeClientAddress("")).toBeNull();
    expect(normalizeClientAddress("1.2.3.4<script>")).toBeNull();
    expect(normalizeClientAddress("9".repeat(65))).toBeNull();
  });

  it("uses the socket address unless proxies are trusted, then X-Forwarded-For read from the right (more in clientAddress.test.ts)", () => {
    const request = req({ "x-forwarded-for": "203.0.113.5, 10.0.0.1" }, "GET", "::ffff:10.0.0.1");
    expect(clientAddressOf(request, TRUST_NO_PROXY)).toBe("10.0.0.1");
    expect(clientAddressOf(request, parseTrustedProxies("2"))).toBe("203.0.113.5");
    expect(clientAddressOf(req({}, "GET", "10.0.0.2"), parseTrustedProxies("1"))).toBe("10.0.0.2");
  });

  it("overwrites whatever the client sent in x-gatehouse-client-ip", () => {
    const request = req({ "X-Gatehouse-Client-IP": "1.1.1.1", host: "h" }, "GET", "192.0.2.7");
    stampClientAddress(request, TRUST_NO_PROXY);
    expect(request.headers["x-gatehouse-client-ip"]).toBe("192.0.2.7");
    expect(request.rawHeaders).toEqual(["host", "h", "x-gatehouse-client-ip", "192.0.2.7"]);
  });
});
