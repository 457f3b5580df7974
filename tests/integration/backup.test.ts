// `backup FILE`, `restore FILE`, `migrate-to-postgres` (issue #13 item 8; docs/decisions/0022-backup-restore.md)
// against the built CLI and server. The source store is this run's backend (GATEHOUSE_TEST_BACKEND); each
// backup is restored into an empty store of both backends, and a server started on it must carry on where
// the source stopped: the same signing keys, tokens issued before the backup still valid, alice can sign in.
import fs from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BACKUP_TABLES } from "@/lib/db/backup";
import { DEMO_USER } from "../helpers/codeFlow";
import { fetchKids } from "../helpers/oauth";
import { signedInCookie } from "../helpers/portal";
import { createTestDatabase } from "../helpers/postgres";
import { queryStore, runCliProcess } from "../helpers/processes";
import { createSeededStore, createTestStore, makeTempDir, runCli, startServer, testBackend, type Backend, type TestStore } from "../helpers/server";
import { isActiveAtIntrospection, portalSession, refreshOutcome, userTokensForPostman, type UserTokens } from "../helpers/userTokens";

const backend = testBackend();
const SLOW = 120_000;

interface Source {
  store: TestStore;
  /** The source server's port: a restored server listens there again, so that the issuer (iss of every token) is the same. */
  port: number;
  kids: string[];
  tokens: UserTokens;
  auditRows: number;
}

const auditRows = async (store: TestStore) => Number((await queryStore<{ n: number }>(store, `SELECT count(*)::int AS "n" FROM "audit_events"`))[0]!.n);

/** The first line of a backup file: its header. */
function headerOf(file: string): { source: string; tables: { name: string; rows: number }[]; migrations: { name: string }[] } {
  return JSON.parse(gunzipSync(fs.readFileSync(file)).toString("utf8").split("\n")[0]!);
}

/** What a server on `store` must show of `source`: its kids, its tokens still good, alice signing in. */
async function expectCarriesOn(store: TestStore, source: Pick<Source, "kids" | "tokens" | "port">): Promise<void> {
  const server = await startServer(store, { PORT: String(source.port) });
  try {
    expect(await fetchKids(server.url)).toEqual(source.kids);
    expect(await isActiveAtIntrospection(server.url, source.tokens.access_token)).toBe(true);
    const refreshed = await refreshOutcome(server.url, source.tokens.refresh_token);
    expect(refreshed.status, refreshed.error).toBe(200);
    expect(refreshed.tokens.access_token).toBeTruthy();
    const cookie = await signedInCookie(server.url, DEMO_USER.username, DEMO_USER.password);
    expect((await portalSession(server.url, cookie))?.user).toBeTruthy();
  } finally {
    await server.stop();
  }
}

/** True when the store holds no Gatehouse table at all (nothing was written to it). */
async function untouched(store: TestStore): Promise<boolean> {
  if (store.backend === "pglite") return !fs.existsSync(path.join(store.dataDir, "pglite"));
  const rows = await queryStore<{ n: number }>(store, `SELECT count(*)::int AS "n" FROM information_schema.tables WHERE "table_schema" = 'public'`);
  return Number(rows[0]!.n) === 0;
}

