import { decodeJwt } from "jose";
// The data layer over the built artifacts (dist/server.js, dist/cli.js):
// migrations, the embedded database's single-opener lock, persistence across
// restarts, the key-encryption secret, and several instances on one PostgreSQL.
// Server starts are most of this file's cost, so one store carries the whole
// file: its first start is the one the restarts examine, and while it runs the
// lock tests (PGlite) and the several-instances tests (PostgreSQL) use it.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSeededStore, createTestStore, startServer, testBackend, TEST_ADMIN_PASSWORD, type RunningServer, type TestStore } from "../helpers/server";
import { queryStore, runCliProcess, runFailingServer, shippedMigrations } from "../helpers/processes";
import { API_SCOPE, fetchJwks, fetchKids, postmanToken, verifyAccessToken, JWKS_PATH } from "../helpers/oauth";

const backend = testBackend();
const MIGRATIONS = shippedMigrations();
/** "…: 1 migration(s) applied (…), 0 already applied." */
const MIGRATE_LINE = /(\d+) migration\(s\) applied.*?, (\d+) already applied\./;

function migrateCounts(stdout: string): { applied: number; already: number } {
  const match = MIGRATE_LINE.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return { applied: Number(match![1]), already: Number(match![2]) };
}

interface RecordedToken {
  jti: string;
  kind: string;
  subject: string;
  scopes: string[];
  audiences: string[];
  status: string;
  lifetime: number;
}

/** What the restarts check in the store: counts, and the access tokens recorded (null: none). */
type StoreSummary = {
  admins: number;
  clients: number;
  keys: number;
  recorded: RecordedToken[] | null;
};

/** Stops every server and cleans every store a test made, even when it failed halfway. */
function tracker() {
  const servers: RunningServer[] = [];
  const stores: TestStore[] = [];
  return {
    store: (store: TestStore) => (stores.push(store), store),
    server: (server: RunningServer) => (servers.push(server), server),
    async cleanup() {
      await Promise.all(servers.splice(0).map((server) => server.stop()));
      await Promise.all(stores.splice(0).map((store) => store.cleanup()));
    },
  };
}

/**
 * The file's store and the server running on it. PGlite: an empty data directory, so that the first
 * start is the start from nothing (initdb, every migration, keys, demo data, the secret generated into
 * the directory). PostgreSQL: a copy of the seeded template (never seeded automatically; the CLI's
 * `seed-demo` made it). `server` is whichever server runs on it now: the lock test restarts it.
 */
const primary = { store: undefined as unknown as TestStore, server: undefined as unknown as RunningServer };
/** What the first start printed and served, examined by the restarts describe once it has stopped. */
const firstStart = { server: undefined as unknown as RunningServer, issuer: "", output: "", kids: [] as string[], token: "" };
// The embedded default generates its secret into the data directory; PostgreSQL needs it given.
const secretEnv: Record<string, string> = backend === "pglite" ? { GATEHOUSE_SECRET: "" } : {};
const fileResources = tracker();

beforeAll(async () => {
  primary.store = fileResources.store(backend === "pglite" ? await createTestStore() : await createSeededStore());
  primary.server = fileResources.server(await startServer(primary.store, secretEnv));
  firstStart.server = primary.server;
  firstStart.issuer = primary.server.url;
  firstStart.output = primary.server.output();
  firstStart.kids = await fetchKids(primary.server.url);
  firstStart.token = (await postmanToken(primary.server.url)).access_token;
}, 120_000); // a first start from nothing

afterAll(() => fileResources.cleanup());

/**
 * The first server's successor on the file's store, started with the first's issuer and secret: on
 * PGlite the lock test's (which killed the first), else the first stopped and started again here.
 */
async function restartedServer(): Promise<RunningServer> {
  if (primary.server !== firstStart.server) return primary.server;
  await primary.server.stop();
  primary.server = fileResources.server(await startServer(primary.store, { ...secretEnv, GATEHOUSE_ISSUER: firstStart.issuer }));
  return primary.server;
}

