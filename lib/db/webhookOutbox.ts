// The webhook outbox's SQL (docs/decisions/0023-audit-webhooks.md). Rows are written with their audit
// events (lib/db/audit.ts); here they are claimed, judged and listed. Several instances share the table:
// a claim locks due rows with FOR UPDATE SKIP LOCKED and moves their next_attempt_at past the attempt
// (a lease), so no delivery is sent by two instances at once, and one whose sender died is sent again.
import type { DeliveryOutcome, DueWebhookDelivery, WebhookDeliverySummary, WebhookOutbox } from "../webhooks/delivery";
import type { SqlExecutor } from "./client";

interface ClaimedRow {
  id: string;
  attempts: number;
  event_id: string;
  at: Date | string;
  kind: string;
  actor: string | null;
  user_id: string | null;
  client_id: string | null;
  ip: string | null;
  reason: string | null;
  details: unknown;
  request_id: string | null;
}

/** Due pending deliveries, oldest due first, leased for `leaseSeconds`, with their audit events. */
export async function claimDueWebhookDeliveries(sql: SqlExecutor, limit: number, leaseSeconds: number): Promise<DueWebhookDelivery[]> {
  const rows = await sql.query<ClaimedRow>(
    `WITH "claimed" AS (
       UPDATE "webhook_deliveries" AS d SET "next_attempt_at" = now() + make_interval(secs => $2::int)
         FROM (SELECT "id" FROM "webhook_deliveries" WHERE "status" = 'pending' AND "next_attempt_at" <= now()
                ORDER BY "next_attempt_at" LIMIT $1 FOR UPDATE SKIP LOCKED) AS due
        WHERE d."id" = due."id"
        RETURNING d."id", d."attempts", d."audit_event_id")
     SELECT c."id", c."attempts", e."id" AS "event_id", e."at", e."kind", e."actor", e."user_id", e."client_id", e."ip", e."reason", e."details", e."request_id"
       FROM "claimed" c JOIN "audit_events" e ON e."id" = c."audit_event_id"`,
    [limit, leaseSeconds],
  );
  return rows.map((row) => ({
    id: row.id,
    attempts: Number(row.attempts),
    event: {
      id: row.event_id,
      at: new Date(row.at),
      kind: row.kind,
      actor: row.actor,
      userId: row.user_id,
      clientId: row.client_id,
      ip: row.ip,
      reason: row.reason,
      details: typeof row.details === "string" ? JSON.parse(row.details) : row.details,
      requestId: row.request_id,
    },
  }));
}

/** One attempt's result: delivered, pending again after `retryInSeconds`, or failed when that is null. */
export async function recordWebhookAttempt(sql: SqlExecutor, id: string, outcome: DeliveryOutcome, retryInSeconds: number | null): Promise<void> {
  if (outcome.delivered) {
    await sql.query(
      `UPDATE "webhook_deliveries" SET "status" = 'delivered', "attempts" = "attempts" + 1, "last_status" = $2, "last_error" = NULL, "delivered_at" = now()
        WHERE "id" = $1`,
      [id, outcome.status],
    );
    return;
  }
  await sql.query(
    `UPDATE "webhook_deliveries"
        SET "attempts" = "attempts" + 1, "last_status" = $2, "last_error" = $3,
            "status" = CASE WHEN $4::int IS NULL THEN 'failed' ELSE 'pending' END,
            "next_attempt_at" = CASE WHEN $4::int IS NULL THEN "next_attempt_at" ELSE now() + make_interval(secs => $4::int) END
      WHERE "id" = $1`,
    [id, outcome.status, outcome.error, retryInSeconds],
  );
}

export function createWebhookOutbox(sql: SqlExecutor): WebhookOutbox {
  return {
    claimDue: (limit, leaseSeconds) => claimDueWebhookDeliveries(sql, limit, leaseSeconds),
    recordAttempt: (id, outcome, retryInSeconds) => recordWebhookAttempt(sql, id, outcome, retryInSeconds),
  };
}

/** The latest `limit` deliveries, newest first. */
export async function listWebhookDeliveries(sql: SqlExecutor, limit = 50): Promise<WebhookDeliverySummary[]> {
  const rows = await sql.query<{
    id: string;
    audit_event_id: string;
    kind: string;
    at: Date | string;
    status: string;
    attempts: number;
    next_attempt_at: Date | string;
    last_status: number | null;
    last_error: string | null;
    created_at: Date | string;
    delivered_at: Date | string | null;
  }>(
    `SELECT d."id", d."audit_event_id", e."kind", e."at", d."status", d."attempts", d."next_attempt_at", d."last_status", d."last_error", d."created_at", d."delivered_at"
       FROM "webhook_deliveries" d JOIN "audit_events" e ON e."id" = d."audit_event_id"
      ORDER BY d."created_at" DESC, d."id" DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: row.id,
    eventId: row.audit_event_id,
    kind: row.kind,
    eventAt: new Date(row.at),
    status: row.status === "delivered" || row.status === "failed" ? row.status : "pending",
    attempts: Number(row.attempts),
    nextAttemptAt: new Date(row.next_attempt_at),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at),
  }));
}
