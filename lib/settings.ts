// Deployment settings, read once from the environment and validated by one
// zod schema (CONFIGURATION_SCHEMA; decision 0017).
import { hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseTrustedProxies, type TrustedProxies } from "./auth/clientAddress";
import { PRIVATE_DIRECTORY_MODE } from "./db/dataDirectory";
import { validateIssuer } from "./oauth/config";
import type { ClientLimits } from "./oauth/clientRateLimit";
import type { SigningAlgorithm } from "./oauth/ports";
import { displayedWebhookUrl, type WebhookSettings } from "./webhooks/delivery";
import { parseWebhookSecret } from "./webhooks/standardWebhooks";
import { z } from "zod";

export interface Settings {
  projectRoot: string;
  port: number;
  host: string;
  issuer: string;
  dataDir: string;
  databaseUrl: string | undefined;
  accessTokenLifetime: number;
  accessTokenSigningAlg: SigningAlgorithm;
  /** The key-encryption secret (GATEHOUSE_SECRET); see resolveSecret for the embedded default. */
  secret: string | undefined;
  /** The least severe log line written (GATEHOUSE_LOG_LEVEL, default info); debug adds what clients did to themselves. */
  logLevel: LogLevel;
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
  /** Age in days at which a signing key is replaced automatically (GATEHOUSE_KEY_ROTATION_DAYS, default 90); null: only by hand. */
  keyRotationDays: number | null;
  /** How often each instance checks whether a key is due (GATEHOUSE_KEY_ROTATION_CHECK_SECONDS, default 3600). */
  keyRotationCheckSeconds: number;
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
  /** Prometheus metrics at GET /metrics (docs/decisions/0019-logs-and-metrics.md). */
  metrics: MetricsSettings;
  /** Audit events delivered as signed webhooks (GATEHOUSE_WEBHOOK_*; docs/decisions/0023-audit-webhooks.md); null: off. */
  webhooks: WebhookSettings | null;
  /** GATEHOUSE_WEBHOOK_POLL_SECONDS: how often each instance looks for due webhook deliveries (retries). */
  webhookPollSeconds: number;
}

export interface MetricsSettings {
  /** GATEHOUSE_METRICS (default on): counted and served at all. */
  enabled: boolean;
  /** GATEHOUSE_METRICS_TOKEN: the Bearer token a scraper must send; unset: served to this machine only. */
  token: string | undefined;
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

/** pino's levels, most verbose first; "silent" writes nothing. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function logLevel(value: string | undefined): LogLevel {
  if (value === undefined) return "info";
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`GATEHOUSE_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}; got "${value}".`);
  return level as LogLevel;
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

/** GATEHOUSE_WEBHOOK_URL: https, or plain http to this machine only (a loopback host); no credentials in it. */
export function webhookUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`GATEHOUSE_WEBHOOK_URL must be an absolute https URL; got "${value}".`);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error("GATEHOUSE_WEBHOOK_URL must be an https URL (plain http only to a loopback host such as 127.0.0.1).");
  }
  if (url.username || url.password) throw new Error("GATEHOUSE_WEBHOOK_URL must not carry credentials: receivers check the signature instead.");
  if (url.hash) throw new Error("GATEHOUSE_WEBHOOK_URL must not have a #fragment.");
  return url.toString();
}

/** GATEHOUSE_WEBHOOK_EVENTS: audit kinds ("signin.failed") or prefixes ending in "." ("admin."), comma-separated. */
export function webhookEvents(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const entries = value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  const bad = entries.find((entry) => !/^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$/.test(entry));
  if (entries.length === 0 || bad !== undefined) {
    throw new Error(`GATEHOUSE_WEBHOOK_EVENTS must be audit event kinds or prefixes ending in ".", comma-separated; got "${bad ?? value}".`);
  }
  return entries;
}

/** An environment: process.env, or a test's own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** What a variable is, for messages and `npm start -- --check-config`. */
export interface VariableInfo {
  /** A valid value, shown with every refusal ("Example: GATEHOUSE_WORKERS=2"). */
  example: string;
  /** The default as the README's table shows it, when it is one plain value (tests/unit/readmeConfiguration.test.ts). */
  default?: string;
  /** Never printed: --check-config shows that it is set, not what it is. */
  secret?: boolean;
}