describe("migrations (node dist/cli.js migrate)", () => {
  const resources = tracker();
  afterAll(() => resources.cleanup());

  // On PostgreSQL only: the CLI's migrate is one code path for both stores, and an empty PGlite
  // directory costs an initdb. On PGlite the runner is tested in-process (tests/unit/migrate.test.ts)
  // and this file's first start is the start from nothing (every migration, then none on a restart).
  test.runIf(backend === "postgres")("on a fresh database every shipped migration is applied; a second run applies 0", async () => {
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    const store = resources.store(await createTestStore());
    const first = await runCliProcess(store, ["migrate"]);
    expect(first.code, first.output).toBe(0);
    expect(migrateCounts(first.stdout)).toEqual({ applied: MIGRATIONS.length, already: 0 });
    for (const name of MIGRATIONS) expect(first.stdout).toContain(name);

    const second = await runCliProcess(store, ["migrate"]);
    expect(second.code, second.output).toBe(0);
    expect(migrateCounts(second.stdout)).toEqual({ applied: 0, already: MIGRATIONS.length });

    const rows = await queryStore<{ name: string }>(store, `SELECT "name" FROM "gatehouse_migrations" ORDER BY "name"`);
    expect(rows.map((row) => row.name)).toEqual(MIGRATIONS);
  });

  test.runIf(backend === "postgres")(
    "PostgreSQL: two migrate processes started at the same time both succeed, and each migration is recorded once",
    async () => {
      const store = resources.store(await createTestStore());
      const [a, b] = await Promise.all([runCliProcess(store, ["migrate"]), runCliProcess(store, ["migrate"])]);
      expect(a.code, a.output).toBe(0);
      expect(b.code, b.output).toBe(0);
      const counts = [migrateCounts(a.stdout), migrateCounts(b.stdout)];
      // The advisory lock serialises them: one applies everything, the other finds it done.
      expect(counts.map((count) => count.applied).sort()).toEqual([0, MIGRATIONS.length]);
      const rows = await queryStore<{ name: string; n: number }>(
        store,
        `SELECT "name", count(*)::int AS n FROM "gatehouse_migrations" GROUP BY "name" ORDER BY "name"`,
      );
      expect(rows).toEqual(MIGRATIONS.map((name) => ({ name, n: 1 })));
    },
  );

  test.runIf(backend === "postgres")("PostgreSQL: migrate against a database a running server already migrated applies 0", async () => {
    const result = await runCliProcess(primary.store, ["migrate"]);
    expect(result.code, result.output).toBe(0);
    expect(migrateCounts(result.stdout)).toEqual({ applied: 0, already: MIGRATIONS.length });
  });
});

