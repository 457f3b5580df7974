// lib/db/catalogCache.ts: the bounded LRU, invalidation by row and by table,
// reading through while not listening, dropping everything on reconnect; then
// the same cache behind the client and scope stores on PGlite and PostgreSQL,
// fed by the migration's triggers (decision 0015).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CATALOG_CHANNEL, CatalogCache, parseCatalogPayload, startCatalogCache, type CatalogTable } from "@/lib/db/catalogCache";
import { LruMap } from "@/lib/lruMap";
import type { ChannelSubscription, Database } from "@/lib/db/client";
import { createClientStore, createScopeStore } from "@/lib/db/repositories";
import type { ClientRecord, ScopeRecord } from "@/lib/oauth/ports";
import { describeEachBackend } from "../helpers/backends";

function clientRecord(clientId: string, overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: randomUUID(),
    clientId,
    displayName: clientId,
    clientType: "confidential",
    consentType: "explicit",
    clientSecretHashes: ["hash"],
    redirectUris: ["https://app.example/cb"],
    postLogoutRedirectUris: [],
    permissions: [],
    requirements: [],
    accessTokenLifetime: null,
    authorizationCodeLifetime: null,
    idTokenLifetime: null,
    refreshTokenLifetime: null,
    refreshTokenAbsoluteLifetime: null,
    accessTokenSigningAlg: null,
    idTokenSigningAlg: null,
    enabled: true,
    managementApi: false,
    ...overrides,
  };
}

/** A loader that counts its calls and answers from a mutable "table". */
function countingClients() {
  const rows = new Map<string, ClientRecord>();
  const loads: string[] = [];
  return {
    rows,
    loads,
    load: (clientId: string) => async () => {
      loads.push(clientId);
      return rows.get(clientId) ?? null;
    },
  };
}

function listeningCache(options: { maxClients?: number } = {}): CatalogCache {
  const cache = new CatalogCache(options);
  cache.listener.listening();
  return cache;
}

describe("LruMap", () => {
  it("holds at most maxSize entries and evicts the least recently used", () => {
    const lru = new LruMap<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1); // a is now the most recent
    lru.set("c", 3);
    expect(lru.size).toBe(2);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(1);
    expect(lru.get("c")).toBe(3);
  });
});

describe("parseCatalogPayload", () => {
  it("reads '<table>:<key>' and '<table>', keeps colons inside the key, ignores other tables", () => {
    expect(parseCatalogPayload("applications:postman")).toEqual({ table: "applications", key: "postman" });
    expect(parseCatalogPayload("applications:urn:app:1")).toEqual({ table: "applications", key: "urn:app:1" });
    expect(parseCatalogPayload("scopes")).toEqual({ table: "scopes", key: null });
    expect(parseCatalogPayload("users:42")).toBeNull();
    expect(parseCatalogPayload("")).toBeNull();
  });
});

