// Prometheus metrics (prom-client) at GET /metrics on the fast lane (issue #13 item 2,
// docs/decisions/0019-logs-and-metrics.md). Per request: one counter and one histogram observation, by a
// bounded route label. The protocol's own counts (tokens, refusals, sign-ins) come from the audit events the
// requests record anyway; what the database holds (sessions, key ages) and the pool are read at scrape time.
// With node:cluster workers the answering worker asks the primary, which gathers every worker's registry and
// sums them (prom-client's AggregatorRegistry).
import { createHash, timingSafeEqual } from "node:crypto";
import cluster from "node:cluster";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AuditEventInput } from "../oauth/ports";

export const METRICS_PATH = "/metrics";

/** Label for a client_id or an error code that is not one of the bounded set (an attacker's text never becomes a label). */
export const UNKNOWN_LABEL = "unknown";

/** The OAuth error codes a refusal is counted under; anything else is "unknown". */
const ERROR_CODES = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "invalid_target",
  "access_denied",
  "temporarily_unavailable",
  "server_error",
]);
const GRANT_TYPES = new Set(["authorization_code", "refresh_token", "client_credentials"]);

/** What the metrics read at scrape time. */
export interface MetricsSources {
  activeSessions(): Promise<number>;
  signingKeyAges(): Promise<{ alg: string; seconds: number }[]>;
  poolUsage(): { total: number; idle: number; waiting: number } | null;
}

export class GatehouseMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "gatehouse_http_requests_total",
    help: "HTTP requests answered, by route (the path pattern) and status (0: the client left before any).",
    labelNames: ["route", "status"] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: "gatehouse_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its answer, by route.",
    labelNames: ["route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly tokensIssued = new Counter({
    name: "gatehouse_tokens_issued_total",
    help: "Token responses issued by the token endpoint, by grant type and client_id.",
    labelNames: ["grant_type", "client_id"] as const,
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: "gatehouse_token_refusals_total",
    help: "Token requests refused, by OAuth error code.",
    labelNames: ["error"] as const,
    registers: [this.registry],
  });
  private readonly signIns = new Counter({
    name: "gatehouse_signins_total",
    help: "Password sign-ins, by outcome: succeeded, failed, throttled.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly queries = new Histogram({
    name: "gatehouse_db_query_duration_seconds",
    help: "Duration of the SQL statements the hot paths send to the database driver directly (not Prisma's).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  /** Request children by route and status, made once: no label hashing per request. */
  private readonly requestChildren = new Map<string, { count: { inc(): void }; duration: { observe(value: number): void } }>();
  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "gatehouse_active_sessions",
      help: "Portal sessions neither ended nor expired (read from the database at scrape time).",
      registers: [this.registry],
      aggregator: "max", // every worker reads the same table
      async collect() {
        this.set(await sources.activeSessions());
      },
    });
    new Gauge({
      name: "gatehouse_signing_key_age_seconds",
      help: "Age of the active signing key, by algorithm (read from the database at scrape time).",
      labelNames: ["alg"] as const,
      registers: [this.registry],
      aggregator: "max",
      async collect() {
        for (const { alg, seconds } of await sources.signingKeyAges()) this.set({ alg }, seconds);
      },
    });
    new Gauge({
      name: "gatehouse_db_pool_connections",
      help: "PostgreSQL pool connections, by state: open (all of them) and idle (PGlite has no pool: nothing reported).",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const usage = sources.poolUsage();
        if (!usage) return;
        this.set({ state: "open" }, usage.total);
        this.set({ state: "idle" }, usage.idle);
      },
    });
    new Gauge({
      name: "gatehouse_db_pool_waiting_requests",
      help: "Queries waiting for a PostgreSQL pool connection.",
      registers: [this.registry],
      collect() {
        const usage = sources.poolUsage();
        if (usage) this.set(usage.waiting);
      },
    });
  }

  /** One answered request (route: a bounded path pattern, see lib/server/requestLog.ts). */
  observeRequest(route: string, status: number, seconds: number): void {
    const key = `${status} ${route}`;
    let children = this.requestChildren.get(key);
    if (!children) {
      children = { count: this.requests.labels(route, String(status)), duration: this.durations.labels(route) };
      this.requestChildren.set(key, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }

  /** One statement's duration. */
  observeQuery(seconds: number): void {
    this.queries.observe(seconds);
  }

  /** An audit event: tokens issued, token refusals, sign-ins. */
  observeAuditEvent(event: AuditEventInput): void {
    switch (event.kind) {
      case "token.issued": {
        const grantType = String(event.details?.grant_type ?? "");
        // Issued only to a client that authenticated: a registered client_id, never a presented one.
        const clientId = event.clientId ?? UNKNOWN_LABEL;
        this.tokensIssued.inc({ grant_type: GRANT_TYPES.has(grantType) ? grantType : UNKNOWN_LABEL, client_id: clientId });
        return;
      }
      case "token.refused":
        this.refusals.inc({ error: event.reason && ERROR_CODES.has(event.reason) ? event.reason : UNKNOWN_LABEL });
        return;
      case "signin.succeeded":
        this.signIns.inc({ outcome: "succeeded" });
        return;
      case "signin.failed":
        this.signIns.inc({ outcome: event.reason === "throttled" ? "throttled" : "failed" });
        return;
    }
  }
}

// ------------------------------------------------------------------ across workers

const METRICS_CHANNEL = "gatehouse-metrics";
const GATHER_TIMEOUT_MS = 5_000;

interface GatherMessage {
  channel: typeof METRICS_CHANNEL;
  type: "gather" | "gathered";
  id: number;
  text?: string;
  error?: string;
}

function isGatherMessage(message: unknown): message is GatherMessage {
  return typeof message === "object" && message !== null && (message as GatherMessage).channel === METRICS_CHANNEL;
}

/**
 * In the cluster primary, before the workers are forked: answers a worker's "gather" with the sum of every
 * worker's registry (prom-client asks each over IPC and aggregates).
 */
export function serveMetricsToWorkers(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: unknown) => {
    if (!isGatherMessage(message) || message.type !== "gather") return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ channel: METRICS_CHANNEL, type: "gathered", id: message.id, text } satisfies GatherMessage),
      (error: unknown) => worker.isConnected() && worker.send({ channel: METRICS_CHANNEL, type: "gathered", id: message.id, error: String(error) } satisfies GatherMessage),
    );
  });
}

