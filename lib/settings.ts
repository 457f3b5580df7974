// Deployment settings, read once from the environment.
import { hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseTrustedProxies, type TrustedProxies } from "./auth/clientAddress";
import { PRIVATE_DIRECTORY_MODE } from "./db/dataDirectory";
import { validateIssuer } from "./oauth/config";
import type { ClientLimits } from "./oauth/clientRateLimit";
import type { SigningAlgorithm } from "./oauth/ports";

export interface Settings {
  projectRoot: string;
  port: number;
  host: string;
  issuer: string;
  dataDir: string;
  databaseUrl: string | undefined;
  accessTokenLifetime: number;
  accessTokenSigningAlg: SigningAlgorithm;
  /** Explicit admin password for the demo seed (otherwise one is generated and printed once). */
  adminPassword: string | undefined;
  poolSize: number;
  /** How often each process reloads the signing keys from the database (GATEHOUSE_KEY_REFRESH_SECONDS, default 60). */
  keyRefreshSeconds: number;
  /** Which X-Forwarded-For entries name the client (GATEHOUSE_TRUST_PROXY; lib/auth/clientAddress.ts). */
  trustedProxies: TrustedProxies;
  /**
   * Per-instance limits at the token, introspection and revocation endpoints
   * (GATEHOUSE_CLIENT_RATE_LIMIT, GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT,
   * GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT; 0 disables one).
   */
  clientLimits: ClientLimits;
  /** GATEHOUSE_DEMO=1: demo data allowed on a non-loopback issuer (warned about on every start). */
  demo: boolean;
  /** Days the audit log keeps an event (GATEHOUSE_AUDIT_RETENTION_DAYS, default 90); null: forever. */
  auditRetentionDays: number | null;
  /** How often expired rows are purged (GATEHOUSE_PURGE_INTERVAL_SECONDS, default 3600). */
  purgeIntervalSeconds: number;
  /** Slow-client limits for the HTTP server (docs/decisions/0011-http-edges-and-slow-clients.md). */
  http: HttpLimits;
  /**
   * Server processes (GATEHOUSE_WORKERS; docs/decisions/0016-workers.md): on PostgreSQL one per core by
   * default, as node:cluster workers sharing the port; 1 is a single process with no cluster primary.
   * Always 1 on the embedded PGlite, whose data directory has one opener.
   */
  workers: number;
  /** How a stop on SIGTERM goes (docs/decisions/0017-operations-health-shutdown-config.md). */
  shutdown: ShutdownTimes;
}

export interface ShutdownTimes {
  /** After SIGTERM, /readyz answers 503 this long while requests are still served (GATEHOUSE_SHUTDOWN_DELAY_SECONDS, default 5). */
  delaySeconds: number;
  /** Then, once the listener closed, the requests in flight have this long to finish (GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS, default 30). */
  timeoutSeconds: number;
}

export interface HttpLimits {
  /** Time a client has to send the request line and headers (GATEHOUSE_HEADER_TIMEOUT_SECONDS, default 10). */
  headerTimeoutSeconds: number;
  /** Time a client has to send the whole request, body included (GATEHOUSE_REQUEST_TIMEOUT_SECONDS, default 30). */
  requestTimeoutSeconds: number;
  /** Open connections per process; more are closed at once (GATEHOUSE_MAX_CONNECTIONS, default 1000). */
  maxConnections: number;
}

function flag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw new Error(`${name} must be 1 or 0; got "${value}".`);
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} must be a positive integer; got "${value}".`);
  return parsed;
}

function nonNegativeInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number (0 disables it); got "${value}".`);
  return parsed;
}

/** "<requests>" (per second) or "<requests>/<seconds>"; 0 disables the limit. */
function requestRate(name: string, value: string | undefined, fallback: { points: number; seconds: number }) {
  if (value === undefined || value === "") return fallback;
  const match = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(value);
  const points = match ? Number(match[1]) : NaN;
  const seconds = match?.[2] !== undefined ? Number(match[2]) : 1;
  if (!match || !Number.isSafeInteger(points) || !Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new Error(`${name} must be requests per second ("5000") or requests per window of seconds ("600/60"), 0 to disable; got "${value}".`);
  }
  return { points, seconds };
}

function trustedProxies(value: string | undefined): TrustedProxies {
  try {
    return parseTrustedProxies(value);
  } catch (error) {
    throw new Error(`${(error as Error).message} Got "${value}".`);
  }
}

/** GATEHOUSE_AUDIT_RETENTION_DAYS: whole days, or "forever" (0 is refused: it could mean either "keep nothing" or "keep all"). */
export function auditRetentionDays(value: string | undefined): number | null {
  if (value === undefined || value === "") return 90;
  if (value.trim().toLowerCase() === "forever") return null;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 100 * 365) {
    throw new Error(
      `GATEHOUSE_AUDIT_RETENTION_DAYS must be a number of days from 1 to 36500, or "forever" to keep every audit event; got "${value}".`,
    );
  }
  return parsed;
}

function readHttpLimits(env: NodeJS.ProcessEnv): HttpLimits {
  const headerTimeoutSeconds = positiveInteger("GATEHOUSE_HEADER_TIMEOUT_SECONDS", env.GATEHOUSE_HEADER_TIMEOUT_SECONDS, 10);
  const requestTimeoutSeconds = positiveInteger("GATEHOUSE_REQUEST_TIMEOUT_SECONDS", env.GATEHOUSE_REQUEST_TIMEOUT_SECONDS, 30);
  // The request timeout counts from the first byte, headers included.
  if (requestTimeoutSeconds < headerTimeoutSeconds) {
    throw new Error(
      `GATEHOUSE_REQUEST_TIMEOUT_SECONDS (${requestTimeoutSeconds}) must not be shorter than GATEHOUSE_HEADER_TIMEOUT_SECONDS (${headerTimeoutSeconds}).`,
    );
  }
  const maxConnections = positiveInteger("GATEHOUSE_MAX_CONNECTIONS", env.GATEHOUSE_MAX_CONNECTIONS, 1000);
  return { headerTimeoutSeconds, requestTimeoutSeconds, maxConnections };
}

