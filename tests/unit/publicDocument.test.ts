// lib/oauth/publicDocument.ts: discovery and JWKS built once per change, with a strong ETag
// and conditional GETs (RFC 9110 §8.8.3, §13.1.2), through the Web handler.
import { describe, expect, it } from "vitest";
import { createDiscoveryEndpoint } from "@/lib/oauth/discovery";
import { createJwksEndpoint } from "@/lib/oauth/jwks";
import { clientHasCurrentCopy, documentAnswer, isDocumentEndpoint, publicDocument } from "@/lib/oauth/publicDocument";
import { InMemoryScopeStore, makeScope, testConfig } from "./fakes";

const ISSUER = "https://id.example.test";
const get = (path: string, headers: Record<string, string> = {}, method = "GET") => new Request(ISSUER + path, { method, headers });

describe("publicDocument", () => {
  it("the ETag is strong, quoted and follows the bytes", () => {
    const a = publicDocument('{"a":1}', { "Content-Type": "application/json" });
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(publicDocument('{"a":1}', {}).etag).toBe(a.etag);
    expect(publicDocument('{"a":2}', {}).etag).not.toBe(a.etag);
    expect(a.headers).toMatchObject({ "Content-Type": "application/json", ETag: a.etag });
  });

  it("If-None-Match: the current tag, its weak form, one of a list, or * means the client's copy is current", () => {
    const { etag } = publicDocument("{}", {});
    expect(clientHasCurrentCopy(etag, etag)).toBe(true);
    expect(clientHasCurrentCopy(`W/${etag}`, etag)).toBe(true);
    expect(clientHasCurrentCopy(`"other", ${etag}`, etag)).toBe(true);
    expect(clientHasCurrentCopy("*", etag)).toBe(true);
    expect(clientHasCurrentCopy('"other"', etag)).toBe(false);
    expect(clientHasCurrentCopy(etag.slice(1, -1), etag)).toBe(false);
    expect(clientHasCurrentCopy(undefined, etag)).toBe(false);
    expect(clientHasCurrentCopy("", etag)).toBe(false);
  });

  it("answers 200 with the bytes, HEAD without them, and 304 without a body to a current copy", () => {
    const document = publicDocument('{"keys":[]}', {});
    expect(documentAnswer(document, "GET", null)).toMatchObject({ status: 200, body: document.body, length: 11 });
    expect(documentAnswer(document, "HEAD", null)).toMatchObject({ status: 200, body: null, length: 11 });
    expect(documentAnswer(document, "GET", document.etag)).toMatchObject({ status: 304, body: null });
  });
});

describe("discovery as a public document", () => {
  function setup() {
    const scopes = new InMemoryScopeStore([makeScope("openid"), makeScope("email")]);
    const endpoint = createDiscoveryEndpoint({ config: testConfig({ issuer: ISSUER }), scopes, cacheMs: 0 });
    return { scopes, endpoint };
  }

  it("DISC-01: is a document endpoint whose bytes are kept while the scope names do not change", async () => {
    const { endpoint } = setup();
    expect(isDocumentEndpoint(endpoint)).toBe(true);
    const first = await endpoint.document();
    expect(await endpoint.document()).toBe(first);
    expect(JSON.parse(first.body.toString()).scopes_supported).toEqual(["email", "openid"]);
  });

  it("DISC-02: a new scope is listed on the next read after the cache time, with a new ETag", async () => {
    const { scopes, endpoint } = setup();
    const before = await endpoint.document();
    scopes.scopes.set("orders:read", makeScope("orders:read"));
    const after = await endpoint.document();
    expect(after.etag).not.toBe(before.etag);
    expect(JSON.parse(after.body.toString()).scopes_supported).toContain("orders:read");
  });

  it("DISC-01: the Web handler sends the same bytes, headers and ETag, HEAD without a body, 304 on If-None-Match", async () => {
    const { endpoint } = setup();
    const document = await endpoint.document();
    const response = await endpoint(get("/.well-known/openid-configuration"));
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(document.body)).toBe(true);
    expect(response.headers.get("etag")).toBe(document.etag);
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const head = await endpoint(get("/.well-known/openid-configuration", {}, "HEAD"));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const notModified = await endpoint(get("/.well-known/openid-configuration", { "If-None-Match": document.etag }));
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe(document.etag);
    expect(await notModified.text()).toBe("");
  });

  it("a scope store failure is a server_error answer from the Web handler, not a throw", async () => {
    const { scopes, endpoint } = setup();
    scopes.failWith = new Error("database down");
    const quiet = console.error;
    console.error = () => undefined;
    try {
      const response = await endpoint(get("/.well-known/openid-configuration"));
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error: "server_error" });
    } finally {
      console.error = quiet;
    }
  });
});

describe("JWKS as a public document", () => {
  it("DISC-06: rebuilt when the key ring's JWKS changes, kept otherwise", async () => {
    let json = '{"keys":[{"kid":"a"}]}';
    const endpoint = createJwksEndpoint({ publicKeys: async () => ({ keys: [], json }) });
    const first = await endpoint.document();
    expect(await endpoint.document()).toBe(first);
    expect(first.headers["Content-Type"]).toBe("application/jwk-set+json");
    json = '{"keys":[{"kid":"a"},{"kid":"b"}]}';
    const second = await endpoint.document();
    expect(second.etag).not.toBe(first.etag);
    expect(second.body.toString()).toBe(json);
  });
});
