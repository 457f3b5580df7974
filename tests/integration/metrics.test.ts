// Prometheus metrics over HTTP against the built server on PostgreSQL (issue #13 item 2,
// docs/decisions/0019-logs-and-metrics.md): GET /metrics is refused without the token when
// GATEHOUSE_METRICS_TOKEN is set; its counters move after a token request, a refusal and sign-ins; an
// attacker's client_id never becomes a label; with two workers the answer is the sum over both; unset, only
// a local scraper no proxy relayed gets it (asked of the worker's shared server, default settings);
// GATEHOUSE_METRICS=0 serves nothing.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_USER } from "../helpers/codeFlow";
import { TOKEN_PATH, basicAuthorization, postForm, postmanToken } from "../helpers/oauth";
import { signInOverHttp } from "../helpers/portal";
import { createSeededStore, runCli, startServer, type RunningServer, type TestStore } from "../helpers/server";
import { sharedSeededServer, type SharedServer } from "../helpers/sharedServer";

const METRICS_TOKEN = "metrics-token-7c1e9f2a5b3d4e6f";
const ATTACKER_CLIENT_ID = "attacker-client-5e8d1c";

/** The samples of an exposition text: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

async function scrape(base: string, token = METRICS_TOKEN): Promise<{ text: string; values: Map<string, number> }> {
  const response = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text, values: samples(text) };
}

const value = (values: Map<string, number>, key: string) => values.get(key) ?? 0;

/** One request on a new connection: with workers, the primary hands each new connection to the next worker. */
function getOnNewConnection(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function seededPostgresStore(): Promise<TestStore> {
  const store = await createSeededStore("postgres");
  if (!store.seeded) await runCli(store, ["seed-demo"]);
  return store;
}

describe("GET /metrics with GATEHOUSE_METRICS_TOKEN and two workers", () => {
  let store: TestStore;
  let server: RunningServer;
  let before: Map<string, number>;
  let after: { text: string; values: Map<string, number> };

  beforeAll(async () => {
    store = await seededPostgresStore();
    server = await startServer(store, { GATEHOUSE_WORKERS: "2", GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN });
    const base = server.url;
    // Both workers listen once the banner is out (the readiness probe needed only one).
    const deadline = Date.now() + 45_000;
    while (!server.output().includes("Gatehouse is running at") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    before = (await scrape(base)).values;

    await postmanToken(base);
    const refused = await postForm(base + TOKEN_PATH, {
      headers: { Authorization: basicAuthorization("postman", "not-the-secret-123") },
      body: { grant_type: "client_credentials", scope: "api" },
    });
    expect(refused.status).toBe(401);
    const unknown = await postForm(base + TOKEN_PATH, { body: { grant_type: "client_credentials", client_id: ATTACKER_CLIENT_ID, client_secret: "x-secret-9a8b" } });
    expect(unknown.status).toBe(401);
    const unsupported = await postForm(base + TOKEN_PATH, { headers: { Authorization: basicAuthorization("postman", "postman-secret") }, body: { grant_type: "urn:made-up" } });
    expect(unsupported.status).toBe(400);
    expect((await signInOverHttp(base, DEMO_USER.username, "wrong-password-0f3c")).cookie).toBe("");
    expect((await signInOverHttp(base, DEMO_USER.username, DEMO_USER.password)).response.status).toBe(303);
    after = await scrape(base);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  test("without the token, or with another, /metrics is 401 with WWW-Authenticate and no metrics", async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: "Bearer not-the-metrics-token-00" }, { Authorization: `Basic ${METRICS_TOKEN}` }];
    for (const headers of attempts) {
      const response = await fetch(`${server.url}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="gatehouse-metrics"/);
      expect(await response.text()).not.toContain("gatehouse_");
    }
  });

  test("a token request, refusals and sign-ins move their counters", () => {
    const moved = (key: string) => value(after.values, key) - value(before, key);
    expect(moved('gatehouse_tokens_issued_total{grant_type="client_credentials",client_id="postman"}')).toBe(1);
    expect(moved('gatehouse_token_refusals_total{error="invalid_client"}')).toBe(2);
    expect(moved('gatehouse_token_refusals_total{error="unsupported_grant_type"}')).toBe(1);
    expect(moved('gatehouse_signins_total{outcome="succeeded"}')).toBe(1);
    expect(moved('gatehouse_signins_total{outcome="failed"}')).toBe(1);
    expect(moved('gatehouse_http_requests_total{route="/connect/token",status="200"}')).toBe(1);
    expect(moved('gatehouse_http_requests_total{route="/connect/token",status="401"}')).toBe(2);
    // Two sign-in pages, the refused sign-in's form shown again, and the successful sign-in's redirect.
    expect(moved('gatehouse_http_requests_total{route="/login",status="200"}')).toBe(3);
    expect(moved('gatehouse_http_requests_total{route="/login",status="303"}')).toBe(1);
    expect(moved('gatehouse_http_request_duration_seconds_count{route="/connect/token"}')).toBe(4);
  });

  test("a presented client_id that is no registered client never becomes a label", () => {
    expect(after.text).not.toContain(ATTACKER_CLIENT_ID);
    expect(after.text).not.toContain("urn:made-up");
  });

  test("active sessions, key ages, the database pool and query latency, process CPU, memory and event-loop lag", () => {
    expect(value(after.values, "gatehouse_active_sessions")).toBeGreaterThanOrEqual(1);
    for (const alg of ["RS256", "ES256"]) expect(after.values.get(`gatehouse_signing_key_age_seconds{alg="${alg}"}`)).toBeGreaterThanOrEqual(0);
    expect(value(after.values, 'gatehouse_db_pool_connections{state="open"}')).toBeGreaterThanOrEqual(1);
    expect(after.values.has("gatehouse_db_pool_waiting_requests")).toBe(true);
    expect(value(after.values, "gatehouse_db_query_duration_seconds_count")).toBeGreaterThan(0);
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds"]) {
      expect(after.values.has(name), name).toBe(true);
    }
  });

  test("with two workers, each scrape answers the sum over both, whichever worker serves it", async () => {
    // Requests on new connections land on both workers; each scrape on a new connection sees all of them.
    const probe = { Authorization: `Bearer ${METRICS_TOKEN}` };
    const key = 'gatehouse_http_requests_total{route="/healthz",status="200"}';
    const start = value((await scrape(server.url)).values, key);
    for (let i = 0; i < 6; i++) expect((await getOnNewConnection(`${server.url}/healthz`, {})).status).toBe(200);
    const scrapes = await Promise.all(Array.from({ length: 4 }, () => getOnNewConnection(`${server.url}/metrics`, probe)));
    for (const { status, body } of scrapes) {
      expect(status).toBe(200);
      expect(value(samples(body), key) - start).toBe(6);
      // Two workers' default metrics summed: the open pool connections of both (each has at least one).
      expect(value(samples(body), 'gatehouse_db_pool_connections{state="open"}')).toBeGreaterThanOrEqual(2);
    }
  });
});

describe("GET /metrics without a token, and switched off", () => {
  let store: TestStore;
  /** The worker's shared server: no GATEHOUSE_METRICS_TOKEN, like every default-settings server. */
  let shared: SharedServer;
  let off: RunningServer;

  beforeAll(async () => {
    store = await seededPostgresStore();
    [shared, off] = await Promise.all([sharedSeededServer(), startServer(store, { GATEHOUSE_METRICS: "0" })]);
  }, 120_000);

  afterAll(async () => {
    await off?.stop();
    await shared?.stop();
    await store?.cleanup();
  });

  test("unset token: served to a local scraper, refused (403) to a request a proxy relayed", async () => {
    const { server } = shared;
    const local = await fetch(`${server.url}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toContain("gatehouse_http_requests_total");
    const relayedHeaders: Record<string, string>[] = [{ "X-Forwarded-For": "203.0.113.9" }, { Forwarded: "for=203.0.113.9" }];
    for (const headers of relayedHeaders) {
      const relayed = await fetch(`${server.url}/metrics`, { headers });
      expect(relayed.status).toBe(403);
      expect(await relayed.text()).toMatch(/GATEHOUSE_METRICS_TOKEN/);
    }
  });

  test("GATEHOUSE_METRICS=0: /metrics is not served (Next.js's 404) and the server still works", async () => {
    const response = await fetch(`${off.url}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("gatehouse_");
    expect((await postmanToken(off.url)).access_token).toBeTruthy();
  });
});
