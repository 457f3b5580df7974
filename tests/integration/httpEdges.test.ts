// Issue #10 item 6 against the built server: unsupported methods are a 405
// with Allow (never a 500 and a stack trace), HEAD and OPTIONS behave, a
// malformed multipart POST to a page is a 400, an aborted upload logs nothing
// — and the real forms (sign-in without JavaScript, multipart) still work.
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDPOINT_PATHS } from "@/lib/oauth/config";
import { signInOverHttp } from "../helpers/portal";
import { serverActionId } from "../helpers/serverActions";
import { TEST_ADMIN_PASSWORD } from "../helpers/server";
import { sharedSeededServer } from "../helpers/sharedServer";

/** node:http's client sends any method token (fetch refuses TRACE and CONNECT). */
function request(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const PROTOCOL_ALLOW: Record<string, string> = {
  [ENDPOINT_PATHS.authorization]: "GET, POST",
  [ENDPOINT_PATHS.token]: "POST, OPTIONS",
  [ENDPOINT_PATHS.userinfo]: "GET, POST, OPTIONS",
  [ENDPOINT_PATHS.revocation]: "POST, OPTIONS",
  [ENDPOINT_PATHS.introspection]: "POST",
  [ENDPOINT_PATHS.logout]: "GET, POST",
  [ENDPOINT_PATHS.jwks]: "GET, HEAD",
  [ENDPOINT_PATHS.openidConfiguration]: "GET, HEAD",
  [ENDPOINT_PATHS.oauthAuthorizationServer]: "GET, HEAD",
};

describe("HTTP edges (issue #10 item 6)", () => {
  let suite: Awaited<ReturnType<typeof sharedSeededServer>>;
  let base: string;
  beforeAll(async () => {
    suite = await sharedSeededServer();
    base = suite.server.url;
  });
  afterAll(async () => {
    await suite?.stop();
  });

  it("TRACE, PUT and PROPFIND on every protocol endpoint: 405, Allow, an OAuth error, no-store; nothing logged", async () => {
    const before = suite.server.output().length;
    for (const [path, allow] of Object.entries(PROTOCOL_ALLOW)) {
      for (const method of ["TRACE", "PUT", "PROPFIND"]) {
        const answer = await request(base, method, path);
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.headers.allow, `${method} ${path}`).toBe(allow);
        expect(answer.headers["cache-control"]).toBe("no-store");
        expect(JSON.parse(answer.body)).toMatchObject({ error: "invalid_request" });
      }
    }
    // Before issue #10 each of these logged a stack trace.
    expect(suite.server.output().slice(before)).not.toMatch(/\n\s+at |Error:/);
  });

  it("TRACE and DELETE on /api/auth/* and on pages: 405 with Allow; nothing logged", async () => {
    const before = suite.server.output().length;
    for (const path of ["/api/auth/session", "/api/auth/csrf", "/api/auth/signout", "/login", "/dashboard", "/"]) {
      for (const method of ["TRACE", "DELETE"]) {
        const answer = await request(base, method, path);
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.headers.allow).toBe("GET, HEAD, POST, OPTIONS");
      }
    }
    expect(suite.server.output().slice(before)).not.toMatch(/\n\s+at |Error:/);
  });

  it("HEAD answers like GET without a body where GET is a document; OPTIONS lists the methods", async () => {
    for (const path of [ENDPOINT_PATHS.jwks, ENDPOINT_PATHS.openidConfiguration, "/api/auth/session", "/login"]) {
      const answer = await request(base, "HEAD", path);
      expect(answer.status, path).toBe(200);
      expect(answer.body).toBe("");
    }
    const options = await request(base, "OPTIONS", "/login");
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe("GET, HEAD, POST, OPTIONS");
    // The CORS preflight of the token endpoint is still the endpoint's own: allowed from a registered
    // redirect origin (the demo spa's), refused from another (decision 0012), never a 405.
    const preflight = await request(base, "OPTIONS", ENDPOINT_PATHS.token, { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST" });
    expect(preflight.status).toBe(204);
    const foreign = await request(base, "OPTIONS", ENDPOINT_PATHS.token, { Origin: "http://app.example", "Access-Control-Request-Method": "POST" });
    expect(foreign.status).toBe(403);
  });

  it("a malformed multipart POST to a page is a 400, not a 500", async () => {
    for (const [contentType, body] of [
      ["multipart/form-data; boundary=xyz", '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nb'],
      ["multipart/form-data", "garbage"],
      ["multipart/form-data; boundary=xyz", "garbage"],
    ] as const) {
      const answer = await request(base, "POST", "/login", { "Content-Type": contentType, Origin: base }, body);
      expect(answer.status, `${contentType} ${JSON.stringify(body)}`).toBe(400);
    }
  });

  it("an undecodable path and a non-JSON server action call are 400s", async () => {
    expect((await request(base, "GET", "/dashboard/users/%E0%A4%A")).status).toBe(400);
    const action = await request(base, "POST", "/login", { "Next-Action": "7f0000000000000000000000000000000000000000", "Content-Type": "text/plain;charset=UTF-8", Origin: base }, "{not json");
    expect(action.status).toBe(400);
  });

  it("a server action called with arguments its form never sends is answered without a 5xx (what the long fuzz found)", async () => {
    const call = (page: string, filename: string, exportedName: string, body: string) =>
      request(base, "POST", page, { "Next-Action": serverActionId(filename, exportedName), "Content-Type": "text/plain;charset=UTF-8", Origin: base }, body);
    // A root that is not the argument list: Next.js applied `null` as the arguments and failed.
    expect((await call("/dashboard/users/alice", "app/logout/actions.ts", "signOut", "null")).status).toBe(400);
    // Plain values where the form's FormData belongs: each action reads only FormData.
    for (const [filename, exportedName] of [["app/setup/actions.ts", "createFirstAdministrator"], ["app/login/actions.ts", "signIn"], ["app/consent/actions.ts", "decideConsent"]] as const) {
      for (const args of ["[]", '[{"status":"idle"}]', '[{"status":"idle"},{"get":1}]', '["x","y"]']) {
        const answer = await call("/", filename, exportedName, args);
        expect(answer.status, `${exportedName}(${args})`).toBeLessThan(500);
      }
    }
  });

  it("a server action post with two Origin headers is refused with the 403 page, not a 500 (what the long fuzz found, seed 1357577361)", async () => {
    const host = new URL(base).host;
    for (const origins of [[`http://${host}`, "http://evil.example"], [`http://${host}`, `http://${host}`]]) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(suite.server.port, "127.0.0.1", () => {
          const lines = ["POST /no-such-page HTTP/1.1", `Host: ${host}`, "Connection: close", "Next-Action: %", ...origins.map((o) => `Origin: ${o}`), "Content-Length: 2", "", "[]"];
          socket.write(lines.join("\r\n"));
        });
        let received = "";
        socket.on("data", (chunk) => (received += chunk));
        socket.on("close", () => resolve(received));
        socket.on("error", reject);
      });
      expect(answer.split("\r\n")[0], origins.join(", ")).toBe("HTTP/1.1 403 Forbidden");
    }
  });

  it("a router state header Next.js cannot parse is a 400, not a 500 (what the long fuzz found, seed 11); a valid one is served", async () => {
    const bad = await request(base, "GET", "/no-such-page", { RSC: "1", "Next-Router-State-Tree": '["",{"children":["__PAGE__",{}]},null,null,true]' });
    expect(bad.status).toBe(400);
    const state = encodeURIComponent(JSON.stringify(["", { children: ["__PAGE__", {}, null, null] }, null, null, 1]));
    const good = await request(base, "GET", "/login", { RSC: "1", "Next-Router-State-Tree": state });
    // Next.js itself answers: it redirects an RSC request without its cache-busting _rsc parameter to one with it.
    expect(good.status).toBe(307);
    expect(good.headers.location).toMatch(/_rsc=/);
  });

  it("a junk callbackUrl or callback-url cookie does not make /api/auth/* a server error", async () => {
    const query = await request(base, "GET", "/api/auth/session?callbackUrl=,junk");
    expect(query.status).toBe(200);
    const cookie = await request(base, "POST", "/api/auth/session", { Cookie: "authjs.callback-url=%zz", "Content-Type": "text/plain" }, "");
    expect(cookie.status).toBeLessThan(500);
  });

  it("an upload aborted midway is not logged as an error (fast lane and pages)", async () => {
    const before = suite.server.output().length;
    const paths = [ENDPOINT_PATHS.token, "/login", "/api/auth/signout"];
    for (const [index, path] of paths.entries()) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(suite.server.port, "127.0.0.1", () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: ${new URL(base).host}\r\nX-Request-Id: aborted-upload-${index}\r\n` +
              `Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000\r\n\r\n--x\r\n`,
          );
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 300);
        });
        socket.on("error", () => undefined);
      });
    }
    // The lines are written asynchronously: wait for this test's three (a line of an earlier request may come late too).
    const linesSince = () =>
      suite.server
        .output()
        .slice(before)
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await expect.poll(() => linesSince().filter((line) => String(line.request_id).startsWith("aborted-upload-")).length, { timeout: 5_000 }).toBe(3);
    // Each is its request's line at info level, marked incomplete (docs/decisions/0019-logs-and-metrics.md); nothing is a warning or an error.
    const lines = linesSince();
    expect(lines.filter((line) => String(line.request_id).startsWith("aborted-upload-"))).toEqual(
      ["/connect/token", "/login", "/api/auth/[...auth]"].map((route, index) =>
        expect.objectContaining({ level: "info", msg: "request", method: "POST", route, status: 0, incomplete: true, request_id: `aborted-upload-${index}` }),
      ),
    );
    expect(lines.filter((line) => line.level !== "info")).toEqual([]);
  });

  it("the sign-in form still works without JavaScript (a multipart server action through the same door)", async () => {
    const { cookie, response } = await signInOverHttp(base, "admin", TEST_ADMIN_PASSWORD);
    expect(response.status).toBe(303);
    expect(cookie).toContain("authjs.session-token");
  });
});
