// Issue #10 item 6, the pieces in front of the handlers: method refusals, the
// checks before Next.js, and @auth/core's callbackUrl.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withoutCallbackUrl } from "@/lib/server/authRequests";
import { hasDecodablePath, parseMultipart, prepareForNext } from "@/lib/server/beforeNext";
import { answerPageMethod, refuseConnect, refuseProtocolMethod } from "@/lib/server/methods";

/** A node:http server that runs `prepareForNext` and echoes what Next.js would have received. */
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/protocol") return refuseProtocolMethod(res, ["POST", "OPTIONS"]);
    if (answerPageMethod(req, res)) return;
    void prepareForNext(req, res).then(async (request) => {
      if (!request) return;
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${request.method} ${Buffer.concat(chunks).toString()}`);
    });
  });
  server.on("connect", refuseConnect);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("methods nobody serves", () => {
  it("TRACE on a protocol endpoint: 405, Allow, the OAuth error shape, no-store", async () => {
    const answer = await raw("TRACE", "/protocol");
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe("POST, OPTIONS");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_request" });
  });

  it("TRACE, PUT or PROPFIND on a page: 405 with Allow; OPTIONS: 204 with Allow; GET passes", async () => {
    for (const method of ["TRACE", "PUT", "PROPFIND", "DELETE"]) {
      const answer = await raw(method, "/login");
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe("GET, HEAD, POST, OPTIONS");
    }
    const options = await raw("OPTIONS", "/login");
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe("GET, HEAD, POST, OPTIONS");
    expect((await raw("GET", "/login")).status).toBe(200);
  });

  it("CONNECT gets a 405 instead of a silently dropped socket", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: Number(new URL(base).port), method: "CONNECT", path: "example.com:443" });
      req.on("response", (res) => resolve(res.statusCode!));
      req.on("connect", (res) => resolve(res.statusCode!));
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(405);
  });
});

describe("checks before Next.js", () => {
  it("a path whose percent-encoding does not decode is a 400", async () => {
    expect(hasDecodablePath("/dashboard/users/%E0%A4%A?x=%zz")).toBe(false);
    expect(hasDecodablePath("/%")).toBe(false);
    expect(hasDecodablePath("/dashboard/users/caf%C3%A9?x=%zz")).toBe(true);
    expect((await raw("GET", "/dashboard/clients/%ZZ")).status).toBe(400);
  });

  it("a router state header Next.js cannot parse is a 400; the one a client navigation sends passes (the long fuzz, seed 11)", async () => {
    const malformed = ['["",{"children":["__PAGE__",{}]},null,null,true]', "not json", "%E0%A4%A", '{"children":1}'];
    for (const state of malformed) {
      expect((await raw("GET", "/no-such-page", { RSC: "1", "Next-Router-State-Tree": state })).status, state).toBe(400);
    }
    const navigation = encodeURIComponent(JSON.stringify(["", { children: ["__PAGE__", {}, null, null] }, null, null, 1]));
    expect((await raw("GET", "/login", { RSC: "1", "Next-Router-State-Tree": navigation })).status).toBe(200);
    expect((await raw("GET", "/login")).status).toBe(200);
  });

  it("a malformed multipart/form-data POST is a 400; a well-formed one reaches Next.js whole", async () => {
    expect(await parseMultipart("multipart/form-data; boundary=x", Buffer.from("garbage"))).toBeNull();
    expect(await parseMultipart("multipart/form-data", Buffer.from("--x\r\n"))).toBeNull();
    const broken = await raw("POST", "/login", { "content-type": "multipart/form-data; boundary=xyz" }, '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb');
    expect(broken.status).toBe(400);
    const form = '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--xyz--\r\n';
    const good = await raw("POST", "/login", { "content-type": "multipart/form-data; boundary=xyz" }, form);
    expect(good.status).toBe(200);
    expect(good.body).toBe(`POST ${form}`);
  });

  it("a server action call whose body is not JSON, or that carries RSC, is a 400; a JSON one passes", async () => {
    const action = { "next-action": "7f0000000000000000000000000000000000000000", "content-type": "text/plain;charset=UTF-8" };
    expect((await raw("POST", "/login", action, "{not json")).status).toBe(400);
    expect((await raw("POST", "/login", { ...action, rsc: "1" }, "[]")).status).toBe(400);
    expect((await raw("POST", "/login", action, '[{"username":"a"}]')).body).toBe('POST [{"username":"a"}]');
  });

  it("a body over 1 MiB is a 413", async () => {
    const answer = await raw("POST", "/login", { "content-type": "text/plain" }, "a".repeat(1024 * 1024 + 1));
    expect(answer.status).toBe(413);
  });
});

describe("@auth/core never sees a callbackUrl", () => {
  it("drops the query parameter and the callback-url cookies, keeps the rest", () => {
    const request = withoutCallbackUrl(
      new Request("http://localhost/api/auth/session?callbackUrl=,bogus&x=1", {
        headers: { cookie: "authjs.callback-url=%zz; authjs.session-token=abc; __Secure-authjs.callback-url=x" },
      }),
    );
    expect(new URL(request.url).search).toBe("?x=1");
    expect(request.headers.get("cookie")?.trim()).toBe("authjs.session-token=abc");
  });

  it("leaves a request without them untouched", () => {
    const request = new Request("http://localhost/api/auth/csrf", { headers: { cookie: "a=b" } });
    expect(withoutCallbackUrl(request)).toBe(request);
  });
});