describe.runIf(backend === "pglite")("PGlite only (skipped on PostgreSQL, which has no lock file): one process per data directory", () => {
  const lockFile = () => path.join(primary.store.dataDir, "gatehouse.lock");

  test("the running server holds the lock file, stamped with its pid", () => {
    expect(fs.readFileSync(lockFile(), "utf8").trim()).toBe(String(primary.server.process.pid));
  });

  test("a second server on the same data directory fails fast with a message naming the lock, and the first keeps serving", async () => {
    const second = await runFailingServer(primary.store);
    expect(second.timedOut, second.output).toBe(false);
    expect(second.code, second.output).not.toBe(0);
    expect(second.durationMs, second.output).toBeLessThan(15_000);
    expect(second.output).toContain("already in use");
    expect(second.output).toContain(`process ${primary.server.process.pid}`);
    expect(second.output).toContain(primary.store.dataDir);
    expect(second.output).toMatch(/DATABASE_URL/); // it says how to run several instances
    expect(second.output).not.toMatch(/is running at/);

    // The failed start did not take the lock away, and the first server still answers.
    expect(fs.readFileSync(lockFile(), "utf8").trim()).toBe(String(primary.server.process.pid));
    const token = await postmanToken(primary.server.url);
    await verifyAccessToken(token.access_token, primary.server.url + JWKS_PATH, { audience: API_SCOPE.resource });
  });

  test("a CLI process (migrate, seed-demo) on the same data directory fails fast likewise", async () => {
    for (const command of ["migrate", "seed-demo"]) {
      const cli = await runCliProcess(primary.store, [command]);
      expect(cli.timedOut, cli.output).toBe(false);
      expect(cli.code, `${command}: ${cli.output}`).not.toBe(0);
      expect(cli.durationMs).toBeLessThan(15_000);
      expect(cli.stderr).toContain("already in use");
      expect(cli.stderr).toContain(`process ${primary.server.process.pid}`);
    }
    expect(fs.readFileSync(lockFile(), "utf8").trim()).toBe(String(primary.server.process.pid));
    await postmanToken(primary.server.url);
  });

  // The last test on the first server: it kills it, and its successor is the restart the restarts describe examines.
  test("a lock left behind by a killed server (dead pid) does not block the next start", async () => {
    const first = primary.server;
    const exited = new Promise((resolve) => first.process.once("exit", resolve));
    first.process.kill("SIGKILL");
    await exited;
    expect(fs.readFileSync(lockFile(), "utf8").trim()).toBe(String(first.process.pid));

    // Same issuer and secret as the first start: the restarts describe verifies its token there.
    primary.server = fileResources.server(await startServer(primary.store, { ...secretEnv, GATEHOUSE_ISSUER: firstStart.issuer }));
    expect(fs.readFileSync(lockFile(), "utf8").trim()).toBe(String(primary.server.process.pid));
    expect(await fetchKids(primary.server.url)).toEqual(firstStart.kids);
    await postmanToken(primary.server.url);
  });
});

