// Issue #10 item 7 over real HTTP against the built server: which address is
// recorded behind proxies (GATEHOUSE_TRUST_PROXY), the client limits at the
// token, introspection and revocation endpoints (429 + Retry-After), and CORS
// only for origins of registered redirect URIs. On PostgreSQL only
// (integrationBackends.ts): the audit log is read while the servers run, and
// the two servers (different proxy settings) run side by side on one database.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DEMO_POSTMAN, DEMO_SPA } from "../helpers/codeFlow";
import { POSTMAN, TOKEN_PATH, basicAuthorization, postForm, postmanBasic } from "../helpers/oauth";
import { queryStore, runFailingServer } from "../helpers/processes";
import { createSeededStore, runCli, startServer, type RunningServer, type TestStore } from "../helpers/server";

interface AuditRow {
  kind: string;
  client_id: string | null;
  ip: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
}

const SPA_ORIGIN = new URL(DEMO_SPA.redirectUri).origin;
const POSTMAN_ORIGIN = new URL(DEMO_POSTMAN.redirectUri).origin;
const SPOOFED = "6.6.6.6";

let store: TestStore;
/** One trusted proxy hop, 3 failures a minute per (client, address). */
let first: RunningServer;
/** A proxy list that does not include the peer, a request budget of 3 a minute. */
let second: RunningServer;

const clientCredentials = (base: string, headers: Record<string, string>, secret: string = POSTMAN.secret) =>
  postForm(base + TOKEN_PATH, {
    headers: { Authorization: basicAuthorization(POSTMAN.clientId, secret), ...headers },
    body: { grant_type: "client_credentials", scope: "api" },
  });

async function auditRows(): Promise<AuditRow[]> {
  return queryStore<AuditRow & Record<string, unknown>>(
    store,
    `SELECT "kind", "client_id", "ip", "reason", "details" FROM "audit_events" ORDER BY "at", "id"`,
  );
}

/** Answers of the first server (one trusted proxy hop), gathered before the tests check them and the audit log. */
const answers: Record<string, Response> = {};

