// Builds the one Prisma client a process uses: PGlite (embedded, files under
// the data directory) when no DATABASE_URL is set, PostgreSQL otherwise.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { PrismaClient } from "./generated/client";
import { makeDataDirectoryPrivate, ownerOnlyFileSystem, PGLITE_SUBDIRECTORY, PRIVATE_DIRECTORY_MODE } from "./dataDirectory";
import { acquireDirectoryLock, type DirectoryLock } from "./lock";
import { createDatabaseInChildProcess, isNewDatabaseDirectory, pgliteStartParams } from "./pgliteMemory";
import { createPgliteStatementRunner } from "./pgliteStatements";
import type { SqlSession } from "./migrate";

export type DatabaseKind = "pglite" | "postgres";

export interface DatabaseOptions {
  /** postgres:// or postgresql:// URL; absent means the embedded database. */
  databaseUrl?: string;
  /** Directory for the embedded database and its lock (default ./data). */
  dataDir: string;
  /** PostgreSQL pool size per process. */
  poolSize?: number;
  /** Told the duration (seconds) of each statement run through `sql`, the hot paths' raw SQL (the metrics). */
  onQuery?: (seconds: number) => void;
}

/** The PostgreSQL pool's connections now: open, idle among them, and requests waiting for one. */
export interface PoolUsage {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Parameterised SQL straight on the driver. The hot protocol paths use it:
 * Prisma 6's client engine compiles every query in WebAssembly on the main
 * thread, which costs more than the query itself (see docs/benchmarks.md).
 */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface Database {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  readonly sql: SqlExecutor;
  /**
   * Runs `work` with a dedicated SQL session (used for migrations, which need
   * one connection for the advisory lock and for each migration's transaction).
   */
  withSqlSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Subscribes to a notification channel (LISTEN). On PostgreSQL a dedicated
   * connection outside the pool, reconnected with backoff when it drops; on
   * PGlite the instance's own in-process notifications. Ended by close().
   */
  listen(channel: string, listener: ChannelListener): ChannelSubscription;
  /** The pool's connections (PostgreSQL); null on the embedded PGlite, which is one connection. */
  poolUsage?(): PoolUsage | null;
  close(): Promise<void>;
}

/** `sql` timing each statement for `onQuery`; `sql` itself when nobody listens (no cost then). */
function timedExecutor(sql: SqlExecutor, onQuery: ((seconds: number) => void) | undefined): SqlExecutor {
  if (!onQuery) return sql;
  return {
    async query<Row>(text: string, params?: unknown[]) {
      const started = performance.now();
      try {
        return await sql.query<Row>(text, params);
      } finally {
        onQuery((performance.now() - started) / 1000);
      }
    },
  };
}

/** What a subscriber hears. Notifications sent while it was not listening are lost: `listening` says when to distrust what it kept. */
export interface ChannelListener {
  /** A notification's payload. */
  message(payload: string): void;
  /** LISTEN is in effect: after the start, and again after each reconnect. */
  listening(): void;
  /** The connection dropped: notifications may be missed until `listening` is called again. */
  lost(): void;
}

export interface ChannelSubscription {
  /** Settles after the first attempt to listen: true if it succeeded (later reconnects do not change it). */
  readonly ready: Promise<boolean>;
  close(): Promise<void>;
}

/** Channel names are fixed identifiers in the code, never data: LISTEN takes no parameter. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/;

function checkChannel(channel: string): void {
  if (!CHANNEL_NAME.test(channel)) throw new Error(`Not a channel name: ${channel}`);
}

/** Reconnect delays of a dropped LISTEN connection: doubling from the first to the last. */
export const LISTEN_RETRY_MS = { first: 100, last: 10_000 } as const;

export function describeDatabase(options: DatabaseOptions): string {
  if (!options.databaseUrl) return `embedded PGlite in ${path.resolve(options.dataDir, "pglite")}`;
  try {
    const url = new URL(options.databaseUrl);
    return `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return "PostgreSQL (DATABASE_URL)";
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.databaseUrl ? await openPostgres(options.databaseUrl, options.poolSize ?? 10) : await openPglite(options.dataDir);
  return options.onQuery ? { ...database, sql: timedExecutor(database.sql, options.onQuery) } : database;
}

/**
 * LISTEN on a connection of its own (a pooled one would be handed to other
 * queries, and its notifications lost). Any error or end of that connection
 * reports `lost` and reconnects after a growing delay.
 */
function listenOnPostgres(pg: typeof import("pg").default, databaseUrl: string, channel: string, listener: ChannelListener): ChannelSubscription {
  checkChannel(channel);
  let closed = false;
  let current: import("pg").Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let delay: number = LISTEN_RETRY_MS.first;
  let settleReady: (listening: boolean) => void = () => undefined;
  const ready = new Promise<boolean>((resolve) => {
    settleReady = resolve;
  });
  const connect = async () => {
    retry = null;
    if (closed) return;
    const client = new pg.Client({ connectionString: databaseUrl, keepAlive: true, connectionTimeoutMillis: 10_000 });
    current = client;
    let dropped = false;
    const drop = (error?: Error) => {
      if (dropped) return;
      dropped = true;
      if (current === client) current = null;
      client.end().catch(() => undefined);
      listener.lost();
      settleReady(false);
      if (closed) return;
      console.error(`[gatehouse] LISTEN ${channel}: connection lost (${error?.message ?? "ended"}); retrying in ${delay} ms.`);
      retry = setTimeout(connect, delay);
      retry.unref();
      delay = Math.min(delay * 2, LISTEN_RETRY_MS.last);
    };
    client.on("error", drop);
    client.on("end", () => drop());
    client.on("notification", (notification) => {
      if (notification.channel === channel) listener.message(notification.payload ?? "");
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      drop(error as Error);
      return;
    }
    if (dropped || closed) return;
    delay = LISTEN_RETRY_MS.first;
    listener.listening();
    settleReady(true);
  };
  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const client = current;
      current = null;
      settleReady(false);
      await client?.end().catch(() => undefined);
    },
  };
}

async function openPostgres(databaseUrl: string, poolSize: number): Promise<Database> {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error("DATABASE_URL must be a postgres:// or postgresql:// URL.");
  }
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const pg = (await import("pg")).default;
  // One pool serves Prisma and the raw hot-path queries.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on("error", (error) => console.error("[gatehouse] idle PostgreSQL connection failed:", error.message));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const subscriptions = new Set<ChannelSubscription>();
  return {
    kind: "postgres",
    prisma,
    sql: {
      async query<Row>(sql: string, params?: unknown[]) {
        return (await pool.query({ name: preparedStatementName(sql), text: sql, values: params })).rows as Row[];
      },
    },
    async withSqlSession(work) {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        return await work({
          query: async (sql, params) => ({ rows: (await client.query(sql, params as unknown[])).rows }),
          exec: async (sql) => {
            await client.query(sql);
          },
        });
      } finally {
        await client.end();
      }
    },
    listen(channel, listener) {
      const subscription = listenOnPostgres(pg, databaseUrl, channel, listener);
      subscriptions.add(subscription);
      return subscription;
    },
    poolUsage: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}

const statementNames = new Map<string, string>();
/** Distinct statement texts are few (the hot paths' fixed SQL); the bound only guards against a caller building SQL from data. */
const MAX_NAMED_STATEMENTS = 1_000;

/**
 * A name for `sql` as a prepared statement: PostgreSQL then parses and plans
 * it once per connection instead of on every execution (an unnamed statement
 * is parsed, analysed and planned each time). The name is the text's digest,
 * so equal texts share one statement on each connection.
 */
export function preparedStatementName(sql: string): string | undefined {
  let name = statementNames.get(sql);
  if (name === undefined) {
    if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
    name = `gh_${createHash("sha256").update(sql).digest("base64url").slice(0, 22)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * LISTEN on the embedded database. One process holds it, so its in-process
 * notifications reach every cache there is; PGlite delivers them when the
 * statement (or the transaction) that sent them completes. There is no
 * connection to lose: `lost` only comes with close().
 */
export function listenOnPglite(
  pglite: Pick<import("@electric-sql/pglite").PGlite, "listen">,
  channel: string,
  listener: ChannelListener,
): ChannelSubscription {
  checkChannel(channel);
  let unlisten: (() => Promise<void>) | null = null;
  const ready = pglite.listen(channel, (payload) => listener.message(payload)).then(
    (stop) => {
      unlisten = stop;
      listener.listening();
      return true;
    },
    (error: Error) => {
      console.error(`[gatehouse] LISTEN ${channel} on the embedded database failed: ${error.message}`);
      return false;
    },
  );
  return {
    ready,
    async close() {
      await ready;
      const stop = unlisten;
      unlisten = null;
      listener.lost();
      // After pglite.close() there is nothing left to unlisten from.
      await stop?.().catch(() => undefined);
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const directory = path.resolve(dataDir);
  const lock: DirectoryLock = acquireDirectoryLock(directory);
  try {
    // The database files hold password hashes: owner-only, those there now and every file PGlite adds later.
    const databaseDirectory = path.join(/*turbopackIgnore: true*/ directory, PGLITE_SUBDIRECTORY);
    fs.mkdirSync(databaseDirectory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const isNew = isNewDatabaseDirectory(databaseDirectory);
    if (isNew) await createDatabaseInChildProcess(databaseDirectory);
    const tightened = makeDataDirectoryPrivate(directory);
    if (tightened > 0 && !isNew) {
      console.warn(`[gatehouse] ${directory}: removed group and other access from ${tightened} files and directories (the embedded database is private to its owner).`);
    }
    const { PGlite } = await import("@electric-sql/pglite");
    const { NodeFS } = await import("@electric-sql/pglite/nodefs");
    const { PrismaPGlite } = await import("pglite-prisma-adapter");
    const pglite = await PGlite.create({ fs: ownerOnlyFileSystem(NodeFS, databaseDirectory), startParams: pgliteStartParams(PGlite.defaultStartParams) });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    // The raw hot-path SQL as prepared statements, one call into PostgreSQL each (lib/db/pgliteStatements.ts).
    const statements = await createPgliteStatementRunner(pglite);
    const subscriptions = new Set<ChannelSubscription>();
    return {
      kind: "pglite",
      prisma,
      sql: statements,
      // PGlite is a single connection: the session is the instance itself.
      withSqlSession: (work) =>
        work({
          query: async (sql, params) => ({ rows: (await pglite.query(sql, params as unknown[])).rows as Record<string, unknown>[] }),
          exec: async (sql) => {
            await pglite.exec(sql);
          },
        }),
      listen(channel, listener) {
        const subscription = listenOnPglite(pglite, channel, listener);
        subscriptions.add(subscription);
        return subscription;
      },
      poolUsage: () => null,
      async close() {
        await Promise.all([...subscriptions].map((subscription) => subscription.close()));
        await prisma.$disconnect();
        await pglite.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
