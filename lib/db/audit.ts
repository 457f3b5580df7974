// The audit log's writer. Events arriving while a write is in flight are
// stored together by the next INSERT (group commit): under load the token
// endpoint pays a fraction of a round trip per event, and every caller still
// waits until its own event is stored, so nothing acknowledged is lost.
import { randomUUID } from "node:crypto";
import type { AuditEventInput, AuditLog } from "../oauth/ports";
import { noteRequestParties } from "../requestContext";
import type { SqlExecutor } from "./client";
import { GroupCommit } from "./groupCommit";

/** Longest text kept per column: the log must not become a sink for request bodies. */
const MAX_TEXT = 500;
const MAX_BATCH = 500;

/**
 * What PostgreSQL cannot store in text or jsonb: NUL, and UTF-16 halves
 * without their other half. Events carry request input (a presented
 * client_id or grant type): one such character must not fail the whole batch.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function storable(value: string): string {
  return value.replace(UNSTORABLE, "\uFFFD");
}

function clip(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return storable(value.length > MAX_TEXT ? value.slice(0, MAX_TEXT) : value);
}

function detailsJson(details: Record<string, unknown>): string {
  try {
    return JSON.stringify(details, (_key, value: unknown) => (typeof value === "string" ? storable(value) : value));
  } catch {
    // A cycle or a BigInt: the event is still worth keeping, and its batch-mates must not fail with it.
    return JSON.stringify({ unserialisable: true });
  }
}

/** A bad `at` (an invalid Date) would throw for the whole batch: it becomes the batch's time. */
function eventTime(at: Date | undefined, now: Date): Date {
  return at && !Number.isNaN(at.getTime()) ? at : now;
}

/**
 * The webhook outbox as the audit writer sees it (docs/decisions/0023-audit-webhooks.md): which kinds are
 * delivered, and who to tell when a batch enqueued deliveries. Absent when webhooks are off.
 */
export interface AuditWebhookOutbox {
  selects(kind: string): boolean;
  enqueued(): void;
}

const INSERT_EVENTS = `INSERT INTO "audit_events" ("id", "at", "kind", "actor", "user_id", "client_id", "ip", "reason", "details", "request_id")
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[], $10::text[])`;

/**
 * The events and their deliveries in one statement: an event is stored with its delivery row or not at all,
 * so nothing acknowledged is lost to the outbox. $11 lists the ids of the events to deliver.
 */
const INSERT_EVENTS_WITH_DELIVERIES = `WITH "stored" AS (${INSERT_EVENTS} RETURNING "id")
     INSERT INTO "webhook_deliveries" ("id", "audit_event_id") SELECT gen_random_uuid(), "stored"."id" FROM "stored" WHERE "stored"."id" = ANY($11::uuid[])`;

/**
 * Stores events with one statement (arrays unnested), in the order given; with webhooks on, the same
 * statement enqueues a delivery for each event the outbox selects. Without webhooks, or when no event of
 * the batch is selected, the statement is the plain INSERT: the token endpoint pays nothing for the feature.
 */
export async function insertAuditEvents(sql: SqlExecutor, events: readonly AuditEventInput[], webhooks?: AuditWebhookOutbox | null): Promise<void> {
  if (events.length === 0) return;
  const now = new Date();
  const columns: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  const delivered: string[] = [];
  for (const event of events) {
    const values = [
      randomUUID(),
      eventTime(event.at, now).toISOString(),
      clip(event.kind),
      clip(event.actor),
      clip(event.userId),
      clip(event.clientId),
      clip(event.ip),
      clip(event.reason),
      event.details ? detailsJson(event.details) : null,
      clip(event.requestId),
    ];
    values.forEach((value, index) => {
      columns[index]!.push(value);
    });
    if (webhooks?.selects(event.kind)) delivered.push(values[0] as string);
  }
  if (delivered.length === 0) {
    await sql.query(INSERT_EVENTS, columns);
    return;
  }
  await sql.query(INSERT_EVENTS_WITH_DELIVERIES, [...columns, delivered]);
  webhooks!.enqueued();
}

/**
 * The event as stored: with the request id of the request recording it (read now, while that request is
 * current: the grouped INSERT may run in another request's turn), which also learns the event's client and user.
 */
export function withRequestId(event: AuditEventInput): AuditEventInput {
  const requestId = noteRequestParties({ clientId: event.clientId, userId: event.actor ?? event.userId });
  return event.requestId !== undefined || requestId === null ? event : { ...event, requestId };
}

export function createAuditLog(sql: SqlExecutor, webhooks?: AuditWebhookOutbox | null): AuditLog & { flush(): Promise<void> } {
  const writer = new GroupCommit<AuditEventInput>((events) => insertAuditEvents(sql, events, webhooks), MAX_BATCH);
  return {
    record: (event) => writer.add([withRequestId(event)]),
    flush: () => writer.flush(),
  };
}