/** One variable: its raw text (undefined when unset) through the parser that says what is wrong with it. */
function variable<T>(parse: (value: string | undefined) => T, info: VariableInfo) {
  return z
    .string()
    .optional()
    .transform((value, context): T => {
      try {
        return parse(value === "" ? undefined : value);
      } catch (error) {
        context.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .meta({ ...info });
}

const text = (value: string | undefined) => value;

/**
 * Every environment variable the server and the CLI read, parsed once at start (issue #13 item 5). The
 * README's configuration table is tested against these names and defaults. Cross-variable rules follow
 * in `superRefine`; defaults that depend on another variable (issuer, workers) are resolved in readSettings.
 */
export const CONFIGURATION_SCHEMA = z
  .object({
    PORT: variable((value) => positiveInteger("PORT", value, 3000), { example: "3000", default: "3000" }),
    HOST: variable((value) => value ?? "0.0.0.0", { example: "127.0.0.1", default: "0.0.0.0" }),
    GATEHOUSE_ISSUER: variable((value) => (value === undefined ? undefined : validateIssuer(value)), { example: "https://id.example.com" }),
    GATEHOUSE_ROOT: variable(text, { example: "/srv/gatehouse" }),
    GATEHOUSE_DATA_DIR: variable((value) => value ?? "data", { example: "/var/lib/gatehouse", default: "./data" }),
    DATABASE_URL: variable(
      (value) => {
        if (value !== undefined && !/^postgres(ql)?:\/\//.test(value)) throw new Error("DATABASE_URL must be a postgres:// or postgresql:// URL.");
        return value;
      },
      { example: "postgresql://gatehouse:secret@db.internal:5432/gatehouse", secret: true },
    ),
    GATEHOUSE_SECRET: variable(text, { example: "$(openssl rand -base64 48)", secret: true }),
    GATEHOUSE_ACCESS_TOKEN_ALG: variable(
      (value): SigningAlgorithm => {
        const alg = value ?? "RS256";
        if (alg !== "RS256" && alg !== "ES256") throw new Error(`GATEHOUSE_ACCESS_TOKEN_ALG must be RS256 or ES256; got "${alg}".`);
        return alg;
      },
      { example: "ES256", default: "RS256" },
    ),
    GATEHOUSE_ACCESS_TOKEN_LIFETIME: variable((value) => positiveInteger("GATEHOUSE_ACCESS_TOKEN_LIFETIME", value, 3600), { example: "900", default: "3600" }),
    GATEHOUSE_ADMIN_PASSWORD: variable(text, { example: "a-long-admin-password", secret: true }),
    GATEHOUSE_DEMO: variable((value) => flag("GATEHOUSE_DEMO", value), { example: "1", default: "0" }),
    GATEHOUSE_DB_POOL_SIZE: variable((value) => positiveInteger("GATEHOUSE_DB_POOL_SIZE", value, 10), { example: "20", default: "10" }),
    GATEHOUSE_KEY_REFRESH_SECONDS: variable((value) => positiveInteger("GATEHOUSE_KEY_REFRESH_SECONDS", value, 60), { example: "30", default: "60" }),
    GATEHOUSE_TRUST_PROXY: variable(trustedProxies, { example: "1" }),
    GATEHOUSE_CLIENT_RATE_LIMIT: variable((value) => requestRate("GATEHOUSE_CLIENT_RATE_LIMIT", value, { points: 10_000, seconds: 1 }), {
      example: "600/60",
      default: "10000",
    }),
    GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT: variable((value) => nonNegativeInteger("GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT", value, 10), { example: "5", default: "10" }),
    GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT: variable((value) => nonNegativeInteger("GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT", value, 100), {
      example: "50",
      default: "100",
    }),
    GATEHOUSE_AUDIT_RETENTION_DAYS: variable(auditRetentionDays, { example: "365", default: "90" }),
    GATEHOUSE_KEY_ROTATION_DAYS: variable((value) => nonNegativeInteger("GATEHOUSE_KEY_ROTATION_DAYS", value, 90), { example: "30", default: "90" }),
    GATEHOUSE_KEY_ROTATION_CHECK_SECONDS: variable((value) => positiveInteger("GATEHOUSE_KEY_ROTATION_CHECK_SECONDS", value, 3600), {
      example: "600",
      default: "3600",
    }),
    GATEHOUSE_PURGE_INTERVAL_SECONDS: variable((value) => positiveInteger("GATEHOUSE_PURGE_INTERVAL_SECONDS", value, 3600), { example: "600", default: "3600" }),
    GATEHOUSE_HEADER_TIMEOUT_SECONDS: variable((value) => positiveInteger("GATEHOUSE_HEADER_TIMEOUT_SECONDS", value, 10), { example: "5", default: "10" }),
    GATEHOUSE_REQUEST_TIMEOUT_SECONDS: variable((value) => positiveInteger("GATEHOUSE_REQUEST_TIMEOUT_SECONDS", value, 30), { example: "60", default: "30" }),
    GATEHOUSE_MAX_CONNECTIONS: variable((value) => positiveInteger("GATEHOUSE_MAX_CONNECTIONS", value, 1000), { example: "5000", default: "1000" }),
    GATEHOUSE_WORKERS: variable((value) => (value === undefined ? undefined : positiveInteger("GATEHOUSE_WORKERS", value, 1)), { example: "2" }),
    GATEHOUSE_SHUTDOWN_DELAY_SECONDS: variable((value) => nonNegativeInteger("GATEHOUSE_SHUTDOWN_DELAY_SECONDS", value, 5), { example: "10", default: "5" }),
    GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS: variable((value) => positiveInteger("GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS", value, 30), { example: "60", default: "30" }),
    GATEHOUSE_LOG_LEVEL: variable(logLevel, { example: "debug", default: "info" }),
    GATEHOUSE_METRICS: variable((value) => value === undefined || flag("GATEHOUSE_METRICS", value), { example: "0", default: "1" }),
    GATEHOUSE_METRICS_TOKEN: variable(
      (value) => {
        if (value !== undefined && !/^[\x21-\x7E]{16,}$/.test(value)) {
          throw new Error("GATEHOUSE_METRICS_TOKEN must be at least 16 printable characters without spaces (it is sent as a Bearer token).");
        }
        return value;
      },
      { example: "d6f1c0a4e9b24f7a8c3e5b1a7f0d2c96", secret: true },
    ),
    GATEHOUSE_WEBHOOK_URL: variable(webhookUrl, { example: "https://hooks.example.com/gatehouse" }),
    GATEHOUSE_WEBHOOK_SECRET: variable(
      (value) => {
        if (value === undefined) return undefined;
        try {
          return parseWebhookSecret(value);
        } catch (error) {
          throw new Error(`GATEHOUSE_WEBHOOK_SECRET ${(error as Error).message} Make one with: echo whsec_$(openssl rand -base64 32)`);
        }
      },
      { example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", secret: true },
    ),
    GATEHOUSE_WEBHOOK_EVENTS: variable(webhookEvents, { example: "admin.,signin.failed" }),
    GATEHOUSE_WEBHOOK_POLL_SECONDS: variable((value) => positiveInteger("GATEHOUSE_WEBHOOK_POLL_SECONDS", value, 5), { example: "1", default: "5" }),
  })
  .superRefine((config, context) => {
    if (config.GATEHOUSE_WEBHOOK_URL !== undefined && config.GATEHOUSE_WEBHOOK_SECRET === undefined) {
      context.addIssue({
        code: "custom",
        path: ["GATEHOUSE_WEBHOOK_SECRET"],
        message: "GATEHOUSE_WEBHOOK_SECRET is required with GATEHOUSE_WEBHOOK_URL: every delivery is signed with it.",
      });
    }
    // The request timeout counts from the first byte, headers included.
    if (config.GATEHOUSE_REQUEST_TIMEOUT_SECONDS < config.GATEHOUSE_HEADER_TIMEOUT_SECONDS) {
      context.addIssue({
        code: "custom",
        path: ["GATEHOUSE_REQUEST_TIMEOUT_SECONDS"],
        message:
          `GATEHOUSE_REQUEST_TIMEOUT_SECONDS (${config.GATEHOUSE_REQUEST_TIMEOUT_SECONDS}) must not be shorter than ` +
          `GATEHOUSE_HEADER_TIMEOUT_SECONDS (${config.GATEHOUSE_HEADER_TIMEOUT_SECONDS}).`,
      });
    }
    try {
      serverWorkers(config.GATEHOUSE_WORKERS === undefined ? undefined : String(config.GATEHOUSE_WORKERS), config.DATABASE_URL, 1);
    } catch (error) {
      context.addIssue({ code: "custom", path: ["GATEHOUSE_WORKERS"], message: (error as Error).message });
    }
  });

export type ConfigurationVariable = keyof typeof CONFIGURATION_SCHEMA.shape;

/** The variables' names, in the schema's order. */
export const CONFIGURATION_VARIABLES = Object.keys(CONFIGURATION_SCHEMA.shape) as ConfigurationVariable[];

export function variableInfo(name: ConfigurationVariable): VariableInfo {
  return CONFIGURATION_SCHEMA.shape[name].meta() as unknown as VariableInfo;
}

/** A start refused for its configuration: every problem, each naming its variable, with an example of a valid value. */
export class ConfigurationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    const lines = problems.map(({ variable, message }) => {
      const info = CONFIGURATION_VARIABLES.includes(variable as ConfigurationVariable) ? variableInfo(variable as ConfigurationVariable) : null;
      return info ? `${message} Example: ${variable}=${info.example}` : message;
    });
    super(lines.length === 1 ? lines[0]! : `${lines.length} settings are invalid:\n  ${lines.join("\n  ")}`);
    this.name = "ConfigurationError";
  }
}

/** The schema's view of `env`: only its own variables, each as given (unset stays unset). */
export function parseConfiguration(env: Environment = process.env) {
  const raw = Object.fromEntries(CONFIGURATION_VARIABLES.map((name) => [name, env[name]]));
  const result = CONFIGURATION_SCHEMA.safeParse(raw);
  if (!result.success) {
    throw new ConfigurationError(result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "configuration"), message: issue.message })));
  }
  return result.data;
}

