// The one parameter reader (lib/oauth/http.ts readParameters): the same rules
// for the query of a GET and the form body of a POST, repeats kept for the
// caller to judge; and the fast lane buffering no more than it allows.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OAuthError, withOAuthErrors } from "@/lib/oauth/errors";
import { FormParameters, MAX_BODY_BYTES, isFormBody, readFormBody, readParameters } from "@/lib/oauth/http";
import { serveWebHandler } from "@/lib/server/webBridge";

const form = (body: BodyInit, contentType = "application/x-www-form-urlencoded") =>
  new Request("https://id.example.test/connect/authorize", { method: "POST", headers: { "Content-Type": contentType }, body });

async function refusalOf(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe("readParameters", () => {
  it("reads a GET's query and a POST's form body alike: empty values dropped, repeats kept", async () => {
    const fromQuery = await readParameters(new Request("https://id.example.test/connect/authorize?a=1&b=&a=2&c=3"));
    const fromBody = await readParameters(form("a=1&b=&a=2&c=3"));
    for (const params of [fromQuery, fromBody]) {
      expect(params.get("a")).toBeUndefined(); // sent twice: no single value
      expect(params.count("a")).toBe(2);
      expect(params.has("b")).toBe(false);
      expect(params.get("c")).toBe("3");
      expect(params.repeatedNames()).toEqual(["a"]);
      expect([...params.entries()]).toEqual([["a", "1"], ["a", "2"], ["c", "3"]]);
      expect(params.size).toBe(2);
    }
  });

  it("a POST must be a form; its body is bounded and UTF-8", async () => {
    expect((await refusalOf(readParameters(form("{}", "application/json")))).status).toBe(400);
    expect((await refusalOf(readParameters(form(new Uint8Array([0x61, 0x3d, 0xff]))))).description).toContain("UTF-8");
    const tooLarge = await refusalOf(readParameters(form("a=" + "x".repeat(MAX_BODY_BYTES))));
    expect([tooLarge.code, tooLarge.status]).toEqual(["invalid_request", 413]);
  });

  it("readFormBody is the same reader, refusing a repeated parameter at once (RFC 6749 §3.2)", async () => {
    const error = await refusalOf(readFormBody(form("scope=a&grant_type=x&scope=b")));
    expect(error.description).toBe("Each parameter may appear only once; repeated: scope.");
    expect(() => FormParameters.collect(new URLSearchParams("x=1&x=2")).rejectRepeated()).toThrow(OAuthError);
  });

  it("isFormBody ignores case and parameters of the media type", () => {
    expect(isFormBody(form("", "Application/X-WWW-Form-Urlencoded; charset=UTF-8"))).toBe(true);
    expect(isFormBody(form("", "text/plain"))).toBe(false);
  });
});

describe("the fast lane buffers a body only up to the endpoints' limit", () => {
  let server: http.Server;
  let port: number;
  const received: number[] = [];

  beforeAll(async () => {
    // What the token endpoint does with a body: read it with the shared reader.
    const handler = withOAuthErrors(async (request: Request) => {
      received.push(Number(request.headers.get("x-sent")));
      const params = await readFormBody(request);
      return new Response(params.get("a") ?? "");
    });
    server = http.createServer((req, res) => void serveWebHandler(handler, "http://localhost", req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A chunked POST (no Content-Length to go by): status, Connection header and body of the answer. */
  function post(bytes: number): Promise<{ status: number; connection: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port, method: "POST", path: "/connect/token", headers: { "content-type": "application/x-www-form-urlencoded", "x-sent": String(bytes) } },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
        },
      );
      request.on("error", reject);
      const payload = Buffer.from("a=" + "x".repeat(bytes - 2));
      for (let at = 0; at < payload.length; at += 16 * 1024) request.write(payload.subarray(at, at + 16 * 1024));
      request.end();
    });
  }

  it("a body at the limit reaches the endpoint whole", async () => {
    const answer = await post(MAX_BODY_BYTES);
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(MAX_BODY_BYTES - 2);
  });

  it("past the limit the endpoint's own refusal answers (413 invalid_request, no-store), and the connection closes", async () => {
    const answer = await post(MAX_BODY_BYTES * 3);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_request" });
    expect(answer.connection).toBe("close");
    expect(received).toContain(MAX_BODY_BYTES * 3);
  });
});
