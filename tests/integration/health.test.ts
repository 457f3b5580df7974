// Issue #13 item 1 over HTTP against the built server: /healthz answers without
// touching anything, /readyz checks the database, the migrations and the
// signing keys and names what is not ready (503), neither writes an audit
// event, HEAD works and other methods get 405 with Allow. PostgreSQL only: the
// not-ready cases change the store beside the running server (a hidden
// migration, no active ES256 key, a database that refuses connections).
import http from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_ADMIN_URL } from "../helpers/postgres";
import { queryStore } from "../helpers/processes";
import { startSeededServer } from "../helpers/server";

let running: Awaited<ReturnType<typeof startSeededServer>>;
let base: string;

beforeAll(async () => {
  running = await startSeededServer();
  base = running.server.url;
});

afterAll(async () => {
  await running?.stop();
});

interface Readiness {
  status: string;
  not_ready?: string[];
  checks: Record<string, { status: string; detail?: string }>;
}

async function readiness(): Promise<{ status: number; body: Readiness; headers: Headers }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness, headers: response.headers };
}

/** Asks /readyz until `done` holds for its answer (a change reaches the server by notification or the next query). */
async function readinessUntil(done: (answer: Awaited<ReturnType<typeof readiness>>) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await readiness();
    if (done(answer) || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A raw HEAD or other method, so that the body (or its absence) is seen as sent. */
function rawRequest(method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method, agent: false }, (response) => {
      let body = "";
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

async function auditEventCount(): Promise<number> {
  const [row] = await queryStore<{ count: number }>(running.store, `SELECT count(*)::int AS count FROM "audit_events"`);
  return row!.count;
}

describe("GET /healthz", () => {
  it("answers 200 with a small JSON body that no cache keeps", async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers HEAD with the same status and no body", async () => {
    const head = await rawRequest("HEAD", "/healthz");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["content-type"]).toBe("application/json");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])("refuses %s with 405 and Allow: GET, HEAD", async (method) => {
    for (const path of ["/healthz", "/readyz"]) {
      const answer = await rawRequest(method, path);
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.allow, `${method} ${path}`).toBe("GET, HEAD");
    }
  });
});

describe("GET /readyz", () => {
  it("answers 200 naming each check as passed on a started server", async () => {
    const { status, body, headers } = await readiness();
    expect(status).toBe(200);
    expect(headers.get("cache-control")).toBe("no-store");
    expect(body).toEqual({
      status: "ready",
      checks: { database: { status: "pass" }, migrations: { status: "pass" }, signing_keys: { status: "pass" } },
    });
    const head = await rawRequest("HEAD", "/readyz");
    expect([head.status, head.body]).toEqual([200, ""]);
  });

  it("writes no audit event, however often it is asked (nor does /healthz)", async () => {
    const before = await auditEventCount();
    await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${base}${i % 2 ? "/healthz" : "/readyz"}`).then((response) => response.arrayBuffer())));
    expect(await auditEventCount()).toBe(before);
  });

  it("answers 503 naming the migrations when one this build ships is not recorded as applied, and 200 again once it is", async () => {
    const [last] = await queryStore<{ name: string }>(running.store, `SELECT "name" FROM "gatehouse_migrations" ORDER BY "name" DESC LIMIT 1`);
    const client = new pg.Client({ connectionString: running.store.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`UPDATE "gatehouse_migrations" SET "name" = "name" || '-hidden' WHERE "name" = $1`, [last!.name]);
      const { status, body } = await readiness();
      expect(status).toBe(503);
      expect(body.status).toBe("not_ready");
      expect(body.not_ready).toEqual(["migrations"]);
      expect(body.checks.migrations).toEqual({ status: "fail", detail: `not applied: ${last!.name}` });
      expect(body.checks.database).toEqual({ status: "pass" });
    } finally {
      await client.query(`UPDATE "gatehouse_migrations" SET "name" = $1 WHERE "name" = $1 || '-hidden'`, [last!.name]);
      await client.end();
    }
    expect((await readiness()).status).toBe(200);
  });

  it("answers 503 naming the signing keys when no ES256 key is active, and 200 again once one is", async () => {
    const client = new pg.Client({ connectionString: running.store.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ kid: string }>(`UPDATE "signing_keys" SET "status" = 'retiring' WHERE "alg" = 'ES256' AND "status" = 'active' RETURNING "kid"`);
      expect(rows.length).toBe(1);
      try {
        // The change reaches the key ring through its notification (decision 0015).
        const { status, body } = await readinessUntil((answer) => answer.status === 503);
        expect(status).toBe(503);
        expect(body.not_ready).toEqual(["signing_keys"]);
        expect(body.checks.signing_keys).toEqual({ status: "fail", detail: "no active signing key for ES256" });
      } finally {
        await client.query(`UPDATE "signing_keys" SET "status" = 'active' WHERE "kid" = $1`, [rows[0]!.kid]);
      }
    } finally {
      await client.end();
    }
    expect((await readinessUntil((answer) => answer.status === 200)).status).toBe(200);
  });

  it("answers 503 naming the database while it refuses connections (and /healthz stays 200), then 200 again", async () => {
    const name = running.store.database!.name;
    const cutOff = async (admin: pg.Client) => {
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend("pid") FROM pg_stat_activity WHERE "datname" = $1 AND "pid" <> pg_backend_pid()`, [name]);
    };
    try {
      await withAdmin(cutOff);
      const { status, body } = await readinessUntil((answer) => answer.status === 503);
      expect(status).toBe(503);
      expect(body.not_ready).toContain("database");
      expect(body.checks.database).toEqual({ status: "fail", detail: "the database did not answer (see the server's log)" });
      // (The key ring may fail too: losing its notification connection drops it, and it cannot reload.)
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      // The driver's message is in the server's log, once, not in the answer.
      expect(JSON.stringify(body)).not.toMatch(/postgres|accepting|127\.0\.0\.1/i);
    } finally {
      await withAdmin((admin) => admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`));
    }
    expect((await readinessUntil((answer) => answer.status === 200)).status).toBe(200);
    expect(running.server.output().match(/not ready: database/g)?.length).toBe(1);
    expect(running.server.output()).toMatch(/ready again: database/);
  });
});
