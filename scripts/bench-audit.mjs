// `node scripts/bench-audit.mjs`: what one audit event costs. Drives the audit
// log writer (lib/db/audit.ts, grouped INSERTs) against a throwaway PostgreSQL
// database with 1 and with 16 concurrent callers, each awaiting its own event
// like a request does, and reports events/s, events per INSERT, and the CPU
// each event costs in this process (the server's share) and in the PostgreSQL
// backends serving it. CPU time, unlike throughput, hardly moves when other
// programs share the machine. Results: docs/benchmarks.md, "Audit log cost".
//
//   node scripts/bench-audit.mjs [--seconds N] [--postgres-url URL]
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import pg from "pg";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const seconds = Number(option("--seconds", "5"));
const adminUrl = option("--postgres-url", process.env.BENCH_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres");
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600) throw new Error("--seconds must be an integer from 1 to 600");

// The writer is TypeScript: bundle the three entry points it needs into a temp module.
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-audit-"));
const bundle = path.join(workDir, "audit.mjs");
await build({
  stdin: {
    contents: `export { openDatabase } from "./lib/db/client"; export { migrateDatabase } from "./lib/db/bootstrap"; export { createAuditLog } from "./lib/db/audit";`,
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  packages: "external",
  outfile: bundle,
  logLevel: "warning",
});
// Resolve the bundle's bare imports (pg, @prisma/client, ...) from the project.
fs.symlinkSync(path.join(root, "node_modules"), path.join(workDir, "node_modules"));
const { openDatabase, migrateDatabase, createAuditLog } = await import(bundle);

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const CLOCK_TICKS = 100;
function backendCpuSeconds(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** An event shaped like token.issued. */
const tokenIssued = () => ({
  kind: "token.issued",
  clientId: "postman",
  userId: null,
  ip: "127.0.0.1",
  details: { grant_type: "client_credentials", scopes: ["api"], tokens: ["access_token"], jti: randomUUID() },
});

const database = `gatehouse_bench_audit_${process.pid}_${randomBytes(3).toString("hex")}`;
await admin(`CREATE DATABASE "${database}"`);
const url = new URL(adminUrl);
url.pathname = `/${database}`;
const db = await openDatabase({ databaseUrl: url.href, dataDir: workDir, poolSize: 10 });
try {
  await migrateDatabase(db, root);
  console.log(`Audit log writer on PostgreSQL (${database}), ${seconds} s per run, ${os.cpus().length} cores, Node ${process.version}\n`);
  console.log("| Concurrent callers | Events/s | Events per INSERT | This process, µs CPU per event | PostgreSQL, µs CPU per event |");
  console.log("| ---: | ---: | ---: | ---: | ---: |");
  for (const callers of [1, 16, 64]) {
    let inserts = 0;
    const counting = {
      query(text, params) {
        if (text.includes(`INSERT INTO "audit_events"`)) inserts++;
        return db.sql.query(text, params);
      },
    };
    const audit = createAuditLog(counting);
    const run = async (ms) => {
      const deadline = performance.now() + ms;
      let events = 0;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          while (performance.now() < deadline) {
            await audit.record(tokenIssued());
            events++;
          }
        }),
      );
      return events;
    };
    await run(1000); // warm-up: connections open, plans cached
    // The pool's backends (the writer runs one INSERT at a time, so typically one backend).
    const pids = (await db.sql.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database])).map((row) => row.pid);
    inserts = 0;
    const cpuBefore = process.cpuUsage();
    const pgBefore = backendCpuSeconds(pids);
    const started = performance.now();
    const events = await run(seconds * 1000);
    const elapsed = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const pgSeconds = backendCpuSeconds(pids) - pgBefore;
    const fmt = (value, digits = 0) => value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    console.log(
      `| ${callers} | ${fmt(events / elapsed)} | ${fmt(events / inserts, 1)} | ${fmt((cpu.user + cpu.system) / events, 1)} | ${fmt((pgSeconds * 1e6) / events, 1)} |`,
    );
  }
} finally {
  await db.close();
  await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  fs.rmSync(workDir, { recursive: true, force: true });
}
