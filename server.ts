// The production server (`npm start`): protocol endpoints are plain Web
// handlers served straight from node:http; everything else (pages, sign-in,
// consent, dashboard) goes to Next.js. One implementation, two mountings.
// On PostgreSQL it runs one process per core (GATEHOUSE_WORKERS): a node:cluster
// primary does the once-only start work and supervises workers that each serve
// the port (docs/decisions/0016-workers.md).
import cluster from "node:cluster";
import http from "node:http";
import { fileURLToPath } from "node:url";
import next from "next";
import { ENDPOINT_PATHS } from "./lib/oauth/config";
import { bootstrapInstallation, closeGatehouse, getGatehouse, type Gatehouse, type ProcessRole, type WebHandler } from "./lib/gatehouse";
import { answerNextRouterFetch, isNextRouterFetch, serveDocument, serveWebHandler } from "./lib/server/webBridge";
import { isDocumentEndpoint, type DocumentSource } from "./lib/oauth/publicDocument";
import { createPageSecurity, HSTS_HEADER, interactionRedirectTargets, strictTransportSecurity } from "./lib/server/contentSecurityPolicy";
import { stampClientAddress } from "./lib/auth/clientAddress";
import { guardServerActionOrigin } from "./lib/auth/crossOriginGuard";
import { checkConfiguration, readSettings, type Settings } from "./lib/settings";
import { answerPageMethod, PROTOCOL_ENDPOINTS, refuseConnect, refuseManagementMethod, refuseProtocolMethod } from "./lib/server/methods";
import { isManagementPath, MANAGEMENT_METHODS } from "./lib/management/api";
import { prepareForNext } from "./lib/server/beforeNext";
import { capConnections, slowClientServerOptions } from "./lib/server/slowClients";
import { DEMO, isLoopbackIssuer } from "./lib/db/seed";
import { drainOnClose } from "./lib/server/drain";
import { serveClientLimitsToWorkers } from "./lib/server/clientRateLimiter";
import { onSiblingMessage, STOP_MESSAGE, superviseWorkers, type WorkerSupervisor } from "./lib/server/workers";
import { createLogger, installLogger, log } from "./lib/server/log";
import { createRouteNamer, startRequest } from "./lib/server/requestLog";
import { withRequestContext } from "./lib/requestContext";
import { createMetricsEndpoint, GatehouseMetrics, METRICS_PATH, metricsGatherer, serveMetricsToWorkers } from "./lib/server/metrics";
import { activeSigningKeyAges, countActiveSessions } from "./lib/db/operationalQueries";

async function main() {
  if (process.argv.includes("--check-config")) {
    const { valid, report } = checkConfiguration();
    (valid ? console.log : console.error)(report);
    process.exit(valid ? 0 : 1);
  }
  const settings = readSettings();
  installLogger(await createLogger(settings.logLevel));
  if (cluster.isWorker) await serveRequests(settings, "worker");
  else if (settings.workers > 1) await superviseInstallation(settings);
  else await serveRequests(settings, "whole");
}