beforeAll(async () => {
  const seeded = await createSeededStore();
  if (!seeded.seeded) await runCli(seeded, ["seed-demo"]);
  store = seeded;
  // Both servers at once on the one database: their settings cannot be one server's.
  [first, second] = await Promise.all([
    // One proxy in front (the test process plays it, from 127.0.0.1); 3 failures a minute per (client, address).
    startServer(store, { GATEHOUSE_TRUST_PROXY: "1", GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT: "3" }),
    startServer(store, { GATEHOUSE_TRUST_PROXY: "10.0.0.0/8, 2001:db8::/32", GATEHOUSE_CLIENT_RATE_LIMIT: "3/60" }),
  ]);
  const base = first.url;
  // The client writes a first entry; the proxy appends the address it saw.
  answers.issued = await clientCredentials(base, { "X-Forwarded-For": `${SPOOFED}, 203.0.113.7` });
  for (let i = 0; i < 4; i++) {
    answers[`wrong${i}`] = await clientCredentials(base, { "X-Forwarded-For": `${SPOOFED}, 203.0.113.8` }, "not-the-secret");
  }
  answers.locked = await clientCredentials(base, { "X-Forwarded-For": `${SPOOFED}, 203.0.113.8` });
  // The lockout belongs to (postman, 203.0.113.8): the same spoofed first entry from elsewhere is served.
  answers.elsewhere = await clientCredentials(base, { "X-Forwarded-For": `203.0.113.8, 203.0.113.9` });
  answers.lockedIntrospection = await postForm(`${base}/connect/introspect`, {
    headers: { Authorization: postmanBasic(), "X-Forwarded-For": "203.0.113.8" },
    body: { token: "x" },
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  await store?.cleanup();
});

describe("GATEHOUSE_TRUST_PROXY=1: the entry the proxy appended, never the client's own", () => {
  test("a spoofed first X-Forwarded-For entry does not change the address on the audit log", async () => {
    expect(answers.issued!.status).toBe(200);
    expect(answers.wrong0!.status).toBe(401);
    // Token requests wait for their audit events to be stored: the rows are there now.
    const rows = await auditRows();
    const issued = rows.filter((row) => row.kind === "token.issued");
    expect(issued.map((row) => row.ip)).toEqual(["203.0.113.7", "203.0.113.9"]);
    const refused = rows.filter((row) => row.kind === "token.refused");
    expect(refused.map((row) => [row.reason, row.ip])).toEqual(Array.from({ length: 4 }, () => ["invalid_client", "203.0.113.8"]));
    expect(rows.some((row) => row.ip === SPOOFED)).toBe(false);
  });
});

describe("client limits: failed authentications per (client, address)", () => {
  test("CA-02: after the limit the pair gets 429 with Retry-After and a JSON error, its right secret included; no audit row per throttled request", async () => {
    for (let i = 0; i < 4; i++) expect(answers[`wrong${i}`]!.status).toBe(401);
    const locked = answers.locked!;
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(locked.headers.get("cache-control")).toBe("no-store");
    expect(await locked.json()).toEqual({ error: "temporarily_unavailable", error_description: expect.stringMatching(/retry after \d+ s/) });
    expect(answers.elsewhere!.status).toBe(200);
    // Introspection shares the count.
    expect(answers.lockedIntrospection!.status).toBe(429);
  });
});

describe("a proxy list that does not include the peer, a request budget, and CORS", () => {
  test("the socket peer (127.0.0.1) is no trusted proxy: X-Forwarded-For is ignored", async () => {
    const base = second.url;
    const response = await clientCredentials(base, { "X-Forwarded-For": "203.0.113.70" });
    expect(response.status).toBe(200);
    // Two more within the budget of 3 a minute, then 429 with Retry-After.
    for (let i = 0; i < 2; i++) expect((await postForm(`${base}/connect/introspect`, { headers: { Authorization: postmanBasic() }, body: { token: "x" } })).status).toBe(200);
    const over = await postForm(`${base}/connect/revoke`, { headers: { Authorization: postmanBasic() }, body: { token: "x" } });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await over.json()) as { error: string }).error).toBe("temporarily_unavailable");
    const rows = await auditRows();
    expect(rows.filter((row) => row.kind === "token.issued").at(-1)?.ip).toBe("127.0.0.1");
  });

  // CORS on the first server: its default request budget is far from these few requests.

  test("CORS preflight: allowed from a registered redirect URI's origin, refused from another; never *", async () => {
    const base = first.url;
    for (const path of [TOKEN_PATH, "/connect/revoke", "/connect/userinfo"]) {
      const allowed = await fetch(base + path, { method: "OPTIONS", headers: { Origin: SPA_ORIGIN, "Access-Control-Request-Method": "POST" } });
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(SPA_ORIGIN);
      expect(allowed.headers.get("access-control-max-age")).toMatch(/^\d+$/);
      const refused = await fetch(base + path, { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" } });
      expect(refused.status).toBe(403);
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  test("CORS on the actual response: the authenticated client's own origins only", async () => {
    const base = first.url;
    const fromPostmanOrigin = await clientCredentials(base, { Origin: POSTMAN_ORIGIN });
    expect(fromPostmanOrigin.status).toBe(200);
    expect(fromPostmanOrigin.headers.get("access-control-allow-origin")).toBe(POSTMAN_ORIGIN);
    expect(fromPostmanOrigin.headers.get("vary")).toMatch(/Origin/);
    // The SPA's origin is registered, but not by postman.
    const fromSpaOrigin = await clientCredentials(base, { Origin: SPA_ORIGIN });
    expect(fromSpaOrigin.status).toBe(200);
    expect(fromSpaOrigin.headers.get("access-control-allow-origin")).toBeNull();
    const fromElsewhere = await clientCredentials(base, { Origin: "https://evil.example" });
    expect(fromElsewhere.headers.get("access-control-allow-origin")).toBeNull();
  });
});

test("a bad GATEHOUSE_TRUST_PROXY stops the start with a message naming it", async () => {
  // Every invalid setting is reported by the one start.
  const finished = await runFailingServer(store, { GATEHOUSE_TRUST_PROXY: "true", GATEHOUSE_CLIENT_RATE_LIMIT: "fast" });
  expect(finished.code).toBe(1);
  expect(finished.output).toMatch(/GATEHOUSE_TRUST_PROXY must be a number of proxy hops .*"true"/);
  expect(finished.output).toMatch(/GATEHOUSE_CLIENT_RATE_LIMIT/);
}, 60_000);
