import { describe, expect, it } from "vitest";
import { OAuthError } from "@/lib/oauth/errors";
import { FormParameters, jsonResponse, readFormBody, requireMethod } from "@/lib/oauth/http";

async function rejection(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

function syncRejection(work: () => unknown): OAuthError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error("expected an OAuthError");
}

function formPost(body: BodyInit | null, contentType?: string, extra: Record<string, string> = {}): Request {
  const headers: Record<string, string> = { ...extra };
  if (contentType !== undefined) headers["Content-Type"] = contentType;
  return new Request("https://id.example.test/connect/token", { method: "POST", headers, body });
}

describe("FormParameters", () => {
  it("AZ-19 a repeated parameter is invalid_request and names the parameter", () => {
    const error = syncRejection(() =>
      FormParameters.fromSearchParams(new URLSearchParams("grant_type=client_credentials&scope=a&scope=b")),
    );
    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
    expect(error.description).toContain("scope");
    expect(error.description).not.toContain("grant_type");
  });

  it("a parameter repeated with the same value is still refused", () => {
    const error = syncRejection(() => FormParameters.fromSearchParams(new URLSearchParams("a=1&a=1")));
    expect(error.code).toBe("invalid_request");
  });

  it("empty values are treated as omitted (RFC 6749 §3.1)", () => {
    const form = FormParameters.fromSearchParams(new URLSearchParams("grant_type=client_credentials&scope=&client_id="));
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.has("scope")).toBe(false);
    expect(form.get("scope")).toBeUndefined();
    expect(form.has("client_id")).toBe(false);
    expect(() => form.require("scope")).toThrow(OAuthError);
  });

  it("an empty value next to a real one is not a repetition", () => {
    const form = FormParameters.fromSearchParams(new URLSearchParams("scope=&scope=api"));
    expect(form.get("scope")).toBe("api");
  });

  it("require() names the missing parameter and appends the hint", () => {
    const form = FormParameters.fromSearchParams(new URLSearchParams(""));
    const error = syncRejection(() => form.require("grant_type", "Use one of: client_credentials."));
    expect(error.code).toBe("invalid_request");
    expect(error.description).toBe("The 'grant_type' parameter is missing. Use one of: client_credentials.");
  });

  it("decodes percent-encoding and plus signs", () => {
    const form = FormParameters.fromSearchParams(new URLSearchParams("scope=a+b&x=%C3%A9%2B"));
    expect(form.get("scope")).toBe("a b");
    expect(form.get("x")).toBe("é+");
  });
});

describe("readFormBody", () => {
  it("reads a form body", async () => {
    const form = await readFormBody(formPost("grant_type=client_credentials&scope=api", "application/x-www-form-urlencoded"));
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(form.get("scope")).toBe("api");
  });

  it('accepts "application/x-www-form-urlencoded; charset=UTF-8" (parameters and case ignored)', async () => {
    const form = await readFormBody(formPost("a=1", "application/x-www-form-urlencoded; charset=UTF-8"));
    expect(form.get("a")).toBe("1");
    const upper = await readFormBody(formPost("a=2", "Application/X-WWW-Form-Urlencoded;charset=utf-8"));
    expect(upper.get("a")).toBe("2");
  });

  it("refuses a JSON body with invalid_request naming the content type", async () => {
    const error = await rejection(readFormBody(formPost('{"grant_type":"client_credentials"}', "application/json")));
    expect(error.code).toBe("invalid_request");
    expect(error.status).toBe(400);
    expect(error.description).toContain("application/json");
  });

  it("refuses a body without a Content-Type", async () => {
    const request = new Request("https://id.example.test/connect/token", {
      method: "POST",
      body: new Uint8Array(new TextEncoder().encode("a=1")),
    });
    expect(request.headers.get("content-type")).toBeNull();
    const error = await rejection(readFormBody(request));
    expect(error.code).toBe("invalid_request");
    expect(error.description).toContain("no Content-Type");
  });

  it("refuses multipart/form-data", async () => {
    const data = new FormData();
    data.set("grant_type", "client_credentials");
    const error = await rejection(readFormBody(new Request("https://x.test/", { method: "POST", body: data })));
    expect(error.code).toBe("invalid_request");
  });

  it("refuses an oversized body with 413, whether or not Content-Length announces it", async () => {
    const big = "a=" + "x".repeat(64 * 1024);
    const announced = await rejection(
      readFormBody(formPost(big, "application/x-www-form-urlencoded", { "Content-Length": String(big.length) })),
    );
    expect(announced.status).toBe(413);
    expect(announced.code).toBe("invalid_request");

    // Streamed without a length: the reader must stop at the limit.
    const encoder = new TextEncoder();
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls > 100) controller.close();
        else controller.enqueue(encoder.encode("x".repeat(8 * 1024)));
      },
    });
    const streamed = await rejection(
      readFormBody(
        new Request("https://x.test/", {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: stream,
          duplex: "half",
        } as RequestInit),
      ),
    );
    expect(streamed.status).toBe(413);
    expect(pulls).toBeLessThan(100);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const body = "a=" + "x".repeat(64 * 1024 - 2);
    const form = await readFormBody(formPost(body, "application/x-www-form-urlencoded"));
    expect(form.get("a")).toHaveLength(64 * 1024 - 2);
  });

  it("refuses a body that is not valid UTF-8", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode("scope="), 0xff, 0xfe]);
    const error = await rejection(readFormBody(formPost(bytes, "application/x-www-form-urlencoded")));
    expect(error.code).toBe("invalid_request");
    expect(error.description).toContain("UTF-8");
  });

  it("accepts raw UTF-8 in the body", async () => {
    const form = await readFormBody(formPost(new TextEncoder().encode("name=Zoë"), "application/x-www-form-urlencoded"));
    expect(form.get("name")).toBe("Zoë");
  });

  it("an empty body gives no parameters", async () => {
    const form = await readFormBody(formPost(null, "application/x-www-form-urlencoded"));
    expect(form.has("grant_type")).toBe(false);
  });

  it("AZ-19 refuses a repeated parameter in the body", async () => {
    const error = await rejection(readFormBody(formPost("grant_type=a&grant_type=b", "application/x-www-form-urlencoded")));
    expect(error.code).toBe("invalid_request");
    expect(error.description).toContain("grant_type");
  });
});

describe("requireMethod and jsonResponse", () => {
  it("a wrong method is 405 with an Allow header", () => {
    const error = syncRejection(() => requireMethod(new Request("https://x.test/", { method: "PUT" }), ["GET", "HEAD"]));
    expect(error.status).toBe(405);
    expect(error.headers.Allow).toBe("GET, HEAD");
  });

  it("jsonResponse sets no-store only when asked", async () => {
    const cached = jsonResponse({ a: 1 });
    expect(cached.headers.get("cache-control")).toBeNull();
    const noStore = jsonResponse({ a: 1 }, { noStore: true, status: 201 });
    expect(noStore.status).toBe(201);
    expect(noStore.headers.get("cache-control")).toBe("no-store");
    expect(noStore.headers.get("pragma")).toBe("no-cache");
    expect(await noStore.json()).toEqual({ a: 1 });
  });
});