describe(`backup of a ${backend} store, restored on both backends`, () => {
  let source: Source;
  let file: string;
  const stores: TestStore[] = [];
  const backups = makeTempDir("backups");

  const emptyStore = async (kind: Backend) => {
    const store = await createTestStore(kind);
    store.env.GATEHOUSE_SECRET = source.store.env.GATEHOUSE_SECRET!; // the backup does not carry the secret
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    const store = await createSeededStore(backend);
    stores.push(store);
    if (!store.seeded && backend === "postgres") await runCli(store, ["seed-demo"]);
    const server = await startServer(store);
    try {
      const cookie = await signedInCookie(server.url, DEMO_USER.username, DEMO_USER.password);
      // A code flow: a grant, an access and a refresh token, and the audit rows they leave.
      const tokens = await userTokensForPostman(server.url, cookie);
      const kids = await fetchKids(server.url);
      file = path.join(backups, "gatehouse.backup.gz");
      const live = await runCliProcess(store, ["backup", file]);
      if (backend === "pglite") {
        // One opener: the CLI refuses while the server holds the data directory, and writes no file.
        expect(live.code, live.output).toBe(1);
        expect(live.stderr).toMatch(/already in use by process .*stop the server/s);
        expect(fs.existsSync(file)).toBe(false);
      } else {
        // PostgreSQL: a snapshot while the server runs.
        expect(live.code, live.output).toBe(0);
        expect(headerOf(file).tables.find((table) => table.name === "tokens")!.rows).toBeGreaterThan(0);
      }
      await server.stop();
      source = { store, port: server.port, kids, tokens, auditRows: 0 };
    } finally {
      await server.stop();
    }
    // The copy compared below is taken with nothing running, so that its counts are the source's.
    const result = await runCliProcess(store, ["backup", file]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/The backup does not contain GATEHOUSE_SECRET/);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    source.auditRows = await auditRows(store);
    expect(source.auditRows).toBeGreaterThan(0);
  }, SLOW);

  afterAll(async () => {
    for (const store of stores) await store.cleanup();
    fs.rmSync(backups, { recursive: true, force: true });
  });

  test("the backup's header names its source, every migration and every table with its row count", async () => {
    const header = headerOf(file);
    expect(header.source).toBe(backend);
    const [migrations] = await Promise.all([queryStore<{ name: string }>(source.store, `SELECT "name" FROM "gatehouse_migrations" ORDER BY 1`)]);
    expect(header.migrations.map((migration) => migration.name)).toEqual(migrations!.map((row) => row.name));
    expect(header.tables.find((table) => table.name === "audit_events")!.rows).toBe(source.auditRows);
    expect(header.tables.find((table) => table.name === "authorizations")!.rows).toBeGreaterThan(0);
    expect(header.tables.find((table) => table.name === "signing_keys")!.rows).toBe(source.kids.length);
  });

  for (const kind of ["pglite", "postgres"] as const) {
    test(
      `restored into an empty ${kind} store: same kids, the old access token introspects active, the old refresh token works, alice signs in, same audit rows`,
      async () => {
        const target = await emptyStore(kind);
        const result = await runCliProcess(target, ["restore", file]);
        expect(result.code, result.output).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`restored \\d+ rows of ${BACKUP_TABLES.length} tables`));
        expect(await auditRows(target)).toBe(source.auditRows);
        await expectCarriesOn(target, source);
      },
      SLOW,
    );
  }

  test("a backup cut short, or altered, is refused and nothing is written to the target", async () => {
    const target = await emptyStore(backend);
    const bytes = fs.readFileSync(file);
    const cut = path.join(backups, "cut.backup.gz");
    fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const flipped = path.join(backups, "flipped.backup.gz");
    const altered = Buffer.from(bytes);
    altered[Math.floor(altered.length / 2)]! ^= 0xff;
    fs.writeFileSync(flipped, altered);
    for (const spoiled of [cut, flipped]) {
      const result = await runCliProcess(target, ["restore", spoiled]);
      expect(result.code, result.output).toBe(2);
      expect(result.stderr).toMatch(/is not a complete Gatehouse backup: .*Nothing was restored/);
      expect(await untouched(target)).toBe(true);
    }
  });

  test("a target that holds rows is refused (without --force), and a wrong GATEHOUSE_SECRET restores nothing", async () => {
    const refused = await runCliProcess(source.store, ["restore", file]);
    expect(refused.code, refused.output).toBe(2);
    expect(refused.stderr).toMatch(/The target database is not empty \(.*\)\. .*--force/);

    const target = await emptyStore(backend);
    const wrong = await runCliProcess(target, ["restore", file], { GATEHOUSE_SECRET: "another-secret-of-at-least-32-characters!" });
    expect(wrong.code, wrong.output).toBe(2);
    expect(wrong.stderr).toMatch(/does not decrypt with this GATEHOUSE_SECRET.*Nothing was restored/);
    const rows = await queryStore<{ n: number }>(target, `SELECT (SELECT count(*) FROM "signing_keys") + (SELECT count(*) FROM "users") AS "n"`);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  test("restore --force replaces what the target holds, in one transaction", async () => {
    const target = await emptyStore(backend);
    expect((await runCliProcess(target, ["restore", file])).code).toBe(0);
    await queryStore(target, `DELETE FROM "audit_events" WHERE "id" IN (SELECT "id" FROM "audit_events" LIMIT 1)`);
    const forced = await runCliProcess(target, ["restore", file, "--force"]);
    expect(forced.code, forced.output).toBe(0);
    expect(forced.stdout).toMatch(/emptied, then restored/);
    expect(await auditRows(target)).toBe(source.auditRows);
  });
});