export function readSettings(env: Environment = process.env): Settings {
  const config = parseConfiguration(env);
  const port = config.PORT;
  const projectRoot = path.resolve(/*turbopackIgnore: true*/ config.GATEHOUSE_ROOT ?? process.cwd());
  return {
    projectRoot,
    port,
    host: config.HOST,
    issuer: config.GATEHOUSE_ISSUER ?? validateIssuer(`http://localhost:${port}`),
    dataDir: path.resolve(projectRoot, config.GATEHOUSE_DATA_DIR),
    databaseUrl: config.DATABASE_URL,
    secret: config.GATEHOUSE_SECRET,
    accessTokenLifetime: config.GATEHOUSE_ACCESS_TOKEN_LIFETIME,
    accessTokenSigningAlg: config.GATEHOUSE_ACCESS_TOKEN_ALG,
    adminPassword: config.GATEHOUSE_ADMIN_PASSWORD,
    poolSize: config.GATEHOUSE_DB_POOL_SIZE,
    keyRefreshSeconds: config.GATEHOUSE_KEY_REFRESH_SECONDS,
    trustedProxies: config.GATEHOUSE_TRUST_PROXY,
    clientLimits: {
      requests: config.GATEHOUSE_CLIENT_RATE_LIMIT,
      failuresPerAddress: config.GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT,
      failuresPerClient: config.GATEHOUSE_CLIENT_AUTH_FAILURE_LIMIT_PER_CLIENT,
    },
    demo: config.GATEHOUSE_DEMO,
    logLevel: config.GATEHOUSE_LOG_LEVEL,
    auditRetentionDays: config.GATEHOUSE_AUDIT_RETENTION_DAYS,
    keyRotationDays: config.GATEHOUSE_KEY_ROTATION_DAYS === 0 ? null : config.GATEHOUSE_KEY_ROTATION_DAYS,
    keyRotationCheckSeconds: config.GATEHOUSE_KEY_ROTATION_CHECK_SECONDS,
    purgeIntervalSeconds: config.GATEHOUSE_PURGE_INTERVAL_SECONDS,
    http: {
      headerTimeoutSeconds: config.GATEHOUSE_HEADER_TIMEOUT_SECONDS,
      requestTimeoutSeconds: config.GATEHOUSE_REQUEST_TIMEOUT_SECONDS,
      maxConnections: config.GATEHOUSE_MAX_CONNECTIONS,
    },
    workers: serverWorkers(config.GATEHOUSE_WORKERS === undefined ? undefined : String(config.GATEHOUSE_WORKERS), config.DATABASE_URL),
    shutdown: {
      delaySeconds: config.GATEHOUSE_SHUTDOWN_DELAY_SECONDS,
      timeoutSeconds: config.GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS,
    },
    metrics: { enabled: config.GATEHOUSE_METRICS, token: config.GATEHOUSE_METRICS_TOKEN },
    webhooks:
      config.GATEHOUSE_WEBHOOK_URL !== undefined && config.GATEHOUSE_WEBHOOK_SECRET !== undefined
        ? { url: config.GATEHOUSE_WEBHOOK_URL, key: config.GATEHOUSE_WEBHOOK_SECRET, events: config.GATEHOUSE_WEBHOOK_EVENTS }
        : null,
    webhookPollSeconds: config.GATEHOUSE_WEBHOOK_POLL_SECONDS,
  };
}

