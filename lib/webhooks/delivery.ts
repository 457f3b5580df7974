// Audit events delivered as signed webhooks (issue #13 item 8; docs/decisions/0023-audit-webhooks.md):
// which events go, what one delivery sends and how it is judged, when a failed one is tried again, and the
// dispatcher that takes due deliveries from the outbox (a port lib/db/webhookOutbox.ts implements).
import { signWebhook } from "./standardWebhooks";

export interface WebhookSettings {
  /** GATEHOUSE_WEBHOOK_URL: https, or http to a loopback host. */
  url: string;
  /** The key bytes of GATEHOUSE_WEBHOOK_SECRET. */
  key: Buffer;
  /** GATEHOUSE_WEBHOOK_EVENTS: audit kinds, or prefixes ending in "."; null: every event. */
  events: readonly string[] | null;
}

/** The URL as the dashboard shows it: scheme, host, port and path; never a query (it may carry a token). */
export function displayedWebhookUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** A delivery as the dashboard lists it. */
export interface WebhookDeliverySummary {
  id: string;
  eventId: string;
  kind: string;
  eventAt: Date;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** Which audit kinds are delivered: an exact kind, or a prefix ending in "." ("admin." matches "admin.client.updated"). */
export function webhookEventSelector(events: readonly string[] | null): (kind: string) => boolean {
  if (events === null) return () => true;
  const kinds = new Set(events.filter((entry) => !entry.endsWith(".")));
  const prefixes = events.filter((entry) => entry.endsWith("."));
  return (kind) => kinds.has(kind) || prefixes.some((prefix) => kind.startsWith(prefix));
}

/**
 * Seconds to wait after the nth failed attempt (n from 1); null once the attempts are used up and the
 * delivery is failed for good. About eight hours in all, as receivers' outages usually are shorter.
 */
export const WEBHOOK_RETRY_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14_400] as const;

export function retryDelaySeconds(failedAttempts: number): number | null {
  return WEBHOOK_RETRY_SECONDS[failedAttempts - 1] ?? null;
}

/** One audit event as the outbox hands it out for delivery. */
export interface DueWebhookDelivery {
  /** The delivery's id: the webhook-id, the same on every attempt so that a receiver can drop duplicates. */
  id: string;
  /** Attempts made before this one. */
  attempts: number;
  event: {
    id: string;
    at: Date;
    kind: string;
    actor: string | null;
    userId: string | null;
    clientId: string | null;
    ip: string | null;
    reason: string | null;
    details: unknown;
    requestId: string | null;
  };
}

/** The body: the specification's {type, timestamp, data} envelope around the audit event. */
export function webhookBody(delivery: DueWebhookDelivery): string {
  const { event } = delivery;
  return JSON.stringify({
    type: event.kind,
    timestamp: event.at.toISOString(),
    data: {
      id: event.id,
      kind: event.kind,
      actor: event.actor,
      user_id: event.userId,
      client_id: event.clientId,
      ip: event.ip,
      reason: event.reason,
      details: event.details ?? null,
      request_id: event.requestId,
    },
  });
}

export type DeliveryOutcome = { delivered: true; status: number } | { delivered: false; status: number | null; error: string };

/** Longest error text kept: a receiver's message, not its whole page. */
const MAX_ERROR = 300;
export const WEBHOOK_TIMEOUT_MS = 10_000;

function bounded(text: string): string {
  return text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR)}…` : text;
}

/**
 * One attempt: a POST of the signed body. Only a 2xx is a delivery; a redirect is a failure and is not
 * followed (the receiver is the configured URL and nothing else), and so is a timeout or a refused connection.
 */
export async function deliverWebhook(
  settings: Pick<WebhookSettings, "url" | "key">,
  delivery: DueWebhookDelivery,
  options: { now?: Date; signal?: AbortSignal; fetch?: typeof fetch } = {},
): Promise<DeliveryOutcome> {
  const body = webhookBody(delivery);
  const headers = { "content-type": "application/json", "user-agent": "Gatehouse-Webhooks", ...signWebhook(settings.key, delivery.id, options.now ?? new Date(), body) };
  const signals = [AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), ...(options.signal ? [options.signal] : [])];
  try {
    const response = await (options.fetch ?? fetch)(settings.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.any(signals) });
    // The receiver's answer is not needed; reading it to the end frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { delivered: true, status: response.status };
    const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed)" : "";
    return { delivered: false, status: response.status, error: bounded(`answered HTTP ${response.status}${redirect}`) };
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message) : String(error);
    return { delivered: false, status: null, error: bounded(cause) };
  }
}

/** The outbox as the dispatcher needs it (lib/db/webhookOutbox.ts). */
export interface WebhookOutbox {
  /** Up to `limit` due pending deliveries, each leased for `leaseSeconds` so that no other claimer takes it meanwhile. */
  claimDue(limit: number, leaseSeconds: number): Promise<DueWebhookDelivery[]>;
  /** Records an attempt: delivered, retried after `retryInSeconds`, or failed for good when that is null. */
  recordAttempt(id: string, outcome: DeliveryOutcome, retryInSeconds: number | null): Promise<void>;
}

/** Deliveries taken per claim; each claim's deliveries are sent concurrently. */
const CLAIM_BATCH = 10;
/** How long a claimed delivery is kept from other claimers: longer than one attempt can take. */
export const WEBHOOK_LEASE_SECONDS = 60;

export interface WebhookDispatcher {
  /** Sends what is due now; a call while a run is under way makes that run go round once more. */
  run(): Promise<void>;
  /** Stops: the run under way is aborted and awaited. */
  stop(): Promise<void>;
}

/** Takes due deliveries from `outbox` and sends them, claim after claim, until none is due. */
export function createWebhookDispatcher(options: {
  settings: WebhookSettings;
  outbox: WebhookOutbox;
  /** Told every failed attempt (never the secret); the server logs it at warn. */
  onFailure?: (delivery: DueWebhookDelivery, outcome: Extract<DeliveryOutcome, { delivered: false }>, retryInSeconds: number | null) => void;
  fetch?: typeof fetch;
}): WebhookDispatcher {
  const stopping = new AbortController();
  let current: Promise<void> | null = null;
  let again = false;

  async function sendOne(delivery: DueWebhookDelivery): Promise<void> {
    const outcome = await deliverWebhook(options.settings, delivery, { signal: stopping.signal, fetch: options.fetch });
    if (stopping.signal.aborted && !outcome.delivered) return; // cut by the stop: the lease runs out and another run sends it
    const retryIn = outcome.delivered ? null : retryDelaySeconds(delivery.attempts + 1);
    await options.outbox.recordAttempt(delivery.id, outcome, retryIn);
    if (!outcome.delivered) options.onFailure?.(delivery, outcome, retryIn);
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        if (stopping.signal.aborted) return;
        const due = await options.outbox.claimDue(CLAIM_BATCH, WEBHOOK_LEASE_SECONDS);
        if (due.length === 0) break;
        await Promise.all(due.map(sendOne));
        if (due.length < CLAIM_BATCH) break;
      }
    } while (again);
  }

  return {
    run() {
      if (current) {
        again = true;
        return current;
      }
      current = drain().finally(() => {
        current = null;
      });
      return current;
    },
    async stop() {
      stopping.abort();
      await current?.catch(() => undefined);
    },
  };
}