/** The text to answer /metrics with: this process's registry, or with workers the installation's sum. */
export function metricsGatherer(metrics: GatehouseMetrics): () => Promise<string> {
  if (!cluster.isWorker) return () => metrics.registry.metrics();
  // The primary's gather asks each worker for its registry: this one answers with ours.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([metrics.registry]);
  let nextId = 0;
  const waiting = new Map<number, { resolve(text: string): void; reject(error: Error): void }>();
  process.on("message", (message: unknown) => {
    if (!isGatherMessage(message) || message.type !== "gathered") return;
    const request = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) request?.reject(new Error(message.error));
    else request?.resolve(message.text ?? "");
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error("the cluster primary did not gather the metrics in time"));
      }, GATHER_TIMEOUT_MS);
      waiting.set(id, {
        resolve(text) {
          clearTimeout(timer);
          resolve(text);
        },
        reject(error) {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ channel: METRICS_CHANNEL, type: "gather", id } satisfies GatherMessage);
    });
}

// ------------------------------------------------------------------ the endpoint

/** SHA-256 of each side, compared in constant time whatever the lengths. */
function tokenMatches(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Loopback peer and no proxy header: a scraper on this machine, not a request relayed from elsewhere. */
function isLocalUnproxied(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress ?? "";
  const loopback = peer === "::1" || peer.startsWith("127.") || peer.startsWith("::ffff:127.");
  return loopback && req.headers["x-forwarded-for"] === undefined && req.headers.forwarded === undefined;
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/**
 * GET /metrics: with GATEHOUSE_METRICS_TOKEN, only `Authorization: Bearer <token>` (401 with WWW-Authenticate
 * otherwise); without it, only a scraper on this machine that no proxy relayed (403 otherwise).
 */
export function createMetricsEndpoint(gather: () => Promise<string>, token: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET" && req.method !== "HEAD") return answer(res, 405, "Method Not Allowed\n", { Allow: "GET, HEAD" });
    if (token !== undefined) {
      const authorization = req.headers.authorization ?? "";
      const presented = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
      if (presented === undefined || !tokenMatches(presented, token)) {
        return answer(res, 401, "A valid metrics token is required (Authorization: Bearer).\n", {
          "WWW-Authenticate": presented === undefined ? 'Bearer realm="gatehouse-metrics"' : 'Bearer realm="gatehouse-metrics", error="invalid_token"',
        });
      }
    } else if (!isLocalUnproxied(req)) {
      return answer(res, 403, "Metrics are served to this machine only; set GATEHOUSE_METRICS_TOKEN to scrape them from elsewhere.\n");
    }
    let text: string;
    try {
      text = await gather();
    } catch (error) {
      return answer(res, 503, `The metrics could not be gathered: ${(error as Error).message}\n`);
    }
    res.writeHead(200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Content-Length": String(Buffer.byteLength(text)),
    });
    res.end(req.method === "HEAD" ? undefined : text);
  };
}