/**
 * GATEHOUSE_WORKERS: on PostgreSQL every core by default; on the embedded PGlite one process, and a
 * request for more stops the start (a second process could not open the data directory).
 */
export function serverWorkers(value: string | undefined, databaseUrl: string | undefined, cores = os.availableParallelism()): number {
  const workers = positiveInteger("GATEHOUSE_WORKERS", value, databaseUrl ? cores : 1);
  if (!databaseUrl && workers > 1) {
    throw new Error(
      `GATEHOUSE_WORKERS=${workers} needs DATABASE_URL (PostgreSQL): the embedded PGlite database can be opened by one process only. ` +
        "Unset GATEHOUSE_WORKERS (or set it to 1), or set DATABASE_URL.",
    );
  }
  return workers;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const port = positiveInteger("PORT", env.PORT, 3000);
  const alg = env.GATEHOUSE_ACCESS_TOKEN_ALG ?? "RS256";
  if (alg !== "RS256" && alg !== "ES256") throw new Error(`GATEHOUSE_ACCESS_TOKEN_ALG must be RS256 or ES256; got "${alg}".`);
  const projectRoot = path.resolve(/*turbopackIgnore: true*/ env.GATEHOUSE_ROOT ?? process.cwd());
  return {
    projectRoot,
    port,
    host: env.HOST ?? "0.0.0.0",
    issuer: validateIssuer(env.GATEHOUSE_ISSUER ?? `http://localhost:${port}`),
    dataDir: path.resolve(projectRoot, env.GATEHOUSE_DATA_DIR ?? "data"),
    databaseUrl: env.DATABASE_URL || undefined,
    accessTokenLifetime: positiveInteger("GATEHOUSE_ACCESS_TOKEN_LIFETIME", env.GATEHOUSE_ACCESS_TOKEN_LIFETIME, 3600),
    accessTokenSigningAlg: alg,
    adminPassword: env.GATEHOUSE_ADMIN_PASSWORD || undefined,
    poolSize: positiveInteger("GATEHOUSE_DB_POOL_SIZE", env.GATEHOUSE_DB_POOL_SIZE, 10),
    keyRefreshSeconds: positiveInteger("GATEHOUSE_KEY_REFRESH_SECONDS", env.GATEHOUSE_KEY_REFRESH_SECONDS, 60),
    trustedProxies: trustedProxies(env.GATEHOUSE_TRUST_PROXY),
    clientLimits: {
      requests: requestRate("GATEHOUSE_CLIENT_RATE_LIMIT", env.GATEHOUSE_CLIENT_RATE_LIMIT, { points: 10_000, seconds: 1 }),
      failuresPerAddress: nonNegativeInteger("GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT", env.GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT, 10),
      failuresPerClient: nonNegativeInteger(
        "GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT",
        env.GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT,
        100,
      ),
    },
    demo: flag("GATEHOUSE_DEMO", env.GATEHOUSE_DEMO),
    auditRetentionDays: auditRetentionDays(env.GATEHOUSE_AUDIT_RETENTION_DAYS),
    purgeIntervalSeconds: positiveInteger("GATEHOUSE_PURGE_INTERVAL_SECONDS", env.GATEHOUSE_PURGE_INTERVAL_SECONDS, 3600),
    http: readHttpLimits(env),
    workers: serverWorkers(env.GATEHOUSE_WORKERS, env.DATABASE_URL || undefined),
    shutdown: {
      delaySeconds: nonNegativeInteger("GATEHOUSE_SHUTDOWN_DELAY_SECONDS", env.GATEHOUSE_SHUTDOWN_DELAY_SECONDS, 5),
      timeoutSeconds: positiveInteger("GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS", env.GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS, 30),
    },
  };
}

/**
 * The key-encryption secret. GATEHOUSE_SECRET wins; the embedded default
 * generates one into the data directory on first start. With DATABASE_URL it
 * is required, because every instance must share it.
 */
export function resolveSecret(settings: Settings, env: NodeJS.ProcessEnv = process.env): string {
  if (env.GATEHOUSE_SECRET) return env.GATEHOUSE_SECRET;
  if (settings.databaseUrl) {
    throw new Error(
      "GATEHOUSE_SECRET is required with DATABASE_URL: every instance needs the same secret to decrypt the signing keys. " +
        "Generate one with: openssl rand -base64 48",
    );
  }
  const file = path.join(settings.dataDir, "secret.key");
  fs.mkdirSync(settings.dataDir, { recursive: true, mode: PRIVATE_DIRECTORY_MODE }); // owner-only: the database beside it holds password hashes
  try {
    fs.writeFileSync(file, randomBytes(48).toString("base64url") + "\n", { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return fs.readFileSync(file, "utf8").trim();
}

/** A purpose-bound secret derived from the deployment secret (HKDF-SHA256), base64url. */
export function deriveSecret(secret: string, purpose: string): string {
  return Buffer.from(hkdfSync("sha256", secret, "gatehouse", purpose, 32)).toString("base64url");
}