describe("CatalogCache", () => {
  it("keeps a client once read, while listening", async () => {
    const cache = listeningCache();
    const clients = countingClients();
    clients.rows.set("a", clientRecord("a"));
    expect((await cache.client("a", clients.load("a")))?.clientId).toBe("a");
    expect((await cache.client("a", clients.load("a")))?.clientId).toBe("a");
    expect(clients.loads).toEqual(["a"]);
  });

  it("is bounded: beyond maxClients the least recently used client is read again", async () => {
    const cache = listeningCache({ maxClients: 2 });
    const clients = countingClients();
    for (const id of ["a", "b", "c"]) clients.rows.set(id, clientRecord(id));
    for (const id of ["a", "b", "c"]) await cache.client(id, clients.load(id));
    expect(cache.cachedClients).toBe(2);
    await cache.client("b", clients.load("b"));
    await cache.client("c", clients.load("c"));
    expect(clients.loads).toEqual(["a", "b", "c"]);
    await cache.client("a", clients.load("a"));
    expect(clients.loads).toEqual(["a", "b", "c", "a"]);
  });

  it("does not remember unknown client ids (any string can be sent as one)", async () => {
    const cache = listeningCache();
    const clients = countingClients();
    expect(await cache.client("nobody", clients.load("nobody"))).toBeNull();
    expect(await cache.client("nobody", clients.load("nobody"))).toBeNull();
    expect(clients.loads).toEqual(["nobody", "nobody"]);
    expect(cache.cachedClients).toBe(0);
  });

  it("drops the one client a notification names, and keeps the others", async () => {
    const cache = listeningCache();
    const clients = countingClients();
    clients.rows.set("a", clientRecord("a"));
    clients.rows.set("b", clientRecord("b"));
    await cache.client("a", clients.load("a"));
    await cache.client("b", clients.load("b"));
    clients.rows.set("a", clientRecord("a", { enabled: false }));
    cache.listener.message("applications:a");
    expect((await cache.client("a", clients.load("a")))?.enabled).toBe(false);
    await cache.client("b", clients.load("b"));
    expect(clients.loads).toEqual(["a", "b", "a"]);
  });

  it("drops every client on a table-level notification, and the scope table on any scope notification", async () => {
    const cache = listeningCache();
    const clients = countingClients();
    clients.rows.set("a", clientRecord("a"));
    clients.rows.set("b", clientRecord("b"));
    await cache.client("a", clients.load("a"));
    await cache.client("b", clients.load("b"));
    cache.listener.message("applications");
    await cache.client("a", clients.load("a"));
    await cache.client("b", clients.load("b"));
    expect(clients.loads).toEqual(["a", "b", "a", "b"]);

    let scopeLoads = 0;
    let description = "before";
    const loadScopes = async (): Promise<ScopeRecord[]> => {
      scopeLoads++;
      return [{ name: "api", displayName: "API", description, resources: [], claims: [], accessTokenClaims: [] }];
    };
    expect((await cache.scopeTable(loadScopes)).get("api")?.description).toBe("before");
    await cache.scopeTable(loadScopes);
    expect(scopeLoads).toBe(1);
    description = "after";
    cache.listener.message("scopes:api");
    expect((await cache.scopeTable(loadScopes)).get("api")?.description).toBe("after");
    cache.listener.message("scopes");
    await cache.scopeTable(loadScopes);
    expect(scopeLoads).toBe(3);
    // A change to another table leaves clients and scopes alone.
    cache.listener.message("signing_keys:kid-1");
    await cache.client("a", clients.load("a"));
    await cache.scopeTable(loadScopes);
    expect(clients.loads).toHaveLength(4);
    expect(scopeLoads).toBe(3);
  });

  it("reads through before LISTEN is in effect and after the connection is lost: nothing is kept", async () => {
    const cache = new CatalogCache();
    const clients = countingClients();
    clients.rows.set("a", clientRecord("a"));
    await cache.client("a", clients.load("a"));
    await cache.client("a", clients.load("a"));
    expect(clients.loads).toHaveLength(2);
    expect(cache.cachedClients).toBe(0);

    cache.listener.listening();
    await cache.client("a", clients.load("a"));
    await cache.client("a", clients.load("a"));
    expect(clients.loads).toHaveLength(3);

    cache.listener.lost();
    expect(cache.listening).toBe(false);
    clients.rows.set("a", clientRecord("a", { clientSecretHashes: ["rotated"] }));
    expect((await cache.client("a", clients.load("a")))?.clientSecretHashes).toEqual(["rotated"]);
    await cache.client("a", clients.load("a"));
    expect(clients.loads).toHaveLength(5);
    expect(cache.cachedClients).toBe(0);
  });

  it("drops everything when LISTEN is back after a reconnect (changes made meanwhile were never heard)", async () => {
    const cache = listeningCache();
    const clients = countingClients();
    clients.rows.set("a", clientRecord("a"));
    await cache.client("a", clients.load("a"));
    let scopeLoads = 0;
    const loadScopes = async () => {
      scopeLoads++;
      return [];
    };
    await cache.scopeTable(loadScopes);
    const watched: CatalogTable[] = [];
    cache.watch((table) => watched.push(table));

    // A reconnect without a lost() in between (as after a silent drop) still drops everything.
    clients.rows.set("a", clientRecord("a", { redirectUris: [] }));
    cache.listener.listening();
    expect((await cache.client("a", clients.load("a")))?.redirectUris).toEqual([]);
    await cache.scopeTable(loadScopes);
    expect(clients.loads).toHaveLength(2);
    expect(scopeLoads).toBe(2);
    expect(watched.sort()).toEqual(["applications", "scopes", "signing_keys"]);
  });

  it("does not keep a read that began before a change to its table (it may hold the old row)", async () => {
    const cache = listeningCache();
    let release: (record: ClientRecord) => void = () => undefined;
    const slow = cache.client("a", () => new Promise<ClientRecord>((resolve) => (release = resolve)));
    cache.listener.message("applications:a"); // the change commits while the read is in flight
    release(clientRecord("a", { enabled: true }));
    expect((await slow)?.enabled).toBe(true); // the answer of that request
    expect(cache.cachedClients).toBe(0); // but not kept for the next one
  });

  it("tells its watchers which table changed (the key ring reloads on signing_keys)", () => {
    const cache = listeningCache();
    const watched: CatalogTable[] = [];
    cache.watch((table) => watched.push(table));
    cache.listener.message("signing_keys:abc");
    cache.listener.message("applications:x");
    cache.listener.message("nonsense");
    expect(watched).toEqual(["signing_keys", "applications"]);
  });

  it("hands out frozen records: no request can change what the next one reads", async () => {
    const cache = listeningCache();
    const record = await cache.client("a", async () => clientRecord("a"));
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record!.redirectUris)).toBe(true);
  });
});

