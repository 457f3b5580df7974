// The catalog cache: clients, scopes and (through the key ring's own cache) the
// signing keys, kept in process so that the hot protocol paths stop reading
// them on every request (docs/decisions/0015-catalog-cache.md). It is correct
// across instances only because every change to those tables notifies every
// instance (the triggers of migration *_catalog_notifications): an entry is
// dropped when its row changes, everything when the table is named alone, and
// everything when the notification connection drops or comes back. While this
// process is not listening, nothing is kept: every read goes to the database.
import type { ClientRecord, ScopeRecord } from "../oauth/ports";
import { LruMap } from "../lruMap";
import type { ChannelListener, ChannelSubscription, Database } from "./client";

/** The channel the triggers notify on. */
export const CATALOG_CHANNEL = "gatehouse_catalog";

/** The tables whose changes are announced on CATALOG_CHANNEL. */
export type CatalogTable = "applications" | "scopes" | "signing_keys";
const CATALOG_TABLES: readonly CatalogTable[] = ["applications", "scopes", "signing_keys"];

/** At most this many clients are kept (least recently used go first); a deployment with more reads the rest each time. */
export const DEFAULT_MAX_CLIENTS = 1_000;

/** A notification's meaning: one row of a table (by its key), or the whole table. */
export interface CatalogChange {
  table: CatalogTable;
  /** client_id, scope name or kid; null when the whole table may have changed. */
  key: string | null;
}

/** Reads '<table>:<key>' or '<table>'; null for a payload naming no catalog table. */
export function parseCatalogPayload(payload: string): CatalogChange | null {
  const colon = payload.indexOf(":");
  const table = colon < 0 ? payload : payload.slice(0, colon);
  if (!(CATALOG_TABLES as readonly string[]).includes(table)) return null;
  return { table: table as CatalogTable, key: colon < 0 ? null : payload.slice(colon + 1) };
}

/** Freezes a record and its arrays: a cached record is shared by every request, none may change it. */
function frozen<T extends object>(record: T): T {
  for (const value of Object.values(record)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(record);
}

/**
 * The cache proper, fed by a ChannelListener (`listener`). Each table has a
 * generation, bumped by every change to it and by every drop of everything: a
 * load that began in an older generation may have read the row before the
 * change committed, so its result is returned but not kept.
 */
export class CatalogCache {
  private isListening = false;
  private readonly clients: LruMap<string, ClientRecord>;
  private scopes: ReadonlyMap<string, ScopeRecord> | null = null;
  private readonly generations: Record<CatalogTable, number> = { applications: 0, scopes: 0, signing_keys: 0 };
  private readonly watchers: Array<(table: CatalogTable) => void> = [];

  constructor(options: { maxClients?: number } = {}) {
    this.clients = new LruMap(options.maxClients ?? DEFAULT_MAX_CLIENTS);
  }

  /** Whether notifications are being received (only then is anything kept). */
  get listening(): boolean {
    return this.isListening;
  }

  /** How many clients are kept now. */
  get cachedClients(): number {
    return this.clients.size;
  }

  /** What the notification channel drives. */
  readonly listener: ChannelListener = {
    message: (payload) => {
      const change = parseCatalogPayload(payload);
      if (change) this.apply(change);
    },
    listening: () => {
      // Changes made while nobody listened were never heard: nothing kept from before can be trusted.
      this.dropAll();
      this.isListening = true;
    },
    lost: () => {
      this.isListening = false;
      this.dropAll();
    },
  };

  /** Calls `watcher` with the table after each change to it (and with every table when everything is dropped). */
  watch(watcher: (table: CatalogTable) => void): void {
    this.watchers.push(watcher);
  }

  /** The client `clientId`, from the cache or from `load`. Unknown client ids are not remembered (any string can be sent). */
  async client(clientId: string, load: () => Promise<ClientRecord | null>): Promise<ClientRecord | null> {
    if (!this.isListening) return load();
    const cached = this.clients.get(clientId);
    if (cached) return cached;
    const generation = this.generations.applications;
    const record = await load();
    if (record && this.keeps("applications", generation)) this.clients.set(clientId, frozen(record));
    return record;
  }

  /** Every scope by name (the table is small and read whole), from the cache or from `load`. */
  async scopeTable(load: () => Promise<ScopeRecord[]>): Promise<ReadonlyMap<string, ScopeRecord>> {
    if (this.isListening && this.scopes) return this.scopes;
    const generation = this.generations.scopes;
    const table = new Map((await load()).map((scope) => [scope.name, frozen(scope)]));
    if (this.keeps("scopes", generation)) this.scopes = table;
    return table;
  }

  private keeps(table: CatalogTable, generation: number): boolean {
    return this.isListening && this.generations[table] === generation;
  }

  private apply({ table, key }: CatalogChange): void {
    this.generations[table]++;
    if (table === "applications") {
      if (key === null) this.clients.clear();
      else this.clients.delete(key);
    } else if (table === "scopes") {
      this.scopes = null; // read whole, dropped whole
    }
    this.notify(table);
  }

  private dropAll(): void {
    for (const table of CATALOG_TABLES) this.generations[table]++;
    this.clients.clear();
    this.scopes = null;
    for (const table of CATALOG_TABLES) this.notify(table);
  }

  private notify(table: CatalogTable): void {
    for (const watcher of this.watchers) {
      try {
        watcher(table);
      } catch (error) {
        console.error(`[gatehouse] catalog change of ${table}: a watcher failed:`, error);
      }
    }
  }
}

/** A catalog cache listening on `db` (and the subscription, which db.close() also ends). */
export function startCatalogCache(db: Database, options: { maxClients?: number } = {}): { cache: CatalogCache; subscription: ChannelSubscription } {
  const cache = new CatalogCache(options);
  return { cache, subscription: db.listen(CATALOG_CHANNEL, cache.listener) };
}
