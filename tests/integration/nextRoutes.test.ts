// The protocol endpoints' two mountings answer alike (issue #11): the route
// modules in app/ (what `next dev` and a plain `next start` serve) are called
// here directly with Web Requests, and each answer is compared with the built
// server's fast lane for the same path and method, CORS preflights included.
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeGatehouse } from "@/lib/gatehouse";
import { PROTOCOL_ENDPOINTS } from "@/lib/server/methods";
import { DEMO_SPA } from "../helpers/codeFlow";
import { createSeededStore, PROJECT_ROOT, runCli, type TestStore } from "../helpers/server";
import { sharedSeededServer } from "../helpers/sharedServer";

/** The methods an App Router route handler can export. */
const ROUTE_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
/** The demo SPA's redirect URI origin: a registered origin, allowed CORS. */
const SPA_ORIGIN = new URL(DEMO_SPA.redirectUri).origin;
/** What a browser's preflight for a token request carries. */
const PREFLIGHT_HEADERS = { "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" };
/** The parts of an answer that must agree between the mountings. */
const COMPARED_HEADERS = [
  "allow",
  "access-control-allow-origin",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-max-age",
  "content-type",
  "cache-control",
];

interface Answer {
  status: number;
  headers: Record<string, string | null>;
}

type RouteModule = Record<string, (request: Request) => Promise<Response>>;

function requestHeaders(method: string, origin: string): Record<string, string> {
  return method === "OPTIONS" ? { Origin: origin, ...PREFLIGHT_HEADERS } : { Origin: origin };
}

function pick(get: (name: string) => string | null): Record<string, string | null> {
  return Object.fromEntries(COMPARED_HEADERS.map((name) => [name, get(name)]));
}

/** The fast lane over HTTP (node:http sends any method with an empty body). */
function askFastLane(base: string, method: string, urlPath: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${urlPath}`, { method, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => {
        const header = (name: string) => {
          const value = res.headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
        };
        resolve({ status: res.statusCode!, headers: pick(header) });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

let server: Awaited<ReturnType<typeof sharedSeededServer>>;
let routeStore: TestStore;
const savedEnv: Record<string, string | undefined> = {};
const routeModules = new Map<string, RouteModule>();

async function askRoute(method: string, urlPath: string, headers: Record<string, string>): Promise<Answer> {
  const handler = routeModules.get(urlPath)![method];
  if (!handler) throw new Error(`${urlPath} exports no ${method}`);
  const response = await handler(new Request(`${server.server.url}${urlPath}`, { method, headers }));
  await response.arrayBuffer();
  return { status: response.status, headers: pick((name) => response.headers.get(name)) };
}

beforeAll(async () => {
  server = await sharedSeededServer();
  // The route modules' Gatehouse runs in this process on its own store, seeded like the server's.
  const seeded = await createSeededStore();
  // Without the session's template: the embedded database seeds itself on first use, PostgreSQL never.
  if (!seeded.seeded && seeded.backend === "postgres") await runCli(seeded, ["seed-demo"]);
  routeStore = seeded;
  // DATABASE_URL empty means the embedded database (lib/settings.ts), whatever the shell set.
  const routeEnv = { DATABASE_URL: "", ...routeStore.env, GATEHOUSE_ISSUER: server.server.url, GATEHOUSE_ROOT: PROJECT_ROOT };
  for (const name of Object.keys(routeEnv)) savedEnv[name] = process.env[name];
  Object.assign(process.env, routeEnv);
  for (const { path: urlPath } of PROTOCOL_ENDPOINTS) {
    routeModules.set(urlPath, (await import(path.join(PROJECT_ROOT, "app", urlPath, "route.ts"))) as RouteModule);
  }
});

afterAll(async () => {
  await closeGatehouse();
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await routeStore?.cleanup();
  await server?.stop();
});

describe("route modules (next dev) against the fast lane (npm start)", () => {
  it.each(["/connect/token", "/connect/userinfo", "/connect/revoke"])("%s: the route's OPTIONS answers a preflight from a registered origin", async (urlPath) => {
    const answer = await askRoute("OPTIONS", urlPath, { Origin: SPA_ORIGIN, ...PREFLIGHT_HEADERS });
    expect(answer.status).toBe(204);
    expect(answer.headers["access-control-allow-origin"]).toBe(SPA_ORIGIN);
    expect(answer.headers["access-control-allow-methods"]).toContain("POST");

    const refused = await askRoute("OPTIONS", urlPath, { Origin: "https://unregistered.example", ...PREFLIGHT_HEADERS });
    expect(refused.status).toBe(403);
    expect(refused.headers["access-control-allow-origin"]).toBeNull();
  });

  it.each(PROTOCOL_ENDPOINTS.map((entry) => [entry.path, entry] as const))("%s: every method answers as the fast lane does", async (_, entry) => {
    for (const origin of [SPA_ORIGIN, "https://unregistered.example"]) {
      for (const method of ROUTE_METHODS) {
        const headers = requestHeaders(method, origin);
        const [viaRoute, viaFastLane] = await Promise.all([askRoute(method, entry.path, headers), askFastLane(server.server.url, method, entry.path, headers)]);
        expect(viaRoute, `${method} ${entry.path} from ${origin}`).toEqual(viaFastLane);
        if (!entry.methods.includes(method)) expect(viaFastLane.status, `${method} ${entry.path}`).toBe(405);
      }
    }
  });
});

describe("the management API's route module (next dev) against the fast lane (npm start)", () => {
  it("answers every method on its paths as the fast lane does: the document, 401 before anything else, 404, 405", async () => {
    const module = (await import(path.join(PROJECT_ROOT, "app", "api", "v1", "[...path]", "route.ts"))) as RouteModule;
    for (const urlPath of ["/api/v1/openapi.json", "/api/v1/clients", "/api/v1/clients/postman", "/api/v1/users/not-a-uuid", "/api/v1/nothing-here"]) {
      for (const method of ROUTE_METHODS) {
        const headers = { Origin: SPA_ORIGIN };
        const response = await module[method]!(new Request(`${server.server.url}${urlPath}`, { method, headers }));
        await response.arrayBuffer();
        const viaRoute = { status: response.status, headers: pick((name) => response.headers.get(name)) };
        const viaFastLane = await askFastLane(server.server.url, method, urlPath, headers);
        expect(viaRoute, `${method} ${urlPath}`).toEqual(viaFastLane);
      }
    }
  });
});
