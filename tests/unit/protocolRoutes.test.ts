// The protocol endpoints have two mountings: server.ts's fast lane (npm start)
// and the route files in app/ (next dev, a plain next start). Under Next.js a
// method a route does not export is answered by Next.js itself (OPTIONS with a
// bare 204, others with a 405 without the OAuth error), so each route exports
// every method, from the fast lane's own table (issue #11: a CORS preflight to
// /connect/token must work under next dev too).
// tests/integration/nextRoutes.test.ts compares the two mountings' answers.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ENDPOINT_PATHS } from "@/lib/oauth/config";
import { HEALTH_PATHS } from "@/lib/server/health";
import { PROTOCOL_ENDPOINTS } from "@/lib/server/methods";
import { protocolRouteHandlers, ROUTE_METHODS } from "@/lib/server/protocolRoutes";

const root = path.resolve(__dirname, "../..");
const table = PROTOCOL_ENDPOINTS.map((entry) => [entry.path, entry] as const);

/** The path tables route files build their handlers from (the protocol's and the health endpoints'). */
const PATH_TABLES: Record<string, Record<string, string>> = { ENDPOINT_PATHS, HEALTH_PATHS };

/** The names a route file exports and the path table entry ("ENDPOINT_PATHS.token") it builds them from. */
function routeExports(urlPath: string): { names: string[]; pathKey: string | null } {
  const source = fs.readFileSync(path.join(root, "app", urlPath, "route.ts"), "utf8");
  const names = [...source.matchAll(/^export\s+(?:const|async\s+function|function)\s+(\w+)/gm)].map((match) => match[1]!);
  const destructured = /^export\s+const\s*\{([^}]*)\}\s*=\s*protocolRouteHandlers\((\w+\.\w+)\)/m.exec(source);
  if (destructured) names.push(...destructured[1]!.split(",").map((name) => name.trim()).filter(Boolean));
  return { names, pathKey: destructured?.[2] ?? null };
}

describe("protocol route files (app/) against the fast lane's table (lib/server/methods.ts)", () => {
  it.each(table)("%s exports every method, built from its own path's entry", (urlPath) => {
    const { names, pathKey } = routeExports(urlPath);
    expect(names.filter((name) => (ROUTE_METHODS as readonly string[]).includes(name)).sort()).toEqual([...ROUTE_METHODS].sort());
    const [tableName, key] = (pathKey ?? ".").split(".");
    expect(PATH_TABLES[tableName!]?.[key!]).toBe(urlPath);
  });

  it("every route under app/connect, app/.well-known, app/healthz and app/readyz is in the table, and every method of the table can be exported", () => {
    const routes = ["connect", ".well-known", "healthz", "readyz"].flatMap((dir) =>
      fs
        .readdirSync(path.join(root, "app", dir), { recursive: true, encoding: "utf8" })
        .filter((file) => path.basename(file) === "route.ts")
        .map((file) => path.posix.join("/", dir, path.dirname(file))),
    );
    expect(routes.sort()).toEqual(PROTOCOL_ENDPOINTS.map((entry) => entry.path).sort());
    for (const entry of PROTOCOL_ENDPOINTS) for (const method of entry.methods) expect(ROUTE_METHODS).toContain(method);
  });
});

describe("protocolRouteHandlers", () => {
  // A Next.js router fetch is answered by the endpoint's wrapper without the database:
  // it tells a served method (200, empty) from a refused one (405) here.
  const routerFetch = (urlPath: string, method: string) => new Request(`http://localhost${urlPath}`, { method, headers: { rsc: "1" } });

  it.each(table)("%s: the table's methods reach the endpoint, the others get the fast lane's 405", async (urlPath, entry) => {
    const handlers = protocolRouteHandlers(urlPath);
    for (const method of ROUTE_METHODS) {
      const response = await handlers[method](routerFetch(urlPath, method));
      if (entry.methods.includes(method)) {
        expect(response.status, method).toBe(200);
      } else {
        expect(response.status, method).toBe(405);
        expect(response.headers.get("allow")).toBe(entry.methods.join(", "));
        expect(await response.json()).toEqual({ error: "invalid_request", error_description: `This endpoint accepts ${entry.methods.join(" and ")} only.` });
      }
    }
  });

  it("refuses a path outside the table", () => {
    expect(() => protocolRouteHandlers("/connect/unknown")).toThrow(/not in PROTOCOL_ENDPOINTS/);
  });
});
