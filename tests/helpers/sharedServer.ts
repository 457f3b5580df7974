// One seeded server per test worker slot, shared by the integration files that
// only talk to it over HTTP with default settings (issue #11 item 1). A
// server's start costs a Node.js start, Next.js and PGlite's WebAssembly: two
// to five seconds of a core each time; a file that needs nothing of its own
// borrows the slot's server instead.
//
// The first file in a worker slot (VITEST_POOL_ID: one file at a time per
// slot) starts the server detached, so it outlives that file's process, and
// records it in the session's directory; later files of the same backend in
// that slot find it there. The global setup (tests/helpers/globalSetup.ts)
// makes that directory and stops every recorded server at the end. Without it
// (a runner that has no such setup) each file gets its own server as before.
//
// What a sharing file may not do: stop or restart the server, read a PGlite
// store while it runs, change settings, or depend on a fresh store (count rows
// or audit events, exhaust the demo users' sign-in throttle or a client's
// failure budget). Such files keep startSeededServer().
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { POSTGRES_ADMIN_URL } from "./postgres";
import { PROJECT_ROOT, TEST_NODE_OPTIONS, createSeededStore, freePort, runCli, startSeededServer, testBackend, type Backend, type TestStore } from "./server";

/** Where the session's shared servers are recorded; set by the global setup, inherited by the workers. */
export const SHARED_DIR_VARIABLE = "GATEHOUSE_TEST_SHARED_DIR";

interface Record_ {
  pid: number;
  url: string;
  port: number;
  log: string;
  backend: Backend;
  env: Record<string, string>;
  dataDir: string;
  databaseName: string | null;
}

export interface SharedServer {
  /** The store's environment (for queryStore on PostgreSQL, runCli); its cleanup is the global teardown's. */
  store: TestStore;
  server: {
    url: string;
    port: number;
    /** What the server printed since this file took it. */
    output(): string;
  };
  /** Leaves the server running for the slot's next file. */
  stop(): Promise<void>;
}

/** The slot's shared server for the backend under test, started if the slot has none yet. */
export async function sharedSeededServer(): Promise<SharedServer> {
  const dir = process.env[SHARED_DIR_VARIABLE];
  const slot = process.env.VITEST_POOL_ID;
  if (!dir || !slot || !fs.existsSync(dir)) return ownServer();
  const backend = testBackend();
  const recordFile = path.join(dir, `${backend}-${slot}.json`);
  let record = readRecord(recordFile);
  if (!record || !(await answers(record))) {
    record = await startDetached(backend, dir, slot);
    fs.writeFileSync(recordFile, JSON.stringify(record));
  }
  const offset = fs.statSync(record.log).size;
  const log = record.log;
  return {
    store: {
      backend: record.backend,
      env: record.env,
      dataDir: record.dataDir,
      database: null,
      cleanup: async () => undefined,
    },
    server: {
      url: record.url,
      port: record.port,
      output: () => fs.readFileSync(log).subarray(offset).toString("utf8"),
    },
    stop: async () => undefined,
  };
}

/** A file run without the global setup: its own server, stopped by its afterAll like before. */
async function ownServer(): Promise<SharedServer> {
  const own = await startSeededServer();
  return { store: own.store, server: { url: own.server.url, port: own.server.port, output: own.server.output }, stop: own.stop };
}

function readRecord(file: string): Record_ | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record_;
  } catch {
    return undefined;
  }
}

/** Whether the process runs (a zombie whose parent has not reaped it yet counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true; // no /proc (not Linux): kill(pid, 0) is all there is
  }
}

async function answers(record: Record_): Promise<boolean> {
  if (!alive(record.pid)) return false;
  try {
    return (await fetch(`${record.url}/.well-known/openid-configuration`)).ok;
  } catch {
    return false;
  }
}

async function startDetached(backend: Backend, dir: string, slot: string): Promise<Record_> {
  const store = await createSeededStore(backend);
  if (!store.seeded && store.backend === "postgres") await runCli(store, ["seed-demo"]);
  for (let attempt = 1; ; attempt++) {
    const log = path.join(dir, `${backend}-${slot}-${Date.now().toString(36)}.log`);
    try {
      return await startOnce(store, log);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) {
        await store.cleanup();
        throw error;
      }
    }
  }
}

async function startOnce(store: TestStore, log: string): Promise<Record_> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const fd = fs.openSync(log, "a");
  const env: Record<string, string> = {
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    GATEHOUSE_ISSUER: url,
    // One process, as startServer's (a cluster's primary and second worker would cost a start each for nothing
    // these files look at; tests/integration/workers.test.ts covers several workers).
    GATEHOUSE_WORKERS: "1",
    GATEHOUSE_SHUTDOWN_DELAY_SECONDS: "0", // the teardown's stop need not wait for a load balancer (decision 0017)
    ...store.env,
  };
  // Detached, in its own process group, so that it outlives the worker process that started it.
  const child = spawn(process.execPath, [...TEST_NODE_OPTIONS, path.join(PROJECT_ROOT, "dist/server.js")], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  fs.closeSync(fd);
  child.unref();
  const output = () => fs.readFileSync(log, "utf8");
  const deadline = Date.now() + 45_000;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`shared server exited with ${child.exitCode} before it was ready:\n${output()}`);
    try {
      if ((await fetch(`${url}/.well-known/openid-configuration`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`shared server did not become ready in time:\n${output()}`);
    }
  }
  return { pid: child.pid!, url, port, log, backend: store.backend, env, dataDir: store.dataDir, databaseName: store.database?.name ?? null };
}

/** The global teardown: stops every server recorded for `backend`, removes their stores, records and logs. */
export async function stopSharedServers(dir: string, backend: Backend): Promise<void> {
  if (!fs.existsSync(dir)) return;
  const files = fs.readdirSync(dir).filter((name) => name.startsWith(`${backend}-`));
  const records = files
    .filter((name) => name.endsWith(".json"))
    .map((name) => readRecord(path.join(dir, name)))
    .filter((record): record is Record_ => record !== undefined);
  await Promise.all(records.map(stopRecorded));
  for (const name of files) fs.rmSync(path.join(dir, name), { force: true });
}

async function stopRecorded(record: Record_): Promise<void> {
  if (alive(record.pid)) {
    process.kill(record.pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (alive(record.pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    if (alive(record.pid)) process.kill(record.pid, "SIGKILL");
  }
  fs.rmSync(record.dataDir, { recursive: true, force: true });
  if (record.databaseName) {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${record.databaseName}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
