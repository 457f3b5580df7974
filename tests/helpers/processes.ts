// Processes that are expected to end: the CLI, or a server start that must
// fail. Unlike runCli these never throw on a non-zero exit; they report it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT, TEST_NODE_OPTIONS, freePort, type TestStore } from "./server";

export interface FinishedProcess {
  /** Exit code, or null when the process was killed (timeout or signal). */
  code: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  durationMs: number;
  pid: number | undefined;
}

function runNode(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<FinishedProcess> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TEST_NODE_OPTIONS, path.join(PROJECT_ROOT, script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let output = "";
    let timedOut = false;
    child.stdout!.on("data", (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
      output += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout, stderr, output, durationMs: Date.now() - started, pid: child.pid });
    });
  });
}

/** Runs `node dist/cli.js …` with the store's environment and waits for it to end. */
export function runCliProcess(
  store: TestStore,
  args: string[],
  extraEnv: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<FinishedProcess> {
  return runNode("dist/cli.js", args, { ...store.env, ...extraEnv }, timeoutMs);
}

/**
 * Starts dist/server.js with the store's environment when the start is expected
 * to fail, and waits for the process to exit. A server that comes up instead is
 * killed after `timeoutMs` and reported with timedOut = true.
 */
export async function runFailingServer(
  store: TestStore,
  extraEnv: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<FinishedProcess> {
  const port = await freePort();
  return runNode(
    "dist/server.js",
    [],
    {
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      GATEHOUSE_ISSUER: `http://localhost:${port}`,
      GATEHOUSE_WORKERS: "1",
      ...store.env,
      ...extraEnv,
    },
    timeoutMs,
  );
}

/** Names of the migrations the build ships (prisma/migrations/<name>/migration.sql). */
export function shippedMigrations(): string[] {
  const dir = path.join(PROJECT_ROOT, "prisma", "migrations");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Runs one read-only query against a store's database from the test process.
 * For PGlite no server may hold the data directory at the time (it has one opener).
 */
export async function queryStore<T extends Record<string, unknown> = Record<string, unknown>>(
  store: TestStore,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (store.backend === "postgres") {
    const client = new pg.Client({ connectionString: store.env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(path.join(store.dataDir, "pglite"));
  try {
    return (await db.query<T>(sql, params)).rows;
  } finally {
    await db.close();
  }
}
