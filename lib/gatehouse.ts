// The composition root: one database, one key ring and one set of protocol
// handlers per process. Kept on globalThis because the production server and
// Next.js's own bundles each load a copy of this module; they must share the
// instance (PGlite allows one opener per directory).
import path from "node:path";
import { describeDatabase, openDatabase, type Database } from "./db/client";
import { bootstrapDatabase, type BootstrapReport } from "./db/bootstrap";
import { demoDataAllowed } from "./db/seed";
import { CLIENT_ADDRESS_HEADER, normalizeClientAddress } from "./auth/clientAddress";
import { hashPassword } from "./auth/passwords";
import { createPortalAuth, parseCookieHeader, type PortalAuth, type SessionCookie } from "./auth/portalAuth";
import { SignInThrottle } from "./auth/throttle";
import {
  createAuthorizationCodeStore,
  createAuthorizationStore,
  createClientStore,
  createGrantStore,
  createInteractionStore,
  createRefreshTokenStore,
  createScopeStore,
  createSigningKeyStore,
  createTokenStore,
  createUserStore,
} from "./db/repositories";
import { createAuditLog, type AuditWebhookOutbox } from "./db/audit";
import { createWebhookOutbox } from "./db/webhookOutbox";
import { startRepeatingTask, type RepeatingTask } from "./db/schedule";
import { createWebhookDispatcher, webhookEventSelector, type WebhookSettings } from "./webhooks/delivery";
import { log } from "./server/log";
import { startCatalogCache } from "./db/catalogCache";
import { createSignInStore } from "./db/signInStore";
import { createSignInThrottleStore } from "./db/signInThrottleStore";
import { createRedirectUriSource } from "./db/redirectOrigins";
import { rotateKeys, startKeyRotationSchedule } from "./db/keyRotation";
import { startPurgeSchedule } from "./db/purge";
import { createTokenRevocationStore, createTokenStateStore } from "./db/tokenRepositories";
import { createAuthorizeEndpoint } from "./oauth/authorize";
import { InteractionSealer } from "./oauth/sealedInteraction";
import type { OAuthServerConfig } from "./oauth/config";
import type { ClientAddressReader } from "./oauth/audit";
import type { AuditEventInput, AuditLog, SignedInReader, SigningAlgorithm } from "./oauth/ports";
import type { ConsentDeps } from "./oauth/consent";
import { RegisteredOriginCache } from "./oauth/cors";
import { createDiscoveryEndpoint } from "./oauth/discovery";
import { createIntrospectionEndpoint } from "./oauth/introspect";
import { createJwksEndpoint } from "./oauth/jwks";
import { KeyEncryption } from "./oauth/keyEncryption";
import { createLogoutEndpoint } from "./oauth/logout";
import { createRevocationEndpoint } from "./oauth/revoke";
import { KeyRing, SUPPORTED_SIGNING_ALGORITHMS, type KeyRotationReport } from "./oauth/signingKeys";
import { createTokenEndpoint } from "./oauth/token";
import { createUserinfoEndpoint } from "./oauth/userinfo";
import { VerifiedSignatureCache } from "./oauth/verifiedSignatures";
import type { DocumentEndpoint } from "./oauth/publicDocument";
import { createManagementApi } from "./management/api";
import { MANAGEMENT_ROUTES } from "./management/allRoutes";
import { createClientRateLimiter } from "./server/clientRateLimiter";
import { createHealthEndpoint, createReadinessEndpoint, Readiness, type CheckResult } from "./server/health";
import { checkDatabaseAnswers, checkMigrationsApplied } from "./db/readiness";
import { loadMigrations } from "./db/migrate";
import { deriveSecret, readSettings, resolveSecret, type Settings } from "./settings";
import { noteRequestParties } from "./requestContext";
import type { ClientRateLimiter } from "./oauth/clientRateLimit";

export type WebHandler = (request: Request) => Promise<Response>;

/** What the process measures (server.ts's metrics; docs/decisions/0019-logs-and-metrics.md); each part optional. */
export interface Instrumentation {
  /** Each audit event as it is recorded, sign-ins included. */
  auditEvent?(event: AuditEventInput): void;
  /** The duration (seconds) of each raw SQL statement. */
  query?(seconds: number): void;
}