describe.runIf(backend === "pglite")("migrate-to-postgres", () => {
  let store: TestStore;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const stores: TestStore[] = [];

  beforeAll(async () => {
    // An embedded install as a first start leaves it: demo data, and its secret generated into data/secret.key.
    store = await createTestStore("pglite");
    delete store.env.GATEHOUSE_SECRET;
    stores.push(store);
    database = await createTestDatabase(`gatehouse_test_migrate`);
  }, SLOW);

  afterAll(async () => {
    for (const each of stores) await each.cleanup();
    await database?.drop();
  });

  test(
    "moves keys, clients, users, grants, tokens and audit into PostgreSQL; with the printed GATEHOUSE_SECRET a server there carries on",
    async () => {
      const server = await startServer(store, { GATEHOUSE_SECRET: "" });
      let tokens: UserTokens;
      let kids: string[];
      const port = server.port;
      try {
        const cookie = await signedInCookie(server.url, DEMO_USER.username, DEMO_USER.password);
        tokens = await userTokensForPostman(server.url, cookie);
        kids = await fetchKids(server.url);
        const locked = await runCliProcess(store, ["migrate-to-postgres", "--to", database.url]);
        expect(locked.code, locked.output).toBe(1);
        expect(locked.stderr).toMatch(/already in use .*stop the server/s);
      } finally {
        await server.stop();
      }
      const secretFile = path.join(store.dataDir, "secret.key");
      expect(fs.existsSync(secretFile)).toBe(true);
      const audit = await auditRows(store);

      const moved = await runCliProcess(store, ["migrate-to-postgres", "--to", database.url]);
      expect(moved.code, moved.output).toBe(0);
      const printed = /^ {2}GATEHOUSE_SECRET=(\S+)$/m.exec(moved.stdout)?.[1];
      expect(printed).toBe(fs.readFileSync(secretFile, "utf8").trim());
      expect(moved.stdout).toContain(`DATABASE_URL=${database.url}`);
      expect(fs.readdirSync(store.dataDir).filter((name) => name.includes("backup"))).toEqual([]);

      const postgres: TestStore = {
        backend: "postgres",
        env: { DATABASE_URL: database.url, GATEHOUSE_SECRET: printed!, GATEHOUSE_DATA_DIR: makeTempDir() },
        dataDir: "",
        database,
        cleanup: async () => undefined,
      };
      postgres.dataDir = postgres.env.GATEHOUSE_DATA_DIR!;
      stores.push({ ...postgres, cleanup: async () => fs.rmSync(postgres.dataDir, { recursive: true, force: true }) });
      expect(await auditRows(postgres)).toBe(audit);
      await expectCarriesOn(postgres, { kids: kids!, tokens: tokens!, port });

      const again = await runCliProcess(store, ["migrate-to-postgres", "--to", database.url]);
      expect(again.code, again.output).toBe(2);
      expect(again.stderr).toMatch(/The target database is not empty/);
    },
    SLOW,
  );
});
