// Issue #13 item 8: audit events delivered as signed webhooks (docs/decisions/0023-audit-webhooks.md).
// The signature is checked with the `standardwebhooks` package (a library we did not write), so the
// interop with Standard Webhooks receivers is shown, not assumed. Store-level parts run on both backends.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { insertAuditEvents } from "@/lib/db/audit";
import { openDatabase, type Database, type SqlExecutor } from "@/lib/db/client";
import { migrateDatabase } from "@/lib/db/bootstrap";
import { claimDueWebhookDeliveries, createWebhookOutbox, listWebhookDeliveries, recordWebhookAttempt } from "@/lib/db/webhookOutbox";
import { checkConfiguration, parseConfiguration, readSettings } from "@/lib/settings";
import {
  createWebhookDispatcher,
  deliverWebhook,
  retryDelaySeconds,
  WEBHOOK_RETRY_SECONDS,
  webhookEventSelector,
  type DueWebhookDelivery,
} from "@/lib/webhooks/delivery";
import { parseWebhookSecret, signWebhook } from "@/lib/webhooks/standardWebhooks";
import { describeEachBackend, POSTGRES_REACHABLE } from "../helpers/backends";
import { createTestDatabase } from "../helpers/postgres";
import { PROJECT_ROOT } from "../helpers/server";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const KEY = parseWebhookSecret(SECRET);

