import { randomBytes } from "node:crypto";
import { InteractionSealer } from "@/lib/oauth/sealedInteraction";
import { formActionSourceFor } from "@/lib/oauth/formAction";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { getScriptNonceFromHeader } from "next/dist/server/app-render/get-script-nonce-from-header";
import {
  createPageSecurity,
  HSTS_VALUE,
  interactionOfPageUrl,
  interactionRedirectTargets,
  newNonce,
  pagePolicy,
  strictTransportSecurity,
} from "@/lib/server/contentSecurityPolicy";
import type { StoredInteraction } from "@/lib/oauth/ports";

/** The directives of a policy, by name. */
function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(";").map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

describe("HSTS (RFC 6797)", () => {
  it("is sent for an https issuer, two years with subdomains", () => {
    expect(strictTransportSecurity("https://id.example.com")).toBe(HSTS_VALUE);
    expect(HSTS_VALUE).toBe("max-age=63072000; includeSubDomains");
  });

  it("is never sent for an http issuer, nor for an https loopback one", () => {
    expect(strictTransportSecurity("http://localhost:3000")).toBeNull();
    expect(strictTransportSecurity("http://id.example.com")).toBeNull();
    expect(strictTransportSecurity("https://localhost:8443")).toBeNull();
    expect(strictTransportSecurity("https://127.0.0.1")).toBeNull();
    expect(strictTransportSecurity("https://[::1]:8443")).toBeNull();
  });
});