/** This process serves HTTP: the whole server, or one cluster worker (which prints nothing at start). */
async function serveRequests(settings: Settings, role: ProcessRole) {
  const started = Date.now();
  // Metrics (GATEHOUSE_METRICS, default on): made first, since the database and the audit log report to them.
  let database: Gatehouse["db"] | null = null;
  const metrics = settings.metrics.enabled
    ? new GatehouseMetrics({
        activeSessions: async () => (database ? countActiveSessions(database.sql) : 0),
        signingKeyAges: async () => (database ? activeSigningKeyAges(database.sql) : []),
        poolUsage: () => database?.poolUsage?.() ?? null,
      })
    : null;
  const gatehouse = await getGatehouse(
    settings,
    role,
    metrics ? { auditEvent: (event) => metrics.observeAuditEvent(event), query: (seconds) => metrics.observeQuery(seconds) } : {},
  );
  database = gatehouse.db;
  const serveMetrics = metrics ? createMetricsEndpoint(metricsGatherer(metrics), settings.metrics.token) : null;
  const observeRequest = metrics ? (route: string, status: number, seconds: number) => metrics.observeRequest(route, status, seconds) : null;
  const app = next({ dev: false, dir: settings.projectRoot, hostname: settings.host, port: settings.port });
  await app.prepare();
  const handleWithNext = app.getRequestHandler();

  // Protocol paths go straight to their handlers, each with the methods it serves.
  // Public documents (discovery, JWKS) are written from their bytes (lib/oauth/publicDocument.ts).
  const fastLane = new Map<string, FastLaneRoute>(
    PROTOCOL_ENDPOINTS.map(({ path, endpoint, methods }) => {
      const handler = gatehouse.endpoints[endpoint];
      return [path, { handler, methods, document: isDocumentEndpoint(handler) ? handler.document : undefined }];
    }),
  );
  const origin = new URL(settings.issuer).origin;
  const hsts = strictTransportSecurity(settings.issuer);
  const applyPageSecurity = createPageSecurity({ formRedirectTargets: interactionRedirectTargets(gatehouse.consent.interactions, gatehouse.interactionSealer) });

  const logger = log();
  const pageRoute = createRouteNamer(settings.projectRoot);

  const server = http.createServer(slowClientServerOptions(settings.http), (req, res) => {
    if (hsts) res.setHeader(HSTS_HEADER, hsts); // every response, both lanes
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    const route = fastLane.get(path);
    if (serveMetrics && path === METRICS_PATH) {
      // On the fast lane, never through Next.js; counted and logged like any request.
      startRequest(req, res, METRICS_PATH, logger, observeRequest);
      void serveMetrics(req, res).catch((error) => {
        logger.error({ err: error }, "metrics failure");
        res.destroy();
      });
      return;
    }
    // X-Request-Id on the response, one log line when it is done, and the id on the audit events it records.
    const context = startRequest(req, res, route ? path : pageRoute(url), logger, observeRequest);
    withRequestContext(context, () => serve(req, res, route, path));
  });

  function serve(req: http.IncomingMessage, res: http.ServerResponse, route: FastLaneRoute | undefined, pathname: string) {
    if (route) {
      if (!route.methods.includes(req.method ?? "")) refuseProtocolMethod(res, route.methods);
      else if (isNextRouterFetch(req)) answerNextRouterFetch(res);
      else {
        stampClientAddress(req, settings.trustedProxies); // the protocol endpoints' audit events carry it
        if (route.document) void serveDocument(route.document, route.handler, origin, req, res);
        else void serveWebHandler(route.handler, origin, req, res);
      }
    }
    else if (isManagementPath(pathname)) {
      // The management API: bearer tokens, JSON, its own methods (docs/decisions/0020-management-api.md).
      if (!(MANAGEMENT_METHODS as readonly string[]).includes(req.method ?? "")) refuseManagementMethod(res, MANAGEMENT_METHODS);
      else {
        stampClientAddress(req, settings.trustedProxies); // its audit events carry the caller's address
        void serveWebHandler(gatehouse.endpoints.management, origin, req, res);
      }
    }
    else if (!answerPageMethod(req, res) && !guardServerActionOrigin(req, res)) {
      stampClientAddress(req, settings.trustedProxies); // pages and server actions read x-gatehouse-client-ip
      applyPageSecurity(req, res) // CSP with a fresh nonce, on the request for Next.js and on the response
        .then(() => prepareForNext(req, res))
        .then((request) => request && handleWithNext(request, res))
        .catch((error) => {
          logger.error({ err: error }, "page request failure");
          res.destroy();
        });
    }
  }
  server.keepAliveTimeout = 65_000;
  capConnections(server, settings.http);
  server.on("connect", refuseConnect);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(settings.port, settings.host, resolve);
  });

  const drain = drainOnClose(server);
  if (role === "whole") printStartBanner(settings, gatehouse, Date.now() - started, null);

  const { delaySeconds, timeoutSeconds } = settings.shutdown;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A worker hears of one stop twice when a service manager signals the whole process group and the
      // primary passes the stop on: the first goes on, and the primary ends a worker that takes too long.
      if (role === "worker") return;
      // A second signal, or a close that hangs (a query that never returns), must not keep the process alive:
      // what was acknowledged is already committed, so exiting now loses nothing (docs/reliability.md, kill -9).
      process.exit(1);
    }
    stopping = true;
    // Only SIGTERM waits for a load balancer to notice; Ctrl-C (SIGINT) at a terminal has nobody to tell.
    const delayMs = signal === "SIGTERM" ? delaySeconds * 1000 : 0;
    const limitMs = delayMs + timeoutSeconds * 1000 + CLOSE_BUDGET_MS;
    setTimeout(() => {
      console.error(`Gatehouse: stopping took longer than ${limitMs / 1000} s; exiting now`);
      process.exit(1);
    }, limitMs).unref();
    gatehouse.readiness.markStopping(`stopping (${signal})`);
    drain.announce(); // keep-alive clients reconnect from here on, and may land on another instance
    if (role === "whole") {
      console.log(
        delayMs > 0
          ? `Gatehouse stopping (${signal}): /readyz answers 503 for ${delaySeconds} s while requests are served, then the listener closes`
          : `Gatehouse stopping (${signal})`,
      );
    }
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    // Requests in flight finish (their token rows and audit events are written inside them), up to the timeout.
    await drain.close(timeoutSeconds * 1000);
    await closeGatehouse().catch((error) => console.error(error)); // flushes the group commits, closes the pool
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // A worker stops when its primary says so (a "stop" message naming the signal it got, or SIGTERM); Ctrl-C
  // reaches the whole process group, and the primary decides.
  process.on("SIGINT", role === "whole" ? () => void stop("SIGINT") : () => undefined);
  if (role === "worker") onSiblingMessage(STOP_MESSAGE, (signal) => void stop(String(signal)));
}