/** Polls until `check` passes (a notification from another connection arrives asynchronously on PostgreSQL). */
async function eventually(check: () => Promise<boolean>, limitMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeEachBackend("the catalog cache behind the client and scope stores, fed by the triggers", (db) => {
  let subscription: ChannelSubscription;
  let cache: CatalogCache;
  /** Statements the stores sent (the writes below go straight to db). */
  const reads: string[] = [];
  const counted: Database = {
    kind: db.kind,
    withSqlSession: (work) => db.withSqlSession(work),
    listen: (channel, listener) => db.listen(channel, listener),
    close: () => db.close(),
    get prisma() {
      return db.prisma;
    },
    sql: {
      query: (text, params) => {
        reads.push(text);
        return db.sql.query(text, params);
      },
    },
  };

  beforeAll(async () => {
    ({ cache, subscription } = startCatalogCache(db));
    expect(await subscription.ready).toBe(true);
    // The rows below announce themselves too; on PostgreSQL that arrives later, and would drop what a test just read.
    const heard = new Set<CatalogTable>();
    cache.watch((table) => heard.add(table));
    await db.sql.query(
      `INSERT INTO "applications" ("id", "client_id", "display_name", "client_type", "redirect_uris", "updated_at")
       VALUES ($1::uuid, 'cached-app', 'Cached', 'confidential', ARRAY['https://a.example/cb', 'https://b.example/cb'], now())`,
      [randomUUID()],
    );
    await db.sql.query(`INSERT INTO "scopes" ("id", "name", "display_name", "description", "updated_at") VALUES ($1::uuid, 'orders', 'Orders', 'Read orders', now())`, [
      randomUUID(),
    ]);
    await eventually(async () => heard.has("applications") && heard.has("scopes"));
  });

  afterAll(async () => {
    await subscription?.close();
  });

  it(`a change to a client, whoever makes it, reaches the cache through ${CATALOG_CHANNEL}: disable, rotate, remove a redirect URI, delete`, async () => {
    const clients = createClientStore(counted, cache);
    reads.length = 0;
    expect((await clients.findClientByClientId("cached-app"))?.enabled).toBe(true);
    await clients.findClientByClientId("cached-app");
    expect(reads).toHaveLength(1); // the second came from the cache

    await db.sql.query(`UPDATE "applications" SET "enabled" = false WHERE "client_id" = 'cached-app'`);
    await eventually(async () => (await clients.findClientByClientId("cached-app"))?.enabled === false);
    await db.sql.query(`UPDATE "applications" SET "client_secret_hashes" = ARRAY['new-hash'] WHERE "client_id" = 'cached-app'`);
    await eventually(async () => (await clients.findClientByClientId("cached-app"))?.clientSecretHashes[0] === "new-hash");
    await db.sql.query(`UPDATE "applications" SET "redirect_uris" = array_remove("redirect_uris", 'https://b.example/cb') WHERE "client_id" = 'cached-app'`);
    await eventually(async () => (await clients.findClientByClientId("cached-app"))?.redirectUris.length === 1);
    await db.sql.query(`DELETE FROM "applications" WHERE "client_id" = 'cached-app'`);
    await eventually(async () => (await clients.findClientByClientId("cached-app")) === null);
  });

  it("a scope edited or added reaches the scope store's cached table", async () => {
    const scopes = createScopeStore(counted, cache);
    expect((await scopes.findScopesByNames(["orders"]))[0]?.description).toBe("Read orders");
    reads.length = 0;
    expect(await scopes.findScopesByNames(["orders", "orders", "unknown"])).toHaveLength(1);
    expect(reads).toHaveLength(0);
    await db.sql.query(`UPDATE "scopes" SET "description" = 'Read and cancel orders' WHERE "name" = 'orders'`);
    await eventually(async () => (await scopes.findScopesByNames(["orders"]))[0]?.description === "Read and cancel orders");
    await db.sql.query(`INSERT INTO "scopes" ("id", "name", "display_name", "updated_at") VALUES ($1::uuid, 'invoices', 'Invoices', now())`, [randomUUID()]);
    await eventually(async () => (await scopes.listScopeNames()).includes("invoices"));
  });

  it("a change to the signing keys tells the watchers (the key ring reloads at once)", async () => {
    const seen: CatalogTable[] = [];
    cache.watch((table) => seen.push(table));
    await db.sql.query(
      `INSERT INTO "signing_keys" ("id", "kid", "alg", "public_jwk", "private_key_encrypted") VALUES ($1::uuid, 'kid-test', 'ES256', '{}', 'x')`,
      [randomUUID()],
    );
    await eventually(async () => seen.includes("signing_keys"));
    await db.sql.query(`DELETE FROM "signing_keys" WHERE "kid" = 'kid-test'`);
  });

  // Last in the block: it cuts the cache's own connection too (and shows that one comes back).
  it.skipIf(db.kind !== "postgres")("a LISTEN connection killed by PostgreSQL is reported lost, reconnected, and then hears changes again", async () => {
    const events: string[] = [];
    const probe = db.listen(CATALOG_CHANNEL, {
      message: (payload) => events.push(`message ${payload}`),
      listening: () => events.push("listening"),
      lost: () => events.push("lost"),
    });
    try {
      expect(await probe.ready).toBe(true);
      // The listeners of this test's own database, found first and then ended by pid: a termination in the same
      // WHERE clause could run before the other conditions and end connections of other databases.
      const listeners = await db.sql.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1 AND pid <> pg_backend_pid()`,
        [`LISTEN "${CATALOG_CHANNEL}"`],
      );
      expect(listeners.length).toBe(2); // the probe's and the cache's
      await db.sql.query(`SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, [listeners.map((row) => row.pid)]);
      await eventually(async () => events.filter((event) => event === "listening").length === 2);
      expect(events.slice(0, 3)).toEqual(["listening", "lost", "listening"]);
      await eventually(async () => cache.listening);
      await db.sql.query(`UPDATE "scopes" SET "display_name" = 'Orders (again)' WHERE "name" = 'orders'`);
      await eventually(async () => events.includes("message scopes:orders"));
      const scopes = createScopeStore(counted, cache);
      await eventually(async () => (await scopes.findScopesByNames(["orders"]))[0]?.displayName === "Orders (again)");
    } finally {
      await probe.close();
    }
  });
});
