// Which backend each integration file runs on over HTTP. The rule (issue #11):
// store-level behaviour is tested in-process on both backends; HTTP behaviour
// on one; both only where behaviour depends on the backend (locks, races,
// restarts, several instances, storage growth, seeding). A file listed in
// neither list runs on the embedded PGlite only.

/**
 * Run on PostgreSQL only: their "what the database recorded" checks read (or change) the store beside
 * the server. On PGlite each such read costs a server stop and an in-process PGlite (one opener), and
 * the store functions they go through are unit-tested on both backends already. Also files that need a
 * server of their own (settings, restarts) for behaviour that does not depend on the store: a start costs
 * ~2 s of a core here against 3-4 s on PGlite.
 */
export const POSTGRES_ONLY_FILES = [
  "tests/integration/accountGrants.test.ts",
  "tests/integration/adminRaces.test.ts",
  "tests/integration/auditLog.test.ts",
  // Two instances on one database, each with its own catalog cache (the cache behind the stores,
  // fed by the triggers, is unit-tested on both backends: tests/unit/catalogCache.test.ts).
  "tests/integration/catalogAcrossInstances.test.ts",
  // Races of concurrent redemptions hit the store's connections here; the code store's single use is
  // unit-tested on both backends (tests/unit/tokenRepositories.test.ts).
  "tests/integration/codeGrant.test.ts",
  // The first administrator (setup link, create-admin): its store rules are unit-tested on both
  // backends, and a server start on PostgreSQL costs a third of one on PGlite.
  "tests/integration/firstAdministrator.test.ts",
  "tests/integration/health.test.ts",
  // Malformed requests: HTTP parsing and the handlers' refusals, nothing of the store's own (a start is cheaper here).
  "tests/integration/httpFuzz.test.ts",
  "tests/integration/idToken.test.ts",
  // Two workers (PostgreSQL only) sum their metrics; the pool's gauges exist only there.
  "tests/integration/metrics.test.ts",
  "tests/integration/passwordRevocation.test.ts",
  // Reads the audit log while its two servers (different proxy settings) run side by side on one database.
  "tests/integration/proxiesAndClientLimits.test.ts",
  // The server's schedule and settings; purgeExpired and the schedule are unit-tested on both
  // backends (tests/unit/purge.test.ts).
  "tests/integration/purgeSchedule.test.ts",
  // Concurrent uses of one refresh token; rotation and reuse are unit-tested on both backends
  // (tests/unit/grantsRepository.test.ts).
  "tests/integration/refreshToken.test.ts",
  // Reads the audit rows' request ids from the store.
  "tests/integration/requestLogs.test.ts",
  "tests/integration/shutdown.test.ts",
  // The throttle over HTTP (a few hundred sign-ins); its store and policy are unit-tested on both
  // backends (tests/unit/signInThrottleStore.test.ts).
  "tests/integration/signinThrottle.test.ts",
  // Timeouts and the connection cap of the HTTP server: nothing of the store's (a start is cheaper here).
  "tests/integration/slowClients.test.ts",
  "tests/integration/tokenLifecycle.test.ts",
  "tests/integration/userDisable.test.ts",
  // Several workers need PostgreSQL (PGlite's refusal of them is checked there too).
  "tests/integration/workers.test.ts",
  // Two workers delivering audit webhooks from one outbox (delivery, signing and retry among them).
  "tests/integration/webhooks.test.ts",
];

/** Run on both backends: their behaviour depends on the store. */
export const BOTH_BACKENDS_FILES = [
  // Its tests say which backend each runs on (the lock on PGlite, several instances on PostgreSQL).
  "tests/integration/database.test.ts",
  // The refusal and warning over HTTP on PostgreSQL; the embedded default's seeding on PGlite.
  "tests/integration/demoData.test.ts",
  "tests/integration/keyRotation.test.ts",
];