export interface Gatehouse {
  settings: Settings;
  /** Secret for the portal's session cookies (@auth/core), derived from the deployment secret. */
  sessionSecret: string;
  /** Portal sign-in sessions (lib/auth/portalAuth.ts); `auth.readSession` is a SessionReader. */
  auth: PortalAuth;
  /** The sign-in throttle: /login, /account's password check, and the dashboard's view of it. */
  signInThrottle: SignInThrottle;
  config: OAuthServerConfig;
  db: Database;
  keys: KeyRing;
  bootstrap: BootstrapReport;
  databaseDescription: string;
  /** The audit log (grouped writes; see lib/db/audit.ts). */
  audit: AuditLog;
  /** What the consent page needs (lib/oauth/consent.ts). */
  consent: ConsentDeps;
  /** Opens the sealed authorization requests the login page carries (decision 0010). */
  interactionSealer: InteractionSealer;
  /**
   * Replaces the active signing key of each algorithm (all by default), like `npm run keys:rotate`,
   * but inside the running server: this process signs with the new key from its next request, other
   * instances within GATEHOUSE_KEY_REFRESH_SECONDS. Works on the embedded database too.
   */
  rotateSigningKeys(algs?: readonly SigningAlgorithm[]): Promise<KeyRotationReport & { longestLifetime: number }>;
  /** What /readyz reports; the shutdown marks it stopping (lib/server/health.ts). */
  readiness: Readiness;
  endpoints: {
    authorize: WebHandler;
    token: WebHandler;
    /** Public documents: the fast lane writes their bytes itself (lib/oauth/publicDocument.ts). */
    discovery: DocumentEndpoint;
    jwks: DocumentEndpoint;
    userinfo: WebHandler;
    revoke: WebHandler;
    introspect: WebHandler;
    logout: WebHandler;
    health: WebHandler;
    readiness: WebHandler;
    /** The management API, everything under /api/v1 (lib/management/api.ts). */
    management: WebHandler;
  };
  close(): Promise<void>;
}