interface FastLaneRoute {
  handler: WebHandler;
  methods: readonly string[];
  document?: DocumentSource;
}

type StartReport = Pick<Gatehouse, "bootstrap" | "databaseDescription">;

/** Where to sign in and what the start did: printed once per installation start (by the primary when there are workers). */
function printStartBanner(settings: Settings, { bootstrap, databaseDescription }: StartReport, startupMs: number, workers: WorkerSupervisor | null) {
  const lines = [
    `Gatehouse is running at ${settings.issuer}  (started in ${startupMs} ms)`,
    `  database: ${databaseDescription}`,
  ];
  if (workers) lines.push(`  workers: ${workers.pids().length} processes on one port (GATEHOUSE_WORKERS), pids ${workers.pids().join(", ")}`);
  if (bootstrap.migrations.applied.length) lines.push(`  migrations applied: ${bootstrap.migrations.applied.join(", ")}`);
  if (bootstrap.createdKeys.length) lines.push(`  signing keys created: ${bootstrap.createdKeys.join("; ")}`);
  if (bootstrap.demoSeed) {
    lines.push(`  demo data seeded: ${bootstrap.demoSeed.created.join(", ")}`);
    lines.push(`  sign in at ${settings.issuer}/login as ${DEMO.alice.username} / ${DEMO.alice.password}`);
    if (bootstrap.demoSeed.adminPassword) {
      lines.push(`  administrator: ${DEMO.admin.username} / ${bootstrap.demoSeed.adminPassword}   (shown once; keep it)`);
    }
    lines.push(`  demo client: ${DEMO.postman.clientId} / ${DEMO.postman.secret}`);
  }
  if (settings.demo && !isLoopbackIssuer(settings.issuer)) {
    const present = bootstrap.demoPresent.length ? bootstrap.demoPresent.join(", ") : "none at the moment";
    console.warn(
      `WARNING: GATEHOUSE_DEMO=1 on ${settings.issuer}: demo data with published credentials is allowed (present: ${present}). ` +
        `Anyone can use them. Delete the demo clients and users and unset GATEHOUSE_DEMO before real use.`,
    );
  }
  if (bootstrap.setupToken) {
    lines.push(`  no administrator yet: create one at ${settings.issuer}/setup?token=${bootstrap.setupToken.token}`);
    lines.push(`    (works once, until ${bootstrap.setupToken.expiresAt.toISOString()}; or run: npm run gatehouse -- create-admin)`);
  }
  lines.push(`  admin dashboard: ${settings.issuer}/dashboard   account: ${settings.issuer}/account`);
  lines.push(`  discovery: ${settings.issuer}${ENDPOINT_PATHS.openidConfiguration}`);
  console.log(lines.join("\n"));
}

/**
 * The cluster primary (GATEHOUSE_WORKERS > 1, PostgreSQL): migrates, seeds where that happens and opens the
 * setup link once, keeps the client limits' counters, forks the workers and prints the banner once.
 */
async function superviseInstallation(settings: Settings) {
  const started = Date.now();
  const installation = await bootstrapInstallation(settings);
  serveClientLimitsToWorkers(); // before the first fork: the workers' limiters register with it
  if (settings.metrics.enabled) serveMetricsToWorkers(); // a worker's /metrics answers with every worker's sum
  const workers = superviseWorkers({
    count: settings.workers,
    exec: fileURLToPath(import.meta.url),
    onGiveUp(reason) {
      console.error(`Gatehouse: ${reason}; stopping`);
      void workers.stop(workerStopMs(settings, "SIGINT"), "SIGINT").finally(() => process.exit(1));
    },
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A second signal: the workers end at once too, and so does the primary.
      for (const pid of workers.pids()) process.kill(pid, "SIGKILL");
      process.exit(1);
    }
    stopping = true;
    console.log(`Gatehouse stopping (${signal}): ${workers.pids().length} workers finish their requests`);
    process.exit((await workers.stop(workerStopMs(settings, signal), signal)) ? 0 : 1);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  await workers.ready;
  printStartBanner(settings, installation, Date.now() - started, workers);
}

/** After the requests in flight, how long flushing the writes and closing the database may take before the process exits anyway. */
const CLOSE_BUDGET_MS = 10_000;

/** How long the primary waits for its workers' own stop (delay, timeout, close) before it kills them. */
function workerStopMs({ shutdown }: Settings, signal: string): number {
  return (signal === "SIGTERM" ? shutdown.delaySeconds * 1000 : 0) + shutdown.timeoutSeconds * 1000 + CLOSE_BUDGET_MS + 2_000;
}

main().catch((error) => {
  console.error(`Gatehouse failed to start: ${error instanceof Error ? error.message : String(error)}`);
  // In full at debug level; the raw variable, since the settings may be what failed (an invalid value is not debug).
  if (/^(trace|debug)$/i.test(process.env.GATEHOUSE_LOG_LEVEL?.trim() ?? "")) console.error(error);
  process.exit(1);
});