describe.runIf(backend === "postgres")("PostgreSQL only (skipped on PGlite: one process per data directory): several instances on one database", () => {
  const resources = tracker();
  afterAll(() => resources.cleanup());

  test("two instances at once serve the same JWKS kids, and each verifies the other's tokens", async () => {
    // Two instances behind one issuer, as behind a load balancer.
    const issuer = primary.server.url;
    const b = resources.server(await startServer(primary.store, { GATEHOUSE_ISSUER: issuer }));
    const kidsA = await fetchKids(primary.server.url);
    expect(kidsA).toHaveLength(2);
    expect(await fetchKids(b.url)).toEqual(kidsA);

    const fromA = await postmanToken(primary.server.url);
    const fromB = await postmanToken(b.url);
    const checkedAtB = await verifyAccessToken(fromA.access_token, b.url + JWKS_PATH, { issuer, audience: API_SCOPE.resource });
    const checkedAtA = await verifyAccessToken(fromB.access_token, primary.server.url + JWKS_PATH, { issuer });
    expect(checkedAtB.payload.sub).toBe("postman");
    expect(checkedAtA.payload.sub).toBe("postman");
    expect(checkedAtA.payload.jti).not.toBe(checkedAtB.payload.jti);
  });

  test("two instances started at the same moment on an EMPTY database: keys and migrations exist exactly once", async () => {
    const store = resources.store(await createTestStore("postgres"));
    const starts = await Promise.allSettled([startServer(store), startServer(store)]);
    for (const start of starts) if (start.status === "fulfilled") resources.server(start.value);
    for (const start of starts) if (start.status === "rejected") throw start.reason;
    const [one, two] = starts.map((start) => (start as PromiseFulfilledResult<RunningServer>).value) as [RunningServer, RunningServer];

    const jwksOne = await fetchJwks(one.url);
    const jwksTwo = await fetchJwks(two.url);
    expect(jwksOne.keys).toHaveLength(2);
    expect(jwksOne.keys.map((key) => `${key.kty} ${key.alg}`).sort()).toEqual(["EC ES256", "RSA RS256"]);
    expect(jwksTwo.keys.map((key) => key.kid).sort()).toEqual(jwksOne.keys.map((key) => key.kid).sort());

    const keys = await queryStore<{ alg: string; n: number }>(
      store,
      `SELECT "alg", count(*)::int AS n FROM "signing_keys" WHERE "status" = 'active' GROUP BY "alg" ORDER BY "alg"`,
    );
    expect(keys).toEqual([
      { alg: "ES256", n: 1 },
      { alg: "RS256", n: 1 },
    ]);
    const [total] = await queryStore<{ n: number }>(store, `SELECT count(*)::int AS n FROM "signing_keys"`);
    expect(total!.n).toBe(2);
    const migrations = await queryStore<{ name: string; n: number }>(
      store,
      `SELECT "name", count(*)::int AS n FROM "gatehouse_migrations" GROUP BY "name" ORDER BY "name"`,
    );
    expect(migrations).toEqual(MIGRATIONS.map((name) => ({ name, n: 1 })));

    // Exactly one of the two did the bootstrap work; the other found it done.
    const outputs = [one.output(), two.output()];
    expect(outputs.filter((output) => output.includes("migrations applied"))).toHaveLength(1);
    expect(outputs.filter((output) => output.includes("signing keys created"))).toHaveLength(1);
    // The standard scopes were upserted by both, and still exist once each.
    const scopes = await queryStore<{ name: string; n: number }>(
      store,
      `SELECT "name", count(*)::int AS n FROM "scopes" GROUP BY "name" ORDER BY "name"`,
    );
    for (const scope of scopes) expect(scope.n).toBe(1);
    expect(scopes.map((scope) => scope.name)).toEqual(expect.arrayContaining(["openid", "profile", "email", "offline_access"]));
  });

  test("DATABASE_URL without GATEHOUSE_SECRET fails to start with a clear message", async () => {
    const attempt = await runFailingServer(primary.store, { GATEHOUSE_SECRET: "" });
    expect(attempt.timedOut, attempt.output).toBe(false);
    expect(attempt.code, attempt.output).not.toBe(0);
    expect(attempt.output).toContain("GATEHOUSE_SECRET is required with DATABASE_URL");
    expect(attempt.output).not.toMatch(/is running at/);
  });

  test("an instance joining with a different GATEHOUSE_SECRET fails to start; the running one is unaffected", async () => {
    const attempt = await runFailingServer(primary.store, { GATEHOUSE_SECRET: "yet-another-secret-which-is-long-enough-000000" });
    expect(attempt.timedOut, attempt.output).toBe(false);
    expect(attempt.code, attempt.output).not.toBe(0);
    expect(attempt.output).toContain("GATEHOUSE_SECRET differs");
    await postmanToken(primary.server.url);
  });
});

