// The metrics' rules (lib/server/metrics.ts, docs/decisions/0019-logs-and-metrics.md): which audit events move
// which counter under which bounded labels, and who /metrics answers.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetricsEndpoint, GatehouseMetrics, UNKNOWN_LABEL } from "@/lib/server/metrics";

function newMetrics(pool: { total: number; idle: number; waiting: number } | null = null) {
  return new GatehouseMetrics({
    activeSessions: async () => 3,
    signingKeyAges: async () => [{ alg: "RS256", seconds: 86_400 }],
    poolUsage: () => pool,
  });
}

async function sampleValue(metrics: GatehouseMetrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  const sample = (metric?.values ?? []).find((candidate) => Object.entries(labels).every(([key, wanted]) => String(candidate.labels[key]) === wanted));
  return sample?.value;
}

describe("GatehouseMetrics", () => {
  it("counts tokens issued by grant type and client, refusals by error code, sign-ins by outcome", async () => {
    const metrics = newMetrics();
    metrics.observeAuditEvent({ kind: "token.issued", clientId: "postman", details: { grant_type: "client_credentials" } });
    metrics.observeAuditEvent({ kind: "token.issued", clientId: "postman", details: { grant_type: "client_credentials" } });
    metrics.observeAuditEvent({ kind: "token.refused", clientId: "x", reason: "invalid_client" });
    metrics.observeAuditEvent({ kind: "signin.succeeded", userId: "u" });
    metrics.observeAuditEvent({ kind: "signin.failed", reason: "wrong_password" });
    metrics.observeAuditEvent({ kind: "signin.failed", reason: "throttled" });
    metrics.observeAuditEvent({ kind: "consent.granted", clientId: "spa" });
    expect(await sampleValue(metrics, "gatehouse_tokens_issued_total", { grant_type: "client_credentials", client_id: "postman" })).toBe(2);
    expect(await sampleValue(metrics, "gatehouse_token_refusals_total", { error: "invalid_client" })).toBe(1);
    for (const outcome of ["succeeded", "failed", "throttled"]) expect(await sampleValue(metrics, "gatehouse_signins_total", { outcome })).toBe(1);
  });

  it("never makes a label of the caller's text: an unknown error code or grant type is 'unknown'", async () => {
    const metrics = newMetrics();
    metrics.observeAuditEvent({ kind: "token.refused", clientId: "attacker", reason: "made_up_code\u0000" });
    metrics.observeAuditEvent({ kind: "token.issued", clientId: "postman", details: { grant_type: "urn:made-up" } });
    expect(await sampleValue(metrics, "gatehouse_token_refusals_total", { error: UNKNOWN_LABEL })).toBe(1);
    expect(await sampleValue(metrics, "gatehouse_tokens_issued_total", { grant_type: UNKNOWN_LABEL })).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain("attacker");
    expect(text).not.toContain("made_up_code");
    expect(text).not.toContain("urn:made-up");
  });

  it("counts requests by route and status and their durations by route", async () => {
    const metrics = newMetrics();
    metrics.observeRequest("/connect/token", 200, 0.004);
    metrics.observeRequest("/connect/token", 200, 0.2);
    metrics.observeRequest("/connect/token", 401, 0.003);
    expect(await sampleValue(metrics, "gatehouse_http_requests_total", { route: "/connect/token", status: "200" })).toBe(2);
    expect(await sampleValue(metrics, "gatehouse_http_requests_total", { route: "/connect/token", status: "401" })).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_http_request_duration_seconds_count{route="/connect/token"} 3');
    expect(text).toContain('gatehouse_http_request_duration_seconds_bucket{le="0.005",route="/connect/token"} 2');
  });

  it("reads sessions, key ages and the pool at scrape time; no pool gauge values on PGlite", async () => {
    const postgres = newMetrics({ total: 4, idle: 3, waiting: 0 });
    expect(await sampleValue(postgres, "gatehouse_active_sessions")).toBe(3);
    expect(await sampleValue(postgres, "gatehouse_signing_key_age_seconds", { alg: "RS256" })).toBe(86_400);
    expect(await sampleValue(postgres, "gatehouse_db_pool_connections", { state: "open" })).toBe(4);
    expect(await sampleValue(postgres, "gatehouse_db_pool_connections", { state: "idle" })).toBe(3);
    expect(await sampleValue(newMetrics(null), "gatehouse_db_pool_connections", { state: "open" })).toBeUndefined();
  });
});

describe("createMetricsEndpoint", () => {
  const servers: http.Server[] = [];
  const bases: Record<string, string> = {};

  beforeAll(async () => {
    for (const [name, token] of [["withToken", "a-metrics-token-0123456789"], ["withoutToken", undefined]] as const) {
      const serve = createMetricsEndpoint(async () => "gatehouse_up 1\n", token);
      const server = http.createServer((req, res) => void serve(req, res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      bases[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    }
  });

  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  it("with a token: only that Bearer token, else 401 with WWW-Authenticate", async () => {
    expect((await fetch(bases.withToken!, { headers: { Authorization: "Bearer a-metrics-token-0123456789" } })).status).toBe(200);
    for (const authorization of [undefined, "Bearer a-metrics-token-012345678", "Bearer a-metrics-token-0123456789x", "Basic a-metrics-token-0123456789"]) {
      const response = await fetch(bases.withToken!, { headers: authorization ? { Authorization: authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="gatehouse-metrics"/);
      expect(await response.text()).not.toContain("gatehouse_up");
    }
  });

  it("without a token: a loopback scraper no proxy relayed; 403 for a relayed request; 405 for other methods", async () => {
    const local = await fetch(bases.withoutToken!);
    expect(local.status).toBe(200);
    expect(await local.text()).toBe("gatehouse_up 1\n");
    expect((await fetch(bases.withoutToken!, { headers: { "X-Forwarded-For": "198.51.100.7" } })).status).toBe(403);
    const post = await fetch(bases.withoutToken!, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});