/** A Set-Cookie header value for a cookie as @auth/core describes it. */
function serializeCookie({ name, value, options }: SessionCookie): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path ?? "/"}`];
  if (options.expires) parts.push(`Expires=${options.expires.toUTCString()}`);
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  if (options.domain) parts.push(`Domain=${options.domain}`);
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  if (options.sameSite) parts.push(`SameSite=${options.sameSite === true ? "Strict" : options.sameSite[0]!.toUpperCase() + options.sameSite.slice(1)}`);
  return parts.join("; ");
}

/** server.ts stamps the client's address on every request (fast lane and Next.js alike). */
const readClientAddress: ClientAddressReader = (request) => normalizeClientAddress(request.headers.get(CLIENT_ADDRESS_HEADER));

/**
 * The limiter, also telling the request's log line which client it was made by: the limiter hears of every
 * client that authenticated (a registered client_id, never a presented one) at token, introspection and revocation.
 */
function notingAuthenticatedClients(limiter: ClientRateLimiter): ClientRateLimiter {
  return {
    checkAuthentication: (clientId, address) => limiter.checkAuthentication(clientId, address),
    recordAuthenticationFailure: (clientId, address) => limiter.recordAuthenticationFailure(clientId, address),
    admitAuthenticatedRequest(clientId, address) {
      noteRequestParties({ clientId });
      return limiter.admitAuthenticatedRequest(clientId, address);
    },
  };
}

/** The authorization endpoint's session reader, also telling the request's log line whose request it is. */
function notingSignedInUsers(read: SignedInReader): SignedInReader {
  return async (request, applicationId) => {
    const signedIn = await read(request, applicationId);
    if (signedIn) noteRequestParties({ userId: signedIn.user.id });
    return signedIn;
  };
}

/** /readyz: the ring loads, and signs with an active key for every algorithm a client may ask for. */
async function checkSigningKeys(keys: KeyRing): Promise<CheckResult> {
  try {
    await keys.publicKeys();
  } catch (error) {
    return { ok: false, detail: "the signing keys could not be loaded (see the server's log)", cause: error };
  }
  const missing: string[] = [];
  for (const alg of SUPPORTED_SIGNING_ALGORITHMS) await keys.signingKey(alg).catch(() => missing.push(alg));
  return missing.length === 0 ? { ok: true } : { ok: false, detail: `no active signing key for ${missing.join(", ")}` };
}

/**
 * Audit webhooks (docs/decisions/0023-audit-webhooks.md): the audit writer's view of the outbox (which kinds,
 * and a prompt run after a batch enqueued deliveries), and every instance's schedule sending what is due.
 */
function startWebhookDelivery(db: Database, settings: WebhookSettings, pollSeconds: number): { outbox: AuditWebhookOutbox; schedule: RepeatingTask } {
  const dispatcher = createWebhookDispatcher({
    settings,
    outbox: createWebhookOutbox(db.sql),
    // Logged, not audited: an audit event per attempt would be delivered in its turn, without end.
    onFailure: (delivery, outcome, retryIn) =>
      log().warn(
        { webhook_delivery: delivery.id, audit_event: delivery.event.id, kind: delivery.event.kind, attempt: delivery.attempts + 1, status: outcome.status, error: outcome.error },
        retryIn === null ? "webhook delivery failed for good" : `webhook delivery failed; retrying in ${retryIn} s`,
      ),
  });
  const task = startRepeatingTask({
    // How often this instance looks for due deliveries (retries), besides right after an audit batch enqueued some.
    intervalSeconds: pollSeconds,
    firstDelaySeconds: 1,
    run: () => dispatcher.run(),
    onError: (error) => log().warn({ error: error instanceof Error ? error.message : String(error) }, "webhook delivery run failed"),
  });
  const selects = webhookEventSelector(settings.events);
  return {
    outbox: {
      selects,
      enqueued: () => {
        dispatcher.run().catch((error) => log().warn({ error: error instanceof Error ? error.message : String(error) }, "webhook delivery run failed"));
      },
    },
    schedule: {
      async stop() {
        await dispatcher.stop();
        await task.stop();
      },
    },
  };
}

const GLOBAL_KEY = Symbol.for("gatehouse.instance");
type GlobalWithGatehouse = typeof globalThis & { [GLOBAL_KEY]?: Promise<Gatehouse> };

/**
 * What this process is: the whole server ("whole": it does the once-only start work itself), or one of
 * several node:cluster workers ("worker": the primary did that work before forking it; decision 0016).
 */
export type ProcessRole = "whole" | "worker";

/** A worker's report: the primary migrated, seeded and opened the setup link, and printed them. */
const DONE_BY_PRIMARY: BootstrapReport = {
  migrations: { applied: [], alreadyApplied: 0 },
  createdKeys: [],
  demoSeed: null,
  demoPresent: [],
  setupToken: null,
};

/** The once-only start work: migrations, scopes, signing keys, demo data where allowed, the setup link. */
function bootstrapInstallationDatabase(db: Database, settings: Settings, encryption: KeyEncryption): Promise<BootstrapReport> {
  return bootstrapDatabase(db, {
    projectRoot: settings.projectRoot,
    encryption,
    // Demo data only where its public credentials cannot hurt (lib/db/seed.ts); PostgreSQL only by `npm run seed:demo`.
    seedDemoIfEmpty: !settings.databaseUrl && demoDataAllowed(settings) ? { hashPassword, adminPassword: settings.adminPassword } : null,
    demoPolicy: { issuer: settings.issuer, demo: settings.demo },
    issueSetupLink: true,
  });
}

/**
 * The cluster primary's start (GATEHOUSE_WORKERS > 1): the once-only work, then the database is closed
 * again; the workers open their own. Loading the keys here makes a wrong secret fail the start once.
 */
export async function bootstrapInstallation(settings: Settings): Promise<{ bootstrap: BootstrapReport; databaseDescription: string }> {
  const encryption = new KeyEncryption(resolveSecret(settings));
  const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: 2 });
  try {
    const bootstrap = await bootstrapInstallationDatabase(db, settings, encryption);
    await new KeyRing(createSigningKeyStore(db.prisma), encryption, settings.keyRefreshSeconds * 1000).publicKeys();
    return { bootstrap, databaseDescription: describeDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir }) };
  } finally {
    await db.close();
  }
}

/** The audit log, also showing each event to `observe`. */
function observedAuditLog(audit: AuditLog & { flush(): Promise<void> }, observe: ((event: AuditEventInput) => void) | undefined) {
  if (!observe) return audit;
  return {
    record(event: AuditEventInput) {
      observe(event);
      return audit.record(event);
    },
    flush: () => audit.flush(),
  };
}

async function createGatehouse(settings: Settings, role: ProcessRole, instrumentation: Instrumentation): Promise<Gatehouse> {
  const secret = resolveSecret(settings);
  const encryption = new KeyEncryption(secret);
  const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, poolSize: settings.poolSize, onQuery: instrumentation.query });
  try {
    const bootstrap = role === "worker" ? DONE_BY_PRIMARY : await bootstrapInstallationDatabase(db, settings, encryption);
    const config: OAuthServerConfig = {
      issuer: settings.issuer,
      accessTokenLifetime: settings.accessTokenLifetime,
      accessTokenSigningAlg: settings.accessTokenSigningAlg,
      defaultAudience: settings.issuer,
    };
    const keys = new KeyRing(createSigningKeyStore(db.prisma), encryption, settings.keyRefreshSeconds * 1000);
    // Clients, scopes and keys kept in process, dropped when a notification says their rows changed (decision 0015).
    const catalog = startCatalogCache(db);
    const clients = createClientStore(db, catalog.cache);
    const scopes = createScopeStore(db, catalog.cache);
    const tokens = createTokenStore(db);
    const codes = createAuthorizationCodeStore(db);
    const users = createUserStore(db);
    const authorizations = createAuthorizationStore(db);
    const interactions = createInteractionStore(db);
    const tokenStates = createTokenStateStore(db);
    const verifiedSignatures = new VerifiedSignatureCache();
    const webhooks = settings.webhooks ? startWebhookDelivery(db, settings.webhooks, settings.webhookPollSeconds) : null;
    const audit = observedAuditLog(createAuditLog(db.sql, webhooks?.outbox), instrumentation.auditEvent);
    // Per process: limits on clients at token, introspection and revocation; the origins CORS allows.
    const limiter = notingAuthenticatedClients(createClientRateLimiter(settings.clientLimits));
    const origins = new RegisteredOriginCache(createRedirectUriSource(db));
    catalog.cache.watch((table) => {
      // The ring's periodic reload (GATEHOUSE_KEY_REFRESH_SECONDS) stays as the fallback while not listening.
      if (table === "signing_keys") keys.invalidate();
      if (table === "applications") origins.invalidate();
    });
    // Listening before the first request, so that the cache serves from the start (until then it reads through).
    if (!(await catalog.subscription.ready)) {
      console.warn("[gatehouse] Not listening for catalog changes yet: clients and scopes are read on every request until the connection is back.");
    }
    const sessionSecret = deriveSecret(secret, "portal-session/v1");
    const interactionSealer = new InteractionSealer(deriveSecret(secret, "authorization-interaction/v1"));
    const signInThrottle = new SignInThrottle(createSignInThrottleStore(db.sql, { addressKey: deriveSecret(secret, "sign-in-address/v1") }));
    const signInStore = createSignInStore(db.sql, webhooks?.outbox);
    const observeSignIn = instrumentation.auditEvent;
    if (observeSignIn) {
      const record = signInStore.recordSignInEvent;
      signInStore.recordSignInEvent = (event) => {
        observeSignIn(event);
        return record(event);
      };
    }
    const auth = createPortalAuth({ store: signInStore, issuer: settings.issuer, secret: sessionSecret, throttle: signInThrottle });
    await keys.publicKeys(); // load and decrypt now: a wrong secret fails the start, not a request
    // Expired rows go on a schedule; the advisory lock inside lets one instance at a time do it (decision 0010).
    const purge = startPurgeSchedule(db, {
      intervalSeconds: settings.purgeIntervalSeconds,
      auditRetentionDays: settings.auditRetentionDays,
    });
    // Keys past GATEHOUSE_KEY_ROTATION_DAYS are replaced; the startup lock makes it one instance's rotation.
    const keyRotation = settings.keyRotationDays
      ? startKeyRotationSchedule(db, {
          encryption,
          accessTokenLifetime: settings.accessTokenLifetime,
          keyRefreshSeconds: settings.keyRefreshSeconds,
          rotationDays: settings.keyRotationDays,
          checkSeconds: settings.keyRotationCheckSeconds,
          audit,
          onRotated: () => keys.invalidate(),
        })
      : null;
    // The migrations this build ships, read once: /readyz compares them with the database's list.
    const shippedMigrations = loadMigrations(path.join(settings.projectRoot, "prisma", "migrations")).map((migration) => migration.name);
    const readiness = new Readiness({
      database: () => checkDatabaseAnswers(db.sql),
      migrations: () => checkMigrationsApplied(db.sql, shippedMigrations),
      signing_keys: () => checkSigningKeys(keys),
    });
    const rotateSigningKeys: Gatehouse["rotateSigningKeys"] = async (algs) => {
      const report = await rotateKeys(db, {
        encryption,
        algs,
        accessTokenLifetime: settings.accessTokenLifetime,
        keyRefreshSeconds: settings.keyRefreshSeconds,
      });
      keys.invalidate();
      return report;
    };
    return {
      settings,
      sessionSecret,
      auth,
      signInThrottle,
      config,
      db,
      keys,
      bootstrap,
      databaseDescription: describeDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir }),
      audit,
      consent: { config, clients, scopes, authorizations, interactions, users, audit },
      interactionSealer,
      readiness,
      rotateSigningKeys,
      endpoints: {
        authorize: createAuthorizeEndpoint({
          config,
          clients,
          scopes,
          authorizations,
          interactions,
          interactionSealer,
          codes,
          readSignedIn: notingSignedInUsers(auth.readSignedIn),
          keys,
          audit,
          clientAddress: readClientAddress,
        }),
        token: createTokenEndpoint({
          config,
          keys,
          clients,
          scopes,
          tokens,
          codes,
          grants: createGrantStore(db),
          refreshTokens: createRefreshTokenStore(db),
          audit,
          clientAddress: readClientAddress,
          limiter,
          origins,
        }),
        discovery: createDiscoveryEndpoint({ config, scopes }),
        jwks: createJwksEndpoint(keys),
        userinfo: createUserinfoEndpoint({ config, keys, tokens: tokenStates, verifiedSignatures, scopes, users, origins }),
        revoke: createRevocationEndpoint({
          config,
          keys,
          tokens: tokenStates,
          verifiedSignatures,
          clients,
          revocations: createTokenRevocationStore(db),
          audit,
          clientAddress: readClientAddress,
          limiter,
          origins,
        }),
        introspect: createIntrospectionEndpoint({ config, keys, tokens: tokenStates, verifiedSignatures, clients, limiter, clientAddress: readClientAddress }),
        logout: createLogoutEndpoint({
          config,
          clients,
          keys,
          readSession: auth.readSession,
          endSession: auth.endSession,
          clearSessionCookies: (request) =>
            auth.clearingCookies(Object.keys(parseCookieHeader(request.headers.get("cookie")))).map(serializeCookie),
        }),
        health: createHealthEndpoint(),
        readiness: createReadinessEndpoint(readiness),
        management: createManagementApi({
          config,
          keys,
          tokens: tokenStates,
          verifiedSignatures,
          clients,
          db,
          audit,
          clientAddress: readClientAddress,
          rotateSigningKeys,
          routes: MANAGEMENT_ROUTES,
        }),
      },
      async close() {
        // Rows handed to a group commit are written before the pool goes: normally their requests waited
        // for them already, but a request cut at the shutdown timeout may still have some on the way.
        await Promise.all([tokens.flush(), audit.flush()]);
        await purge.stop();
        await keyRotation?.stop();
        await webhooks?.schedule.stop();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Starts (or returns) this process's Gatehouse. The embedded default seeds
 * demo data into an empty database when demo data is allowed (loopback issuer
 * or GATEHOUSE_DEMO=1); DATABASE_URL never seeds automatically. Demo data on a
 * non-loopback issuer without GATEHOUSE_DEMO=1 fails the start.
 */
export function getGatehouse(settings: Settings = readSettings(), role: ProcessRole = "whole", instrumentation: Instrumentation = {}): Promise<Gatehouse> {
  const holder = globalThis as GlobalWithGatehouse;
  if (!holder[GLOBAL_KEY]) {
    const starting = createGatehouse(settings, role, instrumentation);
    holder[GLOBAL_KEY] = starting;
    // A failed start must not leave the process broken for good.
    starting.catch(() => {
      if (holder[GLOBAL_KEY] === starting) delete holder[GLOBAL_KEY];
    });
  }
  return holder[GLOBAL_KEY]!;
}

export async function closeGatehouse(): Promise<void> {
  const holder = globalThis as GlobalWithGatehouse;
  const instance = holder[GLOBAL_KEY];
  delete holder[GLOBAL_KEY];
  if (instance) await (await instance).close();
}

/** A Web handler that resolves the instance first; what route handlers export. */
export function gatehouseEndpoint(name: keyof Gatehouse["endpoints"]): WebHandler {
  return async (request) => (await getGatehouse()).endpoints[name](request);
}