/** DATABASE_URL with its password replaced, for printing. */
function maskedDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "****";
    return url.toString();
  } catch {
    return "****";
  }
}

/** What one variable is in effect as --check-config prints it (secrets masked). */
function effectiveValue(name: ConfigurationVariable, raw: string | undefined, settings: Settings): string {
  const info = variableInfo(name);
  if (raw !== undefined) {
    if (name === "DATABASE_URL") return maskedDatabaseUrl(raw);
    // A receiver's token may ride in the query: shown as "?…".
    if (name === "GATEHOUSE_WEBHOOK_URL" && settings.webhooks) return settings.webhooks.url.includes("?") ? `${displayedWebhookUrl(settings.webhooks.url)}?…` : settings.webhooks.url;
    return info.secret ? "**** (set)" : raw;
  }
  switch (name) {
    case "GATEHOUSE_ISSUER":
      return settings.issuer;
    case "GATEHOUSE_ROOT":
      return settings.projectRoot;
    case "GATEHOUSE_DATA_DIR":
      return settings.dataDir;
    case "GATEHOUSE_WORKERS":
      return String(settings.workers);
    case "GATEHOUSE_SECRET":
      return settings.databaseUrl ? "(unset)" : `(unset: generated into ${path.join(settings.dataDir, "secret.key")})`;
    default:
      return info.default ?? "(unset)";
  }
}