const delivery = (overrides: Partial<DueWebhookDelivery> = {}): DueWebhookDelivery => ({
  id: "5f0c6f0e-6a1c-4d3e-9b1a-2f7e0c9d8a11",
  attempts: 0,
  event: {
    id: "0b7e2f4c-1d2e-4f3a-8b9c-0d1e2f3a4b5c",
    at: new Date("2026-12-07T21:00:00.000Z"),
    kind: "token.issued",
    actor: "postman",
    userId: null,
    clientId: "postman",
    ip: "127.0.0.1",
    reason: null,
    details: { grant_type: "client_credentials" },
    requestId: "req-1",
  },
  ...overrides,
});

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local receiver answering each POST with the next of `statuses` (the last one repeats). */
async function receiver(statuses: number[], extraHeaders: Record<string, string> = {}) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      response.writeHead(status, extraHeaders).end("receiver says hello");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?source=gatehouse`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("Standard Webhooks signing", () => {
  it("a signature made here verifies with the standardwebhooks library, and not once the body changed", () => {
    const body = JSON.stringify({ type: "token.issued", timestamp: "2026-12-07T21:00:00.000Z", data: { id: "x" } });
    const headers = signWebhook(KEY, "msg_1", new Date(), body);
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(SECRET).verify(body.replace('"x"', '"y"'), headers)).toThrow();
    expect(() => new Webhook(`whsec_${randomBytes(32).toString("base64")}`).verify(body, headers)).toThrow();
  });

  it("the secret is whsec_ and base64 of at least 24 bytes", () => {
    expect(parseWebhookSecret(SECRET)).toHaveLength(32);
    expect(() => parseWebhookSecret(randomBytes(32).toString("base64"))).toThrow(/whsec_/);
    expect(() => parseWebhookSecret(`whsec_${randomBytes(16).toString("base64")}`)).toThrow(/at least 24/);
    expect(() => parseWebhookSecret("whsec_not base64!")).toThrow(/base64/);
  });
});

describe("webhook settings (GATEHOUSE_WEBHOOK_*)", () => {
  const env = (extra: Record<string, string>) => ({ GATEHOUSE_DATA_DIR: "/tmp/unused", ...extra });

  it("unset: off; set: the URL, the secret's key bytes and the event list", () => {
    expect(readSettings(env({})).webhooks).toBeNull();
    const settings = readSettings(env({ GATEHOUSE_WEBHOOK_URL: "https://hooks.example.com/in", GATEHOUSE_WEBHOOK_SECRET: SECRET, GATEHOUSE_WEBHOOK_EVENTS: "admin., signin.failed" }));
    expect(settings.webhooks).toEqual({ url: "https://hooks.example.com/in", key: KEY, events: ["admin.", "signin.failed"] });
  });

  it("refuses plain http to another host, credentials in the URL, a URL without its secret, a bad secret or event list", () => {
    expect(() => parseConfiguration(env({ GATEHOUSE_WEBHOOK_URL: "http://hooks.example.com/in", GATEHOUSE_WEBHOOK_SECRET: SECRET }))).toThrow(/GATEHOUSE_WEBHOOK_URL must be an https URL/);
    expect(() => parseConfiguration(env({ GATEHOUSE_WEBHOOK_URL: "https://u:p@hooks.example.com/", GATEHOUSE_WEBHOOK_SECRET: SECRET }))).toThrow(/credentials/);
    expect(() => parseConfiguration(env({ GATEHOUSE_WEBHOOK_URL: "https://hooks.example.com/in" }))).toThrow(/GATEHOUSE_WEBHOOK_SECRET is required/);
    expect(() => parseConfiguration(env({ GATEHOUSE_WEBHOOK_URL: "https://hooks.example.com/in", GATEHOUSE_WEBHOOK_SECRET: "hunter2" }))).toThrow(
      /openssl rand -base64 32/,
    );
    expect(() => parseConfiguration(env({ GATEHOUSE_WEBHOOK_EVENTS: "admin.*" }))).toThrow(/GATEHOUSE_WEBHOOK_EVENTS/);
    expect(readSettings(env({ GATEHOUSE_WEBHOOK_URL: "http://127.0.0.1:9/in", GATEHOUSE_WEBHOOK_SECRET: SECRET })).webhooks?.url).toBe("http://127.0.0.1:9/in");
    expect(readSettings(env({ GATEHOUSE_WEBHOOK_URL: "http://localhost:9/in", GATEHOUSE_WEBHOOK_SECRET: SECRET })).webhooks?.url).toBe("http://localhost:9/in");
  });
});

describe("--check-config with webhooks", () => {
  it("shows the URL without its query and the secret masked", () => {
    const { valid, report } = checkConfiguration({
      GATEHOUSE_DATA_DIR: "/tmp/unused",
      GATEHOUSE_WEBHOOK_URL: "https://hooks.example.com/in?token=receiver-token",
      GATEHOUSE_WEBHOOK_SECRET: SECRET,
    });
    expect(valid).toBe(true);
    expect(report).toMatch(/GATEHOUSE_WEBHOOK_URL\s+set\s+https:\/\/hooks\.example\.com\/in\?…/);
    expect(report).toMatch(/GATEHOUSE_WEBHOOK_SECRET\s+set\s+\*\*\*\* \(set\)/);
    expect(report).not.toContain("receiver-token");
    expect(report).not.toContain(SECRET.slice("whsec_".length));
  });
});

describe("which events are delivered, and when a failed delivery is tried again", () => {
  it("every kind by default; else exact kinds and prefixes ending in '.'", () => {
    expect(webhookEventSelector(null)("anything.at.all")).toBe(true);
    const selects = webhookEventSelector(["admin.", "signin.failed"]);
    expect(["admin.client.updated", "admin.user.created", "signin.failed"].every(selects)).toBe(true);
    expect(["signin.succeeded", "token.issued", "administrator", "admin"].some(selects)).toBe(false);
  });

  it("backs off 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then gives up", () => {
    expect(WEBHOOK_RETRY_SECONDS.map((_, index) => retryDelaySeconds(index + 1))).toEqual([5, 30, 120, 600, 1800, 3600, 7200, 14_400]);
    expect(retryDelaySeconds(9)).toBeNull();
  });
});

describe("one delivery attempt (deliverWebhook)", () => {
  it("POSTs the {type, timestamp, data} body, signed so that standardwebhooks verifies it; a 2xx is delivered", async () => {
    const target = await receiver([204]);
    try {
      const outcome = await deliverWebhook({ url: target.url, key: KEY }, delivery());
      expect(outcome).toEqual({ delivered: true, status: 204 });
      const [{ headers, body }] = target.received as [Received];
      expect(headers["content-type"]).toBe("application/json");
      expect(headers["webhook-id"]).toBe(delivery().id);
      const payload = new Webhook(SECRET).verify(body, headers as Record<string, string>);
      expect(payload).toEqual({
        type: "token.issued",
        timestamp: "2026-12-07T21:00:00.000Z",
        data: {
          id: delivery().event.id,
          kind: "token.issued",
          actor: "postman",
          user_id: null,
          client_id: "postman",
          ip: "127.0.0.1",
          reason: null,
          details: { grant_type: "client_credentials" },
          request_id: "req-1",
        },
      });
      expect(body).not.toContain(SECRET.slice(6));
    } finally {
      await target.close();
    }
  });

  it("a 500 is a failure with its status; a 302 is a failure and is not followed", async () => {
    const elsewhere = await receiver([200]);
    const failing = await receiver([500]);
    const redirecting = await receiver([302], { location: elsewhere.url });
    try {
      expect(await deliverWebhook({ url: failing.url, key: KEY }, delivery())).toEqual({ delivered: false, status: 500, error: "answered HTTP 500" });
      const redirected = await deliverWebhook({ url: redirecting.url, key: KEY }, delivery());
      expect(redirected).toMatchObject({ delivered: false, status: 302, error: expect.stringMatching(/not followed/) });
      expect(redirecting.received).toHaveLength(1);
      expect(elsewhere.received).toHaveLength(0);
    } finally {
      await Promise.all([elsewhere.close(), failing.close(), redirecting.close()]);
    }
  });

  it("nobody listening: a failure without status, with the reason", async () => {
    const gone = await receiver([200]);
    await gone.close();
    const outcome = await deliverWebhook({ url: gone.url, key: KEY }, delivery());
    expect(outcome).toMatchObject({ delivered: false, status: null });
    expect((outcome as { error: string }).error.length).toBeGreaterThan(0);
    expect((outcome as { error: string }).error.length).toBeLessThanOrEqual(301);
  });
});

describeEachBackend("the webhook outbox", (db) => {
  const event = (kind: string) => ({ kind, actor: "system", details: { n: 1 } });
  const selectAdmin = (enqueued: string[]) => ({ selects: webhookEventSelector(["admin."]), enqueued: () => enqueued.push("run") });
  const reset = () => db.sql.query(`DELETE FROM "audit_events"`);

  it("the audit insert with webhooks on writes the selected events' deliveries in the same statement, and asks for a run", async () => {
    await reset();
    const statements: string[] = [];
    const enqueued: string[] = [];
    const counting: SqlExecutor = { query: <Row,>(text: string, params?: unknown[]) => (statements.push(text), db.sql.query<Row>(text, params)) };
    await insertAuditEvents(counting, [event("admin.client.created"), event("token.issued"), event("admin.user.updated")], selectAdmin(enqueued));
    expect(statements).toHaveLength(1);
    expect(enqueued).toEqual(["run"]);
    const rows = await db.sql.query<{ kind: string; status: string; attempts: number }>(
      `SELECT e."kind", d."status", d."attempts" FROM "webhook_deliveries" d JOIN "audit_events" e ON e."id" = d."audit_event_id" ORDER BY e."kind"`,
    );
    expect(rows).toEqual([
      { kind: "admin.client.created", status: "pending", attempts: 0 },
      { kind: "admin.user.updated", status: "pending", attempts: 0 },
    ]);
  });

  it("with webhooks off, or no event selected, the statement is the plain audit INSERT and nothing is enqueued", async () => {
    await reset();
    const statements: string[] = [];
    const enqueued: string[] = [];
    const counting: SqlExecutor = { query: <Row,>(text: string, params?: unknown[]) => (statements.push(text), db.sql.query<Row>(text, params)) };
    await insertAuditEvents(counting, [event("token.issued")]);
    await insertAuditEvents(counting, [event("token.issued")], selectAdmin(enqueued));
    expect(statements.every((text) => !text.includes("webhook_deliveries"))).toBe(true);
    expect(enqueued).toEqual([]);
    const [{ n }] = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS "n" FROM "webhook_deliveries"`)) as [{ n: number }];
    expect(n).toBe(0);
  });

  it("an event is stored with its delivery row or not at all: a delivery row refused fails the whole statement", async () => {
    await reset();
    // A constraint no new row can meet stands for any failure of the outbox's half of the statement.
    await db.sql.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "refuse_all" CHECK (false) NOT VALID`);
    try {
      await expect(insertAuditEvents(db.sql, [event("admin.client.created"), event("token.issued")], selectAdmin([]))).rejects.toThrow(/refuse_all/);
    } finally {
      await db.sql.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "refuse_all"`);
    }
    const [counts] = await db.sql.query<{ events: number; deliveries: number }>(
      `SELECT (SELECT count(*)::int FROM "audit_events") AS "events", (SELECT count(*)::int FROM "webhook_deliveries") AS "deliveries"`,
    );
    expect(counts).toEqual({ events: 0, deliveries: 0 });
  });

  it("a claim leases what it took: concurrent claims are disjoint and a claimed delivery is not due again until its lease ends", async () => {
    await reset();
    await insertAuditEvents(db.sql, Array.from({ length: 12 }, (_, i) => event(`admin.n${i}`)), selectAdmin([]));
    const claims = await Promise.all([claimDueWebhookDeliveries(db.sql, 5, 60), claimDueWebhookDeliveries(db.sql, 5, 60), claimDueWebhookDeliveries(db.sql, 5, 60)]);
    const ids = claims.flat().map((claimed) => claimed.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(claims.flat()[0]!.event).toMatchObject({ actor: "system", details: { n: 1 } });
    expect(await claimDueWebhookDeliveries(db.sql, 50, 60)).toEqual([]);
  });

  it("an attempt's outcome: delivered; pending again after the backoff; failed once the attempts are used up", async () => {
    await reset();
    await insertAuditEvents(db.sql, [event("admin.a"), event("admin.b"), event("admin.c")], selectAdmin([]));
    const [a, b, c] = (await claimDueWebhookDeliveries(db.sql, 10, 60)).sort((x, y) => x.event.kind.localeCompare(y.event.kind));
    await recordWebhookAttempt(db.sql, a!.id, { delivered: true, status: 200 }, null);
    await recordWebhookAttempt(db.sql, b!.id, { delivered: false, status: 500, error: "answered HTTP 500" }, 30);
    await recordWebhookAttempt(db.sql, c!.id, { delivered: false, status: null, error: "connect ECONNREFUSED" }, null);
    const listed = await listWebhookDeliveries(db.sql);
    const byKind = Object.fromEntries(listed.map((row) => [row.kind, row]));
    expect(byKind["admin.a"]).toMatchObject({ status: "delivered", attempts: 1, lastStatus: 200, lastError: null });
    expect(byKind["admin.a"]!.deliveredAt).toBeInstanceOf(Date);
    expect(byKind["admin.b"]).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500, lastError: "answered HTTP 500", deliveredAt: null });
    expect(byKind["admin.b"]!.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(20_000);
    expect(byKind["admin.c"]).toMatchObject({ status: "failed", attempts: 1, lastStatus: null, lastError: "connect ECONNREFUSED" });
  });

  it("the dispatcher sends what is due to the receiver, retries a 500 and records the delivery", async () => {
    await reset();
    const target = await receiver([500, 200]);
    const failures: string[] = [];
    const dispatcher = createWebhookDispatcher({
      settings: { url: target.url, key: KEY, events: null },
      outbox: createWebhookOutbox(db.sql),
      onFailure: (_delivery, outcome, retryIn) => failures.push(`${outcome.error}; retry in ${retryIn}`),
    });
    try {
      await insertAuditEvents(db.sql, [event("admin.client.created")], selectAdmin([]));
      await dispatcher.run();
      expect(failures).toEqual(["answered HTTP 500; retry in 5"]);
      // The retry is due after its backoff: brought forward here rather than waited for.
      await db.sql.query(`UPDATE "webhook_deliveries" SET "next_attempt_at" = now()`);
      await dispatcher.run();
      expect(target.received).toHaveLength(2);
      expect(target.received[0]!.headers["webhook-id"]).toBe(target.received[1]!.headers["webhook-id"]);
      for (const { body, headers } of target.received) new Webhook(SECRET).verify(body, headers as Record<string, string>);
      const [row] = await listWebhookDeliveries(db.sql);
      expect(row).toMatchObject({ kind: "admin.client.created", status: "delivered", attempts: 2, lastStatus: 200 });
    } finally {
      await dispatcher.stop();
      await target.close();
    }
  });

  it("deleting an audit event (the retention purge) deletes its delivery", async () => {
    await reset();
    await insertAuditEvents(db.sql, [event("admin.client.created")], selectAdmin([]));
    await db.sql.query(`DELETE FROM "audit_events"`);
    expect(await listWebhookDeliveries(db.sql)).toEqual([]);
  });
});

describe.runIf(POSTGRES_REACHABLE)("the webhook outbox across instances (PostgreSQL: one pool per instance)", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const instances: Database[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) instances.push(await openDatabase({ databaseUrl: database.url, dataDir: "unused", poolSize: 3 }));
    await migrateDatabase(instances[0]!, PROJECT_ROOT);
  }, 60_000);
  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await database?.drop();
  });

  it("two instances claiming at once never take the same delivery", async () => {
    const [first, second] = instances as [Database, Database];
    await insertAuditEvents(first.sql, Array.from({ length: 40 }, (_, i) => ({ kind: `admin.n${i}` })), { selects: () => true, enqueued: () => undefined });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claimDueWebhookDeliveries((i % 2 === 0 ? first : second).sql, 5, 60)));
    const ids = claims.flat().map((claimed) => claimed.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
  });
});
