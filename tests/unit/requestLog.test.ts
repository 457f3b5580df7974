// The request log's rules (lib/server/requestLog.ts, docs/decisions/0019-logs-and-metrics.md): which
// X-Request-Id is echoed, how a route is named, and that a request's line holds its fixed fields and
// nothing the request carried (query, Authorization, Cookie, body).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentRequest, noteRequestParties, withRequestContext } from "@/lib/requestContext";
import { createLogger } from "@/lib/server/log";
import {
  acceptableRequestId,
  MAX_REQUEST_ID_LENGTH,
  NEXT_ASSETS_ROUTE,
  requestLine,
  routeNamer,
  startRequest,
  UNMATCHED_ROUTE,
} from "@/lib/server/requestLog";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("acceptableRequestId", () => {
  it.each([
    ["a UUID", "3f1c2a9e-6b0d-4c51-9e7a-2d8f0b1c4e5a"],
    ["letters, digits and - _ . : (an AWS trace id)", "Root=1-67891233-abcdef012345678912345678"],
    ["base64", "q83vEjRWeJA+/w=="],
    ["the longest allowed", "a".repeat(MAX_REQUEST_ID_LENGTH)],
  ])("echoes %s", (_name, value) => {
    expect(acceptableRequestId(value)).toBe(value);
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["one character too long", "a".repeat(MAX_REQUEST_ID_LENGTH + 1)],
    ["a space", "abc def"],
    ["a line break (header or log line forgery)", "abc\r\nSet-Cookie: x=1"],
    ["a quote and braces (JSON forgery)", 'abc","level":"fatal'],
    ["non-ASCII", "idé"],
    ["a semicolon and a comma", "a;b,c"],
    ["repeated headers", ["a", "b"]],
  ])("refuses %s", (_name, value) => {
    expect(acceptableRequestId(value as string | string[] | undefined)).toBeNull();
  });
});

describe("routeNamer", () => {
  const name = routeNamer({
    staticRoutes: [{ page: "/" }, { page: "/login" }, { page: "/dashboard/users" }],
    dynamicRoutes: [{ page: "/dashboard/users/[id]", regex: "^/dashboard/users/([^/]+?)(?:/)?$" }],
  });

  it("names a page by its pattern, never by the path's values or its query", () => {
    expect(name("/login?returnTo=%2Fconnect%2Fauthorize%3Fcode%3Dsecret")).toBe("/login");
    expect(name("/dashboard/users/5b9f0f7e-2f0a-4a57-9d3c-3f0e1f7e9a10")).toBe("/dashboard/users/[id]");
    expect(name("/dashboard/users/")).toBe("/dashboard/users");
    expect(name("/")).toBe("/");
  });

  it("puts Next.js's files under one route and everything unknown under another", () => {
    expect(name("/_next/static/chunks/abc123.js")).toBe(NEXT_ASSETS_ROUTE);
    expect(name("/wp-admin/setup.php?token=x")).toBe(UNMATCHED_ROUTE);
  });
});

describe("requestLine", () => {
  it("holds the fixed fields only, a long presented client_id clipped", () => {
    const line = requestLine({ requestId: "r1", clientId: "c".repeat(500), userId: "u1" }, "POST", "/connect/token", 401, 1.23456, true);
    expect(line).toEqual({ request_id: "r1", method: "POST", route: "/connect/token", status: 401, duration_ms: 1.23, client_id: "c".repeat(128), user_id: "u1" });
  });

  it("leaves out what is not known and marks an answer the client did not wait for", () => {
    expect(requestLine({ requestId: "r2", clientId: null, userId: null }, "GET", "/login", 200, 5, false)).toEqual({
      request_id: "r2",
      method: "GET",
      route: "/login",
      status: 200,
      duration_ms: 5,
      incomplete: true,
    });
  });
});

describe("noteRequestParties", () => {
  it("keeps the first client and user a request learns, and is a no-op outside a request", () => {
    expect(noteRequestParties({ clientId: "x" })).toBeNull();
    const context = { requestId: "r3", clientId: null, userId: null };
    withRequestContext(context, () => {
      expect(noteRequestParties({ clientId: "spa" })).toBe("r3");
      noteRequestParties({ clientId: "other", userId: "u" });
      expect(currentRequest()).toBe(context);
    });
    expect(context).toEqual({ requestId: "r3", clientId: "spa", userId: "u" });
  });
});

describe("startRequest over HTTP", () => {
  const lines: Record<string, unknown>[] = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const text of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(text) as Record<string, unknown>);
        done();
      },
    });
    const logger = await createLogger("info", sink);
    server = http.createServer((req, res) => {
      const context = startRequest(req, res, "/connect/token", logger);
      withRequestContext(context, () => {
        noteRequestParties({ clientId: "postman", userId: "user-1" });
        req.resume();
        req.on("end", () => {
          res.writeHead(req.headers["x-fail"] ? 500 : 200, { "content-type": "application/json" });
          res.end("{}");
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function lineFor(requestId: string) {
    for (let wait = 0; wait < 50 && !lines.some((line) => line.request_id === requestId); wait++) await new Promise((r) => setTimeout(r, 10));
    return lines.filter((line) => line.request_id === requestId);
  }

  it("echoes an acceptable X-Request-Id and writes one line with the fields and nothing the request carried", async () => {
    const secrets = ["code-secret-4f2a", "Bearer-token-9c1d", "cookie-value-77aa", "password-body-31ef"];
    const response = await fetch(`${base}/connect/token?code=${secrets[0]}`, {
      method: "POST",
      headers: { "X-Request-Id": "echo-me-1", Authorization: `Bearer ${secrets[1]}`, Cookie: `authjs.session-token=${secrets[2]}` },
      body: `password=${secrets[3]}`,
    });
    expect(response.headers.get("x-request-id")).toBe("echo-me-1");
    const [line, ...more] = await lineFor("echo-me-1");
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: "info", msg: "request", request_id: "echo-me-1", method: "POST", route: "/connect/token", status: 200, client_id: "postman", user_id: "user-1" });
    expect(Object.keys(line!).sort()).toEqual(["client_id", "duration_ms", "level", "method", "msg", "pid", "request_id", "route", "status", "time", "user_id"]);
    expect(new Date(String(line!.time)).toISOString()).toBe(line!.time);
    expect(typeof line!.duration_ms).toBe("number");
    const written = JSON.stringify(lines);
    for (const secret of secrets) expect(written).not.toContain(secret);
  });

  it("replaces an unacceptable X-Request-Id with a generated UUID, and logs a 5xx at error level", async () => {
    const response = await fetch(`${base}/`, { method: "POST", headers: { "X-Request-Id": "no spaces allowed", "X-Fail": "1" } });
    const id = response.headers.get("x-request-id")!;
    expect(id).toMatch(UUID);
    expect(await lineFor(id)).toEqual([expect.objectContaining({ level: "error", status: 500 })]);
    expect(JSON.stringify(lines)).not.toContain("no spaces allowed");
  });
});