/**
 * `npm start -- --check-config`: every variable with the value in effect (secrets masked) and whether it was
 * set or defaulted, or every problem. The start's own rule that needs more than the environment (the
 * secret with DATABASE_URL, enforced when the keys are opened) is checked here too.
 */
export function checkConfiguration(env: Environment = process.env): { valid: boolean; report: string } {
  let settings: Settings;
  try {
    settings = readSettings(env);
    if (settings.databaseUrl && !settings.secret) {
      throw new ConfigurationError([
        { variable: "GATEHOUSE_SECRET", message: "GATEHOUSE_SECRET is required with DATABASE_URL: every instance needs the same secret to decrypt the signing keys." },
      ]);
    }
  } catch (error) {
    return { valid: false, report: `Gatehouse configuration is invalid:\n${(error as Error).message}` };
  }
  const width = Math.max(...CONFIGURATION_VARIABLES.map((name) => name.length));
  const lines = CONFIGURATION_VARIABLES.map((name) => {
    const raw = env[name] === "" ? undefined : env[name];
    return `  ${name.padEnd(width)}  ${raw === undefined ? "default" : "set    "}  ${effectiveValue(name, raw, settings)}`;
  });
  return { valid: true, report: [`Gatehouse configuration is valid (${CONFIGURATION_VARIABLES.length} variables):`, ...lines].join("\n") };
}

/**
 * The key-encryption secret. GATEHOUSE_SECRET wins; the embedded default
 * generates one into the data directory on first start. With DATABASE_URL it
 * is required, because every instance must share it.
 */
export function resolveSecret(settings: Pick<Settings, "secret" | "databaseUrl" | "dataDir">): string {
  if (settings.secret) return settings.secret;
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

/** The embedded install's generated secret (data/secret.key) if there is one; never creates it (backup, restore, migrate-to-postgres). */
export function storedEmbeddedSecret(dataDir: string): string | null {
  const file = path.join(dataDir, "secret.key");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : null;
}

/** A purpose-bound secret derived from the deployment secret (HKDF-SHA256), base64url. */
export function deriveSecret(secret: string, purpose: string): string {
  return Buffer.from(hkdfSync("sha256", secret, "gatehouse", purpose, 32)).toString("base64url");
}