describe(`restarts on the same ${backend === "pglite" ? "data directory (the embedded default)" : "database"}`, () => {
  let store: TestStore;
  let issuer: string;
  let kidsBefore: string[];
  let tokenBefore: string;
  let firstOutput: string;
  const WRONG_SECRET = "a-different-secret-that-is-long-enough-0123456789";

  // The file's first start (its beforeAll) is the one examined here. On PGlite the restart is the lock
  // test's start after it killed the first server: a restart after a crash, which also leaves a stale
  // lock (a restart after a clean stop: tests/integration/keyRotation.test.ts, configAsCode, backup).
  beforeAll(() => {
    ({ store } = primary);
    ({ issuer, kids: kidsBefore, token: tokenBefore, output: firstOutput } = firstStart);
  });

  test("the first start created the keys (and, embedded, seeded the demo data once)", () => {
    expect(kidsBefore).toHaveLength(2);
    if (backend === "pglite") {
      // From nothing: every shipped migration (a restart applies none: see below).
      expect(firstOutput).toContain(`migrations applied: ${MIGRATIONS.join(", ")}`);
      expect(firstOutput).toMatch(/signing keys created: RS256 .*ES256/);
      expect(firstOutput).toContain("demo data seeded");
      expect(firstOutput).toContain(`administrator: admin / ${TEST_ADMIN_PASSWORD}`);
      expect(fs.existsSync(path.join(store.dataDir, "secret.key"))).toBe(true);
    } else {
      expect(firstOutput).not.toContain("demo data seeded"); // never automatic against DATABASE_URL
    }
  });

  test("after a restart: the same JWKS kids, the earlier token still verifies, nothing is re-created", async () => {
    // Same issuer as before (it is configuration, not the port), so the old token's iss still matches.
    const again = await restartedServer();
    expect(await fetchKids(again.url)).toEqual(kidsBefore);
    const { payload } = await verifyAccessToken(tokenBefore, again.url + JWKS_PATH, { issuer, audience: API_SCOPE.resource });
    expect(payload.client_id).toBe("postman");

    // A new token from the restarted server verifies too, signed by one of the same keys.
    const fresh = await postmanToken(again.url);
    const verified = await verifyAccessToken(fresh.access_token, again.url + JWKS_PATH, { issuer });
    expect(kidsBefore).toContain(verified.protectedHeader.kid);

    const output = again.output();
    expect(output).toMatch(/is running at/);
    expect(output).not.toContain("migrations applied");
    expect(output).not.toContain("signing keys created");
    expect(output).not.toContain("demo data seeded");
    expect(output).not.toContain("administrator:");
    await again.stop();
    if (backend === "pglite") expect(fs.existsSync(path.join(store.dataDir, "gatehouse.lock"))).toBe(false); // released on stop

    // The database itself: one admin, the demo clients once, two keys; and every issued access token
    // recorded by jti (for revocation and introspection later). One query: on PGlite each is an opening.
    const jtis = [decodeJwt(tokenBefore).jti, decodeJwt(fresh.access_token).jti];
    const [summary] = await queryStore<StoreSummary>(
      store,
      `SELECT (SELECT count(*)::int FROM "users" WHERE "username" = 'admin') AS admins,
              (SELECT count(*)::int FROM "applications") AS clients,
              (SELECT count(*)::int FROM "signing_keys") AS keys,
              (SELECT json_agg(json_build_object(
                        'jti', t."jti", 'kind', t."kind", 'subject', t."subject", 'scopes', t."scopes", 'audiences', t."audiences",
                        'status', t."status", 'lifetime', EXTRACT(EPOCH FROM (t."expires_at" - t."created_at"))::int) ORDER BY t."created_at")
                 FROM "tokens" t JOIN "applications" a ON a."id" = t."application_id"
                WHERE a."client_id" = 'postman' AND t."jti" = ANY($1::text[])) AS recorded`,
      [jtis],
    );
    const { recorded, ...counts } = summary!;
    expect(counts).toEqual({ admins: 1, clients: 2, keys: 2 });
    expect((recorded ?? []).map((row) => row.jti).sort()).toEqual([...jtis].sort());
    for (const row of recorded ?? []) {
      expect(row).toMatchObject({ kind: "access_token", subject: "postman", scopes: ["api"], audiences: [API_SCOPE.resource], status: "valid", lifetime: 3600 });
    }
  });

  // After the restart's test, which stops its server (on PGlite this start would otherwise meet the lock).
  test("a start with a GATEHOUSE_SECRET other than the keys were stored with fails clearly (no 500s later)", async () => {
    await primary.server.stop();
    const attempt = await runFailingServer(store, { GATEHOUSE_SECRET: WRONG_SECRET, GATEHOUSE_ISSUER: issuer });
    expect(attempt.timedOut, `the server came up with the wrong secret:\n${attempt.output}`).toBe(false);
    expect(attempt.code, attempt.output).not.toBe(0);
    expect(attempt.output).toMatch(/Gatehouse failed to start: .*GATEHOUSE_SECRET differs from the one the key was stored with/);
    expect(attempt.output).not.toMatch(/is running at/);
    if (backend === "pglite") expect(fs.existsSync(path.join(store.dataDir, "gatehouse.lock"))).toBe(false);
  });
});