describe("the page policy", () => {
  const nonce = newNonce();
  const policy = directives(pagePolicy({ nonce }));

  it("allows scripts and styles from this origin and with the request's nonce only", () => {
    expect(policy.get("script-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(policy.get("style-src")).toEqual(["'self'", `'nonce-${nonce}'`]);
    expect(pagePolicy({ nonce })).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*/);
  });

  it("forbids plugins, base changes and framing; forms post to this origin", () => {
    expect(policy.get("object-src")).toEqual(["'none'"]);
    expect(policy.get("base-uri")).toEqual(["'none'"]);
    expect(policy.get("frame-ancestors")).toEqual(["'none'"]);
    expect(policy.get("form-action")).toEqual(["'self'"]);
  });

  it("is what Next.js reads the nonce from", () => {
    expect(getScriptNonceFromHeader(pagePolicy({ nonce }))).toBe(nonce);
  });

  it("adds exactly the redirect targets' origins to form-action, once each", () => {
    const formAction = directives(
      pagePolicy({
        nonce,
        formRedirectTargets: [
          "https://app.example.com/callback?x=1",
          "https://app.example.com/other",
          "http://localhost:5173/callback",
          "http://127.0.0.1:49152/cb",
          "not a url",
        ],
      }),
    ).get("form-action");
    expect(formAction).toEqual(["'self'", "https://app.example.com", "http://localhost:5173", "http://127.0.0.1:49152"]);
  });

  it("a fresh 128-bit nonce per call", () => {
    const nonces = new Set(Array.from({ length: 50 }, newNonce));
    expect(nonces.size).toBe(50);
    for (const value of nonces) expect(Buffer.from(value, "base64")).toHaveLength(16);
  });
});

describe("form-action source of a redirect URI", () => {
  it("http(s): the origin, default ports dropped", () => {
    expect(formActionSourceFor("https://app.example.com:443/cb")).toBe("https://app.example.com");
    expect(formActionSourceFor("https://app.example.com:8443/cb#")).toBe("https://app.example.com:8443");
  });

  it("an IPv6 literal cannot be a host-source: the scheme", () => {
    expect(formActionSourceFor("http://[::1]:8080/cb")).toBe("http:");
  });

  it("a private-use scheme (RFC 8252 §7.1): the scheme", () => {
    expect(formActionSourceFor("com.example.app:/oauth2redirect")).toBe("com.example.app:");
  });

  it("nothing for what is not a URL", () => {
    expect(formActionSourceFor("")).toBeNull();
    expect(formActionSourceFor("/relative")).toBeNull();
  });
});

describe("the interaction of a page URL", () => {
  const id = "a".repeat(43);

  it("is read on the sign-in and consent pages only", () => {
    expect(interactionOfPageUrl(`/login?interaction=${id}`)).toBe(id);
    expect(interactionOfPageUrl(`/consent?foo=1&interaction=${id}`)).toBe(id);
    expect(interactionOfPageUrl(`/consent/?interaction=${id}`)).toBe(id);
    expect(interactionOfPageUrl(`/account?interaction=${id}`)).toBeNull();
    expect(interactionOfPageUrl("/login")).toBeNull();
    expect(interactionOfPageUrl("/login?returnTo=%2Faccount")).toBeNull();
  });
});

function interactionWith(redirectUri: string): StoredInteraction {
  return { request: { redirectUri } } as unknown as StoredInteraction;
}

describe("redirect targets of an interaction", () => {
  const id = "b".repeat(43);
  const sealer = new InteractionSealer(randomBytes(32).toString("base64url"));
  const sealedFor = (redirectUri: string, expiresAt: number) =>
    sealer.seal({
      id: "s".repeat(43),
      applicationId: "00000000-0000-4000-8000-000000000001",
      request: { ...interactionWith(redirectUri).request, clientId: "app", scopes: ["openid"], codeChallenge: "c".repeat(43), state: null, nonce: null, prompt: [], maxAge: null, loginHint: null, redirectUriProvided: true } as StoredInteraction["request"],
      createdAt: new Date(1_000),
      expiresAt: new Date(expiresAt),
    });

  it("the pending request's redirect URI; nothing for an unknown or malformed id", async () => {
    const looked: string[] = [];
    const targets = interactionRedirectTargets(
      {
        async findInteraction(candidate) {
          looked.push(candidate);
          return candidate === id ? interactionWith("https://app.example.com/cb") : null;
        },
      },
      sealer,
    );
    expect(await targets(id)).toEqual(["https://app.example.com/cb"]);
    expect(await targets("c".repeat(43))).toEqual([]);
    expect(await targets("short")).toEqual([]);
    expect(looked).toEqual([id, "c".repeat(43)]); // a malformed id costs no lookup
  });

  it("a sealed request's redirect URI, read without the database; nothing once expired or altered", async () => {
    const targets = interactionRedirectTargets(
      {
        async findInteraction() {
          throw new Error("a sealed interaction needs no lookup");
        },
      },
      sealer,
      () => 5_000,
    );
    const sealed = sealedFor("https://spa.example.com/callback", 10_000);
    expect(await targets(sealed)).toEqual(["https://spa.example.com/callback"]);
    expect(await targets(sealedFor("https://spa.example.com/callback", 4_000))).toEqual([]);
    const altered = sealed.slice(0, 20) + (sealed[20] === "A" ? "B" : "A") + sealed.slice(21);
    expect(await targets(altered)).toEqual([]);
  });
});

function fakeExchange(url: string, requestHeaders: Record<string, string> = {}) {
  const req = { url, headers: { ...requestHeaders } } as unknown as IncomingMessage;
  const sent = new Map<string, string>();
  const res = { setHeader: (name: string, value: string) => sent.set(name.toLowerCase(), value) } as unknown as ServerResponse;
  return { req, res, sent };
}

describe("applying the page policy to a request for Next.js", () => {
  const id = "d".repeat(43);
  const apply = createPageSecurity({
    formRedirectTargets: async (interaction) => {
      if (interaction === "broken") throw new Error("database down");
      return interaction === id ? ["https://app.example.com/cb"] : [];
    },
  });

  it("sets the same policy on the request (for the nonce) and on the response, replacing the client's", async () => {
    const { req, res, sent } = fakeExchange("/account", {
      "content-security-policy": "script-src 'nonce-chosenbyclient'",
      "content-security-policy-report-only": "script-src 'nonce-chosenbyclient'",
    });
    await apply(req, res);
    const policy = sent.get("content-security-policy")!;
    expect(req.headers["content-security-policy"]).toBe(policy);
    expect(req.headers["content-security-policy-report-only"]).toBeUndefined();
    expect(getScriptNonceFromHeader(policy)).not.toBe("chosenbyclient");
    expect(directives(policy).get("form-action")).toEqual(["'self'"]);
  });

  it("a new nonce for every response", async () => {
    const first = fakeExchange("/");
    const second = fakeExchange("/");
    await apply(first.req, first.res);
    await apply(second.req, second.res);
    expect(getScriptNonceFromHeader(first.sent.get("content-security-policy")!)).not.toBe(
      getScriptNonceFromHeader(second.sent.get("content-security-policy")!),
    );
  });

  it("the sign-in page resuming an authorization may redirect its form post to the client", async () => {
    const { req, res, sent } = fakeExchange(`/login?interaction=${id}`);
    await apply(req, res);
    expect(directives(sent.get("content-security-policy")!).get("form-action")).toEqual(["'self'", "https://app.example.com"]);
  });

  it("a failed lookup gives form-action 'self' and never rejects", async () => {
    const { req, res, sent } = fakeExchange("/consent?interaction=broken");
    await expect(apply(req, res)).resolves.toBeUndefined();
    expect(directives(sent.get("content-security-policy")!).get("form-action")).toEqual(["'self'"]);
  });
});
