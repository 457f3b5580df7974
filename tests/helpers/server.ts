// Starts the real built server (dist/server.js) on a free port against a
// fresh database: PGlite in a temporary directory, or a throwaway PostgreSQL
// database when GATEHOUSE_TEST_BACKEND=postgres.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { TEST_NODE_OPTIONS } from "../../scripts/test-templates.mjs";
import { createTestDatabase, type TestDatabase } from "./postgres";
import { copyPgliteTemplate, postgresTemplateName, TEMPLATE_SECRET, type TemplateKind } from "./template";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TEST_ADMIN_PASSWORD = "admin-test-password";

// The Node options of every server and CLI process the tests start (why: at their definition).
export { TEST_NODE_OPTIONS };
export type Backend = "pglite" | "postgres";

export function testBackend(): Backend {
  return process.env.GATEHOUSE_TEST_BACKEND === "postgres" ? "postgres" : "pglite";
}

/** Whether `port` (0: any) can be listened on now; the port actually bound, or null. */
function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(null));
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A port nobody listens on: any the system offers, or one of GATEHOUSE_TEST_PORTS
 * ("first-last") when several test runs on one machine must keep to their own ranges.
 */
export async function freePort(): Promise<number> {
  const range = /^(\d+)-(\d+)$/.exec(process.env.GATEHOUSE_TEST_PORTS ?? "");
  if (!range) {
    const port = await tryListen(0);
    if (port === null) throw new Error("no free port");
    return port;
  }
  const first = Number(range[1]);
  const count = Number(range[2]) - first + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = await tryListen(first + ((start + i) % count));
    if (port !== null) return port;
  }
  throw new Error(`no free port in GATEHOUSE_TEST_PORTS=${process.env.GATEHOUSE_TEST_PORTS}`);
}

export function makeTempDir(label = "data"): string {
  const dir = path.join(PROJECT_ROOT, "tests", ".tmp", `${label}-${randomBytes(5).toString("hex")}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh database for one suite: its env, and how to clean it up. */
export interface TestStore {
  backend: Backend;
  env: Record<string, string>;
  dataDir: string;
  database: TestDatabase | null;
  cleanup(): Promise<void>;
}

/** An empty store: the first start (or CLI command) runs every migration on it. */
export async function createTestStore(backend: Backend = testBackend()): Promise<TestStore> {
  return makeStore(backend, null);
}

/**
 * A store whose tables exist and hold nothing (no signing keys, users or clients): a copy of the
 * session's migrated template when there is one, else an empty store, which the first start
 * migrates. For the tests of what a first start does with an empty database (setup link, demo
 * data policy, create-admin), not of the migrations themselves.
 */
export async function createMigratedStore(backend: Backend = testBackend()): Promise<TestStore> {
  return makeStore(backend, "migrated");
}

/**
 * A store that already holds the demo data, its migrations and signing keys:
 * a copy of the test session's template (tests/helpers/template.ts) when
 * there is one, else a fresh store seeded here. `seeded` says which.
 */
export async function createSeededStore(backend: Backend = testBackend()): Promise<TestStore & { seeded: boolean }> {
  return makeStore(backend, "seeded");
}

async function makeStore(backend: Backend, fromTemplate: TemplateKind | null): Promise<TestStore & { seeded: boolean }> {
  const dataDir = makeTempDir();
  const env: Record<string, string> = {
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    GATEHOUSE_SECRET: `test-secret-${randomBytes(24).toString("hex")}`,
  };
  let copied = false;
  let database: TestDatabase | null = null;
  if (backend === "postgres") {
    const template = fromTemplate ? postgresTemplateName(fromTemplate) : undefined;
    database = await createTestDatabase("gatehouse_test", template);
    env.DATABASE_URL = database.url;
    copied = template !== undefined;
  } else if (fromTemplate) {
    copied = copyPgliteTemplate(dataDir, fromTemplate);
  }
  const seeded = copied && fromTemplate === "seeded";
  // The seeded template's signing keys are encrypted with the template's secret; the migrated one has no keys yet.
  if (seeded) env.GATEHOUSE_SECRET = TEMPLATE_SECRET;
  return {
    backend,
    env,
    dataDir,
    database,
    seeded,
    async cleanup() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}

const execFileAsync = promisify(execFile);

/** Runs the CLI (dist/cli.js) with the store's environment. */
export async function runCli(store: TestStore, args: string[], extraEnv: Record<string, string> = {}) {
  return execFileAsync(process.execPath, [...TEST_NODE_OPTIONS, path.join(PROJECT_ROOT, "dist/cli.js"), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...store.env, ...extraEnv },
  });
}

/**
 * The servers this process started that have not exited: killed when the process ends. A start
 * still under way when its test timed out (a loaded machine) would otherwise outlive the test run,
 * an orphan taking CPU from the runs after it.
 */
const unstopped = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of unstopped) child.kill("SIGKILL");
});

export interface RunningServer {
  url: string;
  port: number;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** How long a start may take to answer; a first start in a new PGlite data directory (initdb) may ask for more. */
const READY_WITHIN_MS = 45_000;

export async function startServer(store: TestStore, extraEnv: Record<string, string> = {}, readyWithinMs = READY_WITHIN_MS): Promise<RunningServer> {
  // Another worker may take the free port between the probe and the server's listen: try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(store, extraEnv, readyWithinMs);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE/.test(String(error))) throw error;
    }
  }
}

async function startServerOnce(store: TestStore, extraEnv: Record<string, string>, readyWithinMs: number): Promise<RunningServer> {
  // A PORT in extraEnv: the server comes back at the address (and issuer) a stopped one had.
  const port = extraEnv.PORT ? Number(extraEnv.PORT) : await freePort();
  const url = `http://localhost:${port}`;
  let output = "";
  const child = spawn(process.execPath, [...TEST_NODE_OPTIONS, path.join(PROJECT_ROOT, "dist/server.js")], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      GATEHOUSE_ISSUER: url,
      // One process per server (no cluster primary) unless a test asks for workers (decision 0016).
      GATEHOUSE_WORKERS: "1",
      // No load balancer to wait for: a stop drains at once unless a test asks for the delay (decision 0017).
      GATEHOUSE_SHUTDOWN_DELAY_SECONDS: "0",
      ...store.env,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  unstopped.add(child);
  child.once("exit", () => unstopped.delete(child));
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    const code = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 100))]);
    if (code !== "running") throw new Error(`server exited with ${code} before it was ready:\n${output}`);
    try {
      const response = await fetch(`${url}/.well-known/openid-configuration`);
      if (response.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not become ready in time:\n${output}`);
    }
  }
  return {
    url,
    port,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One store and one server for a suite, with the demo data in place on either backend. */
export async function startSeededServer(extraEnv: Record<string, string> = {}) {
  const store = await createSeededStore();
  // The embedded default seeds itself; PostgreSQL is never seeded automatically.
  if (!store.seeded && store.backend === "postgres") await runCli(store, ["seed-demo"]);
  const server = await startServer(store, extraEnv);
  return {
    store,
    server,
    async stop() {
      await server.stop();
      await store.cleanup();
    },
  };
}
