// `npm run bench`: load-tests the production server (dist/server.js) on
// loopback with autocannon, against the embedded PGlite database and, when
// PostgreSQL answers, against a throwaway PostgreSQL database.
//
//   node scripts/bench.mjs [--duration N] [--warmup N] [--connections N] [--wait-quiet N]
//                          [--postgres | --no-postgres] [--no-pglite] [--postgres-url URL]
//                          [--only SCENARIO,...]
//
//   node scripts/bench.mjs --reference [...]   Gatehouse next to the reference, node-oidc-provider,
//                          interleaved, with ratios: scripts/bench/reference.mjs (--reference --help)
//
// Results and their interpretation: docs/benchmarks.md.
//
// Every scenario runs a warm-up and then a bounded measured run; the script
// exits 1 if any measured request got a non-2xx answer or an error. Servers
// are stopped, temp dirs removed and the PostgreSQL database dropped even on
// failure or Ctrl-C.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs as parseCommandLine } from "node:util";
import autocannon from "autocannon";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import pg from "pg";
import { fileURLToPath } from "node:url";
import { ensureBuilt, root } from "./ensure-build.mjs";

// ---------------------------------------------------------------- options ---

/** Scenario names for --only, in the order they run. */
const SCENARIO_KEYS = ["discovery", "jwks", "tokenRS256", "nextPage", "flow", "tokenUse", "refresh", "tokenES256"];

const USAGE = `Usage: node scripts/bench.mjs [options]
  --duration N       measured seconds per scenario (default 10)
  --warmup N         warm-up seconds per scenario (default 2; 0 to skip)
  --connections N    concurrent keep-alive connections (default 16)
  --wait-quiet N     before each scenario, wait up to N s for other processes to
                     leave the CPU idle (default 0: do not wait; for shared machines)
  --postgres         require the PostgreSQL run (fail if PostgreSQL does not answer)
  --no-postgres      skip the PostgreSQL run
  --no-pglite        skip the embedded PGlite run
  --only LIST        run only these scenarios (comma-separated): ${SCENARIO_KEYS.join(", ")}
  --postgres-url URL admin connection for creating the throwaway database
                     (default $BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/postgres)
  --reference        instead: Gatehouse against node-oidc-provider, interleaved, with ratios
                     (its own options: npm run bench -- --reference --help)
Environment: BENCH_PORTS=FROM-TO takes ports from that range instead of any free one;
  BENCH_DATABASE_PREFIX names the throwaway databases (default gatehouse_bench_).`;

function parseArgs(argv) {
  const { values } = parseCommandLine({
    args: argv,
    strict: true,
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "16" },
      "wait-quiet": { type: "string", default: "0" },
      postgres: { type: "boolean", default: false },
      "no-postgres": { type: "boolean", default: false },
      "no-pglite": { type: "boolean", default: false },
      only: { type: "string" },
      "postgres-url": { type: "string", default: process.env.BENCH_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name, min, max) => {
    const parsed = Number(values[name]);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`--${name} must be an integer from ${min} to ${max}; got "${values[name]}".`);
    }
    return parsed;
  };
  let only = null;
  if (values.only !== undefined) {
    const keys = values.only.split(",").map((key) => key.trim()).filter(Boolean);
    const unknown = keys.filter((key) => !SCENARIO_KEYS.includes(key));
    if (keys.length === 0 || unknown.length > 0) {
      throw new Error(`--only takes scenario names from: ${SCENARIO_KEYS.join(", ")}${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`);
    }
    only = new Set(keys);
  }
  // The last of --postgres / --no-postgres wins, as it did when they were read in order.
  const postgresFlags = argv.filter((arg) => arg === "--postgres" || arg === "--no-postgres");
  const lastPostgresFlag = postgresFlags[postgresFlags.length - 1];
  return {
    duration: number("duration", 1, 600),
    warmup: number("warmup", 0, 60),
    connections: number("connections", 1, 1000),
    waitQuiet: number("wait-quiet", 0, 600),
    postgres: lastPostgresFlag === "--postgres" ? "require" : lastPostgresFlag === "--no-postgres" ? "skip" : "auto",
    pglite: !values["no-pglite"],
    only,
    postgresUrl: values["postgres-url"],
  };
}

// ---------------------------------------------------------------- cleanup ---

/** Cleanup steps, run last-in first-out on normal exit, failure and signals. */
const cleanups = [];
let cleaningUp = null;

export function onCleanup(step) {
  cleanups.push(step);
  return () => {
    const index = cleanups.indexOf(step);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

export function runCleanups() {
  cleaningUp ??= (async () => {
    while (cleanups.length) {
      const step = cleanups.pop();
      try {
        await step();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : error}`);
      }
    }
  })();
  return cleaningUp;
}

for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15]]) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping servers and cleaning up...`);
    void runCleanups().finally(() => process.exit(128 + number));
  });
}

// ---------------------------------------------------------------- helpers ---

function portAvailable(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", (error) => (error.code === "EADDRINUSE" || error.code === "EACCES" ? resolve(null) : reject(error)));
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });
}

/**
 * A free loopback port: one the system picks, or with BENCH_PORTS=FROM-TO (machines
 * where several people run servers and each keeps to a range) the first free one there.
 */
export async function freePort() {
  const range = /^(\d+)-(\d+)$/.exec(process.env.BENCH_PORTS ?? "");
  if (!range) return portAvailable(0);
  for (let port = Number(range[1]); port <= Number(range[2]); port++) {
    if (claimedPorts.has(port)) continue;
    // Claimed before the check (servers start concurrently) and kept: a server may take seconds to bind it.
    claimedPorts.add(port);
    if (await portAvailable(port)) return port;
    claimedPorts.delete(port);
  }
  throw new Error(`BENCH_PORTS=${process.env.BENCH_PORTS}: no free port left in the range`);
}
const claimedPorts = new Set();

function readRssMiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/**
 * CPU seconds used so far: the server, this process (the load generator),
 * each PostgreSQL process, and the whole machine.
 */
function cpuSnapshot(serverPid) {
  const snapshot = { at: process.hrtime.bigint(), server: 0, loadgen: 0, postgres: new Map(), total: 0 };
  try {
    // /proc/stat "cpu" line: user nice system idle iowait irq softirq steal ...
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
    snapshot.total = (fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields[7] || 0)) / CLOCK_TICKS_PER_SECOND;
    for (const name of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat;
      try {
        stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const rest = stat.slice(close + 2).split(" ");
      const seconds = (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS_PER_SECOND; // utime + stime
      const pid = Number(name);
      if (pid === serverPid) snapshot.server = seconds;
      else if (pid === process.pid) snapshot.loadgen = seconds;
      else if (comm === "postgres") snapshot.postgres.set(pid, seconds);
    }
  } catch {
    /* not Linux: leave zeros */
  }
  return snapshot;
}

/** Average CPU use between two snapshots, in % of one core ("other" = machine total minus the rest). */
function cpuUsage(before, after) {
  const wall = Number(after.at - before.at) / 1e9;
  const pct = (seconds) => (100 * seconds) / wall;
  let postgresSeconds = 0;
  // Processes that exited during the run are lost (and land in "other"); new ones count from zero.
  for (const [pid, seconds] of after.postgres) postgresSeconds += seconds - (before.postgres.get(pid) ?? 0);
  const server = pct(after.server - before.server);
  const loadgen = pct(after.loadgen - before.loadgen);
  const postgres = pct(postgresSeconds);
  const other = Math.max(0, pct(after.total - before.total) - server - loadgen - postgres);
  return { server, loadgen, postgres, other };
}

/** Waits (bounded) until everything but this process and the idle server leaves the CPU below 10 % of a core. */
async function waitForQuiet(serverPid, maxSeconds) {
  if (maxSeconds <= 0) return;
  const deadline = Date.now() + maxSeconds * 1000;
  let waited = 0;
  for (;;) {
    const before = cpuSnapshot(serverPid);
    await sleep(1000);
    const usage = cpuUsage(before, cpuSnapshot(serverPid));
    const busy = usage.other + usage.postgres;
    if (busy < 10) {
      if (waited > 0) process.stdout.write(`(waited ${waited} s for a quiet machine) `);
      return;
    }
    waited++;
    if (Date.now() >= deadline) {
      process.stdout.write(`(machine still busy after ${waited} s: ${fmt(busy, 0)}% CPU elsewhere) `);
      return;
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function waitForExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Runs `node <script> args` to completion (bounded), returning its output. */
function runNode(args, env, timeoutMs, cwd = root) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`node ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

const STARTUP_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

/** Starts dist/server.js (of this tree, or of `serverRoot`) on a free loopback port; resolves once it listens. */
export async function startServer({ label, dataDir, env: extraEnv, serverRoot = root, port: requestedPort }) {
  const port = requestedPort ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    GATEHOUSE_ISSUER: issuer,
    GATEHOUSE_DATA_DIR: dataDir,
    // One process unless asked (decision 0016), so figures stay comparable with those before workers.
    GATEHOUSE_WORKERS: process.env.GATEHOUSE_WORKERS || "1",
    // Nothing balances between benchmark servers: stop without the shutdown delay (decision 0017).
    GATEHOUSE_SHUTDOWN_DELAY_SECONDS: "0",
    ...extraEnv,
  };
  if (!extraEnv.DATABASE_URL) delete env.DATABASE_URL;
  const started = Date.now();
  // BENCH_SERVER_NODE_ARGS: node options for the server only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS || "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(serverRoot, "dist/server.js")], {
    cwd: serverRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const append = (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);

  const stop = async () => {
    removeCleanup();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      console.error(`  ${label}: server did not stop within ${STOP_TIMEOUT_MS / 1000} s; killing it`);
      child.kill("SIGKILL");
      await waitForExit(child, 5_000);
    }
  };
  const removeCleanup = onCleanup(stop);

  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not start within ${STARTUP_TIMEOUT_MS / 1000} s`)),
        STARTUP_TIMEOUT_MS,
      );
      const check = () => {
        if (log.includes("Gatehouse is running")) {
          clearTimeout(timer);
          child.stdout.off("data", check);
          resolve();
        }
      };
      child.stdout.on("data", check);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited during start (${signal ?? `exit ${code}`})`));
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    await stop();
    throw new Error(`${label}: ${error.message}\n--- server output ---\n${log.trim()}`);
  }
  return { child, port, issuer, origin: issuer, startupMs: Date.now() - started, log: () => log, stop };
}

const POSTMAN_BASIC = "Basic " + Buffer.from("postman:postman-secret").toString("base64");
export const TOKEN_BODY = "grant_type=client_credentials&scope=api";
export const TOKEN_HEADERS = {
  authorization: POSTMAN_BASIC,
  "content-type": "application/x-www-form-urlencoded",
};

/** One token request, checked end to end: 200, Bearer, a JWT signed with `alg` that verifies against the JWKS. */
export async function verifyTokenEndpoint(server, alg) {
  const response = await fetch(`${server.origin}/connect/token`, {
    method: "POST",
    headers: TOKEN_HEADERS,
    body: TOKEN_BODY,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`token request answered ${response.status}: ${text}`);
  const body = JSON.parse(text);
  if (typeof body.access_token !== "string" || body.token_type !== "Bearer") {
    throw new Error(`token response lacks access_token/Bearer: ${text}`);
  }
  const header = decodeProtectedHeader(body.access_token);
  if (header.alg !== alg || header.typ !== "at+jwt") {
    throw new Error(`expected an ${alg} at+jwt, got header ${JSON.stringify(header)}`);
  }
  const jwks = await (await fetch(`${server.origin}/.well-known/jwks.json`, { signal: AbortSignal.timeout(10_000) })).json();
  const { payload } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
    issuer: server.issuer,
    typ: "at+jwt",
    algorithms: [alg],
  });
  if (payload.client_id !== "postman" || payload.scope !== "api") {
    throw new Error(`unexpected token claims: ${JSON.stringify(payload)}`);
  }
  return `verified: ${alg} at+jwt, kid ${header.kid.slice(0, 8)}..., sub=${payload.sub}, scope=${payload.scope}, expires_in=${body.expires_in}`;
}

/** Runs autocannon; with `latencies`, also collects every 2xx response time (ms, sub-ms precision). */
export function runAutocannon(opts, latencies) {
  return new Promise((resolve, reject) => {
    const firstErrors = [];
    const instance = autocannon(opts, (error, result) => (error ? reject(error) : resolve({ result, firstErrors })));
    instance.on("reqError", (error) => {
      if (firstErrors.length < 3) firstErrors.push(error?.message ?? String(error));
    });
    if (latencies) {
      instance.on("response", (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      });
    }
  });
}

/** Warm-up (discarded), then the measured run; returns one table row. */
async function runScenario(options, server, scenario, backend) {
  const base = {
    url: server.origin + scenario.path,
    method: scenario.method ?? "GET",
    headers: scenario.headers,
    body: scenario.body,
    connections: options.connections,
    timeout: 10,
  };
  process.stdout.write(`  ${scenario.name.padEnd(36)} `);
  await waitForQuiet(server.child.pid, options.waitQuiet);
  if (options.warmup > 0) await runAutocannon({ ...base, duration: options.warmup });
  const latencies = [];
  const cpuBefore = cpuSnapshot(server.child.pid);
  const { result, firstErrors } = await runAutocannon({ ...base, duration: options.duration }, latencies);
  const cpu = cpuUsage(cpuBefore, cpuSnapshot(server.child.pid));
  const memory = readRssMiB(server.child.pid);
  latencies.sort((a, b) => a - b);
  const row = {
    backend,
    scenario: scenario.name,
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodeStats,
    rssMiB: memory.rss,
    peakRssMiB: memory.hwm,
    cpu,
    firstErrors,
  };
  row.failed = row.non2xx > 0 || row.errors > 0 || row.requests === 0;
  // Another program busy on this 2-core machine makes the figures unreliable
  // (with PGlite, any PostgreSQL activity belongs to someone else too).
  row.disturbed = cpu.other > 15 || (backend === "PGlite" && cpu.postgres > 15);
  console.log(
    `${fmt(row.rps, 0).padStart(7)} req/s  p50 ${fmt(row.p50, 2)} ms  p99 ${fmt(row.p99, 2)} ms  ` +
      `non-2xx ${row.non2xx}  errors ${row.errors}  RSS ${fmt(row.rssMiB, 0)} MiB  ` +
      `CPU server ${fmt(cpu.server, 0)}% loadgen ${fmt(cpu.loadgen, 0)}% postgres ${fmt(cpu.postgres, 0)}% other ${fmt(cpu.other, 0)}%` +
      `${row.failed ? "  FAILED" : ""}`,
  );
  if (row.disturbed) console.log(`    warning: other processes used ${fmt(cpu.other, 0)}% CPU during this run; figures are disturbed`);
  if (row.failed) {
    console.log(`    status codes: ${JSON.stringify(row.statusCodes)}; first errors: ${JSON.stringify(firstErrors)}`);
  }
  return row;
}

export function fmt(value, digits) {
  if (!Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Paired, interleaved rounds of two running servers (two builds, or one build with two settings): a warm-up of
 * each, then `rounds` windows of `window` s, the order flipped every round so drifts of a shared machine hit both
 * alike. `measure(server, seconds)` gives a rate. Prints each round and returns the line with the median of the
 * per-round ratios b/a.
 */
export async function comparePaired([a, b], { rounds, window, label }, measure) {
  for (const server of [a, b]) await measure(server, 2);
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const rates = new Map();
    for (const server of round % 2 ? [b, a] : [a, b]) rates.set(server, await measure(server, window));
    const ratio = rates.get(b) / rates.get(a);
    ratios.push(ratio);
    console.log(`  ${label} round ${round + 1}: ${a.name} ${fmt(rates.get(a), 0)}/s, ${b.name} ${fmt(rates.get(b), 0)}/s, ratio ${fmt(ratio, 3)}`);
  }
  const line = `${label}: median ratio ${fmt(median(ratios), 3)} (range ${fmt(Math.min(...ratios), 3)}–${fmt(Math.max(...ratios), 3)}, ${rounds} rounds of ${window} s each)`;
  console.log(`  ${line}`);
  return line;
}

// ---------------------------------------------------- PostgreSQL counting ---

/**
 * A loopback TCP proxy in front of PostgreSQL that counts the frontend
 * protocol messages the server sends: Query ('Q') and Execute ('E') are SQL
 * statements; Query and Sync ('S') are round trips.
 */
async function startCountingProxy(targetHost, targetPort) {
  const counts = { Q: 0, E: 0, S: 0, P: 0 };
  const sockets = new Set();
  const server = net.createServer((clientSocket) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(clientSocket).add(upstream);
    let buffer = Buffer.alloc(0);
    let startupDone = false;
    clientSocket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!startupDone) {
          if (buffer.length < 8) break;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) break;
          const code = buffer.readInt32BE(4);
          // SSLRequest / GSSENCRequest come before the real startup message.
          if (code !== 80877103 && code !== 80877104) startupDone = true;
          buffer = buffer.subarray(length);
        } else {
          if (buffer.length < 5) break;
          const length = buffer.readInt32BE(1);
          if (buffer.length < length + 1) break;
          const type = String.fromCharCode(buffer[0]);
          if (type in counts) counts[type]++;
          buffer = buffer.subarray(length + 1);
        }
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => clientSocket.write(chunk));
    const close = () => {
      clientSocket.destroy();
      upstream.destroy();
      sockets.delete(clientSocket);
      sockets.delete(upstream);
    };
    clientSocket.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return { port: server.address().port, counts, close };
}

// ----------------------------------------------------------------- phases ---

const SCENARIOS = {
  discovery: { name: "discovery GET", path: "/.well-known/openid-configuration" },
  jwks: { name: "JWKS GET", path: "/.well-known/jwks.json" },
  tokenRS256: {
    name: "token POST client_credentials RS256",
    path: "/connect/token",
    method: "POST",
    headers: TOKEN_HEADERS,
    body: TOKEN_BODY,
  },
  nextPage: { name: "Next.js page / (for reference)", path: "/" },
  tokenES256: {
    name: "token POST client_credentials ES256",
    path: "/connect/token",
    method: "POST",
    headers: TOKEN_HEADERS,
    body: TOKEN_BODY,
  },
};

// ------------------------------------------------- authorization code flow ---

const SPA = { clientId: "spa", redirectUri: "http://localhost:5173/callback" };

function formFields(html, marker) {
  for (const match of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)) {
    if (!match[0].includes(`name="${marker}"`)) continue;
    const fields = [];
    for (const input of match[0].matchAll(/<input\b[^>]*>/g)) {
      const name = /\sname="([^"]*)"/.exec(input[0])?.[1];
      const value = /\svalue="([^"]*)"/.exec(input[0])?.[1] ?? "";
      const disabled = /\sdisabled=""/.test(input[0]);
      if (name && !disabled) fields.push([name, value.replace(/&quot;/g, '"').replace(/&amp;/g, "&")]);
    }
    return fields;
  }
  throw new Error(`no form with ${marker}`);
}

function cookiesOf(response) {
  return response.headers.getSetCookie().map((c) => c.split(";")[0]).filter((c) => !c.endsWith("=")).join("; ");
}

/** Signs alice in through the login page, like a browser without JavaScript. */
export async function signInAlice(origin) {
  const page = await fetch(`${origin}/login`);
  const body = new FormData();
  for (const [name, value] of formFields(await page.text(), "username")) if (name !== "username" && name !== "password") body.append(name, value);
  body.append("username", "alice");
  body.append("password", "alice-password");
  const response = await fetch(`${origin}/login`, { method: "POST", body, redirect: "manual", headers: { Origin: origin } });
  const cookie = cookiesOf(response);
  if (response.status !== 303 || !cookie) throw new Error(`sign-in failed: ${response.status}`);
  return cookie;
}

function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrlFor(origin, pkce, state, scope = "api") {
  const url = new URL(`${origin}/connect/authorize`);
  url.search = new URLSearchParams({
    client_id: SPA.clientId,
    redirect_uri: SPA.redirectUri,
    response_type: "code",
    scope,
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

/** Gives consent once (remembered), so that the measured flows need no screen. */
export async function rememberConsent(origin, cookie, scope = "api") {
  const first = await fetch(authorizeUrlFor(origin, pkcePair(), "setup", scope), { redirect: "manual", headers: { cookie } });
  const consentUrl = new URL(first.headers.get("location"), origin);
  if (!consentUrl.pathname.startsWith("/consent")) throw new Error(`expected the consent page, got ${consentUrl}`);
  const page = await fetch(consentUrl, { headers: { cookie } });
  const body = new FormData();
  for (const [name, value] of formFields(await page.text(), "interaction")) body.append(name, value);
  body.append("decision", "allow");
  const decided = await fetch(consentUrl, { method: "POST", body, redirect: "manual", headers: { cookie, Origin: origin } });
  if (decided.status !== 303) throw new Error(`consent failed: ${decided.status}`);
  const resumed = await fetch(new URL(decided.headers.get("location"), origin), { redirect: "manual", headers: { cookie } });
  if (!resumed.headers.get("location")?.startsWith(SPA.redirectUri)) throw new Error("consent did not complete");
}

/** One signed-in flow: authorize (remembered consent) → code → token. Returns true on success. */
async function oneFlow(origin, cookie, pkce) {
  const state = randomBytes(8).toString("hex");
  const authorize = await fetch(authorizeUrlFor(origin, pkce, state), { redirect: "manual", headers: { cookie } });
  await authorize.arrayBuffer();
  const location = authorize.headers.get("location");
  if (authorize.status !== 303 || !location?.startsWith(SPA.redirectUri)) return `authorize ${authorize.status}`;
  const code = new URL(location).searchParams.get("code");
  if (!code) return `authorize error ${new URL(location).searchParams.get("error")}`;
  const token = await fetch(`${origin}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: SPA.clientId, code, redirect_uri: SPA.redirectUri, code_verifier: pkce.verifier }),
  });
  const json = await token.json();
  if (token.status !== 200 || !json.access_token) return `token ${token.status} ${json.error ?? ""}`;
  return null;
}

/** The spa's token response for one authorization code (alice signed in by `cookie`, consent already given). */
async function spaTokensFor(origin, cookie, label, scope) {
  const pkce = pkcePair();
  const authorize = await fetch(authorizeUrlFor(origin, pkce, label, scope), { redirect: "manual", headers: { cookie } });
  const code = new URL(authorize.headers.get("location")).searchParams.get("code");
  const token = await fetch(`${origin}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", client_id: SPA.clientId, code, redirect_uri: SPA.redirectUri, code_verifier: pkce.verifier }),
  });
  return token.json();
}

/** A user access token with openid (for userinfo), after consenting once to `scope`. */
export async function userAccessToken(origin, cookie, scope) {
  await rememberConsent(origin, cookie, scope);
  const json = await spaTokensFor(origin, cookie, "userinfo", scope);
  if (!json.access_token) throw new Error(`no user token: ${JSON.stringify(json)}`);
  return json.access_token;
}

/** userinfo with a user's token, and introspection of a client_credentials token by its client. */
async function runTokenUseScenarios(options, server, backend) {
  const cookie = await signInAlice(server.origin);
  const userToken = await userAccessToken(server.origin, cookie, "openid profile email api");
  const clientToken = (await (await fetch(`${server.origin}/connect/token`, { method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY })).json()).access_token;
  const userinfo = { name: "userinfo GET (user token)", path: "/connect/userinfo", headers: { authorization: `Bearer ${userToken}` } };
  const introspection = {
    name: "introspection POST (client token)",
    path: "/connect/introspect",
    method: "POST",
    headers: TOKEN_HEADERS,
    body: `token=${clientToken}`,
  };
  const check = await fetch(server.origin + userinfo.path, { headers: userinfo.headers });
  const claims = await check.json();
  if (check.status !== 200 || claims.preferred_username !== "alice") throw new Error(`userinfo check failed: ${check.status} ${JSON.stringify(claims)}`);
  const active = await (await fetch(server.origin + introspection.path, { method: "POST", headers: introspection.headers, body: introspection.body })).json();
  if (active.active !== true) throw new Error(`introspection check failed: ${JSON.stringify(active)}`);
  return [await runScenario(options, server, userinfo, backend), await runScenario(options, server, introspection, backend)];
}

/** A refresh token for spa (openid offline_access api), after consenting once. */
async function userRefreshToken(origin, cookie) {
  const json = await spaTokensFor(origin, cookie, "refresh", "openid offline_access api");
  if (!json.refresh_token) throw new Error(`no refresh token: ${JSON.stringify(json)}`);
  return json.refresh_token;
}

/** `count` refresh tokens of independent grants of the spa (alice signed in by `cookie`, consent remembered). */
export async function refreshChains(origin, cookie, count) {
  await rememberConsent(origin, cookie, "openid offline_access api");
  const chains = [];
  for (let i = 0; i < count; i++) chains.push(await userRefreshToken(origin, cookie));
  return chains;
}

/** Refreshes every chain in turn for `seconds` (each use rotates its token); returns the completed refreshes. */
export async function runRefreshLoop(origin, chains, seconds, latencies, failures) {
  const deadline = performance.now() + seconds * 1000;
  let completed = 0;
  await Promise.all(
    chains.map(async (_, index) => {
      while (performance.now() < deadline && failures.length === 0) {
        const started = performance.now();
        const response = await fetch(`${origin}/connect/token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", client_id: SPA.clientId, refresh_token: chains[index] }),
        });
        const json = await response.json();
        if (response.status !== 200 || !json.refresh_token || !json.id_token) {
          failures.push(`refresh ${response.status} ${json.error ?? ""}`);
          return;
        }
        chains[index] = json.refresh_token;
        completed++;
        latencies?.push(performance.now() - started);
      }
    }),
  );
  return completed;
}

/** 16 independent grants, each refreshed in a chain (every use rotates the token). */
async function runRefreshScenario(options, server, backend) {
  const name = "refresh_token grant (rotating, openid)";
  process.stdout.write(`  ${name.padEnd(36)} `);
  const cookie = await signInAlice(server.origin);
  const chains = await refreshChains(server.origin, cookie, options.connections);
  const failures = [];
  const refreshLoop = (seconds, latencies) => runRefreshLoop(server.origin, chains, seconds, latencies, failures);
  return measureLoop({ options, server, backend, scenario: name, unit: "req/s", loop: refreshLoop, failures });
}

export async function runFlowLoop(origin, cookie, connections, seconds, latencies, failures) {
  const deadline = performance.now() + seconds * 1000;
  const pool = Array.from({ length: 64 }, pkcePair);
  let completed = 0;
  const worker = async (index) => {
    for (let i = index; performance.now() < deadline; i += connections) {
      const started = performance.now();
      const failure = await oneFlow(origin, cookie, pool[i % pool.length]).catch((error) => `error ${error.message}`);
      if (failure) failures.push(failure);
      else {
        completed++;
        latencies?.push(performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, index) => worker(index)));
  return completed;
}

async function runFlowScenario(options, server, backend) {
  const name = "code flow authorize+token (signed in, remembered consent)";
  process.stdout.write(`  ${name.padEnd(36)} `);
  const cookie = await signInAlice(server.origin);
  await rememberConsent(server.origin, cookie);
  const failures = [];
  return measureLoop({
    options,
    server,
    backend,
    scenario: `${name} — flows/s`,
    unit: "flows/s",
    loop: (seconds, latencies) => runFlowLoop(server.origin, cookie, options.connections, seconds, latencies, failures),
    failures,
  });
}

/**
 * Warm-up, then a measured run of a scenario that drives its own loop
 * (`loop(seconds, latencies)` returns how many units completed), reported like the others.
 */
async function measureLoop({ options, server, backend, scenario, unit, loop, failures }) {
  await waitForQuiet(server.child.pid, options.waitQuiet);
  if (options.warmup > 0) await loop(options.warmup, null);
  const latencies = [];
  const cpuBefore = cpuSnapshot(server.child.pid);
  const started = performance.now();
  const completed = await loop(options.duration, latencies);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuUsage(cpuBefore, cpuSnapshot(server.child.pid));
  const memory = readRssMiB(server.child.pid);
  latencies.sort((a, b) => a - b);
  const row = {
    backend,
    scenario,
    requests: completed,
    rps: completed / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: failures.length,
    errors: 0,
    rssMiB: memory.rss,
    peakRssMiB: memory.hwm,
    cpu,
    firstErrors: failures.slice(0, 3),
  };
  row.failed = failures.length > 0 || completed === 0;
  row.disturbed = cpu.other > 15 || (backend === "PGlite" && cpu.postgres > 15);
  console.log(
    `${fmt(row.rps, 0).padStart(7)} ${unit}  p50 ${fmt(row.p50, 2)} ms  p99 ${fmt(row.p99, 2)} ms  failed ${failures.length}  ` +
      `RSS ${fmt(row.rssMiB, 0)} MiB  CPU server ${fmt(cpu.server, 0)}% loadgen ${fmt(cpu.loadgen, 0)}% postgres ${fmt(cpu.postgres, 0)}%` +
      `${row.failed ? `  FAILED ${JSON.stringify(row.firstErrors)}` : ""}`,
  );
  return row;
}

/** Whether --only (when given) selects the scenario. */
function wanted(options, key) {
  return options.only === null || options.only.has(key);
}

async function benchBackend(options, backend, { dataDir, env }) {
  const rows = [];
  const notes = [];

  console.log(`\n[${backend}] starting server (RS256 access tokens)...`);
  let server = await startServer({ label: `${backend} RS256`, dataDir, env });
  try {
    console.log(`  listening on ${server.origin} after ${server.startupMs} ms; RSS ${fmt(readRssMiB(server.child.pid).rss, 0)} MiB idle`);
    const check = await verifyTokenEndpoint(server, "RS256");
    console.log(`  token check ${check}`);
    notes.push(`${backend} RS256 token ${check}`);
    for (const key of ["discovery", "jwks", "tokenRS256", "nextPage"]) {
      if (wanted(options, key)) rows.push(await runScenario(options, server, SCENARIOS[key], backend));
    }
    if (wanted(options, "flow")) rows.push(await runFlowScenario(options, server, backend));
    if (wanted(options, "tokenUse")) rows.push(...(await runTokenUseScenarios(options, server, backend)));
    if (wanted(options, "refresh")) rows.push(await runRefreshScenario(options, server, backend));
  } finally {
    await server.stop();
  }
  if (!wanted(options, "tokenES256")) return { rows, notes };

  console.log(`[${backend}] restarting server with GATEHOUSE_ACCESS_TOKEN_ALG=ES256...`);
  server = await startServer({ label: `${backend} ES256`, dataDir, env: { ...env, GATEHOUSE_ACCESS_TOKEN_ALG: "ES256" } });
  try {
    const check = await verifyTokenEndpoint(server, "ES256");
    console.log(`  token check ${check}`);
    notes.push(`${backend} ES256 token ${check}`);
    rows.push(await runScenario(options, server, SCENARIOS.tokenES256, backend));
  } finally {
    await server.stop();
  }
  return { rows, notes };
}

/**
 * Counts PostgreSQL statements per token request through the counting proxy:
 * sequentially (nothing to share), then under load (grouped writes such as the
 * audit log's INSERT are shared by the requests in flight).
 */
async function countQueriesPerToken(options, backendEnv, dataDir, pgUrl) {
  const target = new URL(pgUrl);
  const proxy = await startCountingProxy(target.hostname, Number(target.port || 5432));
  const removeProxy = onCleanup(() => proxy.close());
  const proxied = new URL(pgUrl);
  proxied.hostname = "127.0.0.1";
  proxied.port = String(proxy.port);
  const server = await startServer({ label: "query count", dataDir, env: { ...backendEnv, DATABASE_URL: proxied.href } });
  try {
    // Warm: first request loads nothing new (keys load at start), but be safe.
    for (let i = 0; i < 3; i++) await verifyTokenEndpoint(server, "RS256");
    await sleep(200);
    const before = { ...proxy.counts };
    const N = 100;
    for (let i = 0; i < N; i++) {
      const response = await fetch(`${server.origin}/connect/token`, {
        method: "POST",
        headers: TOKEN_HEADERS,
        body: TOKEN_BODY,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`token request answered ${response.status}`);
    }
    const delta = (type, from) => proxy.counts[type] - from[type];
    const sequential = {
      requests: N,
      statements: (delta("Q", before) + delta("E", before)) / N,
      roundTrips: (delta("Q", before) + delta("S", before)) / N,
      parses: delta("P", before) / N,
    };
    const beforeLoad = { ...proxy.counts };
    const { result } = await runAutocannon({
      url: `${server.origin}/connect/token`,
      method: "POST",
      headers: TOKEN_HEADERS,
      body: TOKEN_BODY,
      connections: options.connections,
      duration: 5,
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`token requests under load failed: ${result.non2xx} non-2xx, ${result.errors} errors`);
    const underLoad = {
      requests: result.requests.total,
      statements: (delta("Q", beforeLoad) + delta("E", beforeLoad)) / result.requests.total,
    };
    return { ...sequential, underLoad };
  } finally {
    await server.stop();
    removeProxy();
    await proxy.close();
  }
}

/**
 * A throwaway PostgreSQL database seeded with the demo data by `serverRoot`'s
 * CLI, dropped at cleanup; returns the server environment for it.
 */
// BENCH_DATABASE_PREFIX: where several people share one PostgreSQL, each can keep to their own names.
export async function createSeededPostgres(adminUrl, serverRoot = root, prefix = process.env.BENCH_DATABASE_PREFIX ?? "gatehouse_bench_") {
  const database = `${prefix}${process.pid}_${randomBytes(3).toString("hex")}`;
  console.log(`  creating throwaway database ${database}...`);
  await adminQuery(adminUrl, `CREATE DATABASE "${database}"`);
  onCleanup(async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    console.log(`Dropped database ${database}.`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const env = {
    DATABASE_URL: url.href,
    GATEHOUSE_SECRET: randomBytes(48).toString("base64url"),
    GATEHOUSE_ADMIN_PASSWORD: randomBytes(18).toString("base64url"),
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-pg-"));
  onCleanup(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const seedOutput = await runNode(
    [path.join(serverRoot, "dist/cli.js"), "seed-demo"],
    { ...process.env, NODE_ENV: "production", GATEHOUSE_DATA_DIR: dataDir, ...env },
    120_000,
    serverRoot,
  );
  console.log(`  seed-demo: ${seedOutput.trim().split("\n")[0]}`);
  return { env, dataDir, url };
}

export async function postgresAvailable(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query("select current_setting('server_version') as version");
    return { ok: true, version: rows[0].version };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adminQuery(url, sql) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ------------------------------------------------------------------- main ---

function markdownTable(rows) {
  const lines = [
    "| Backend | Scenario | Req/s | p50 (ms) | p99 (ms) | Non-2xx | Errors | Server RSS after (MiB) | CPU % server / loadgen / postgres / other |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const { cpu } = row;
    lines.push(
      `| ${row.backend} | ${row.scenario} | ${fmt(row.rps, 0)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${row.non2xx} | ${row.errors} | ` +
        `${fmt(row.rssMiB, 0)} | ${fmt(cpu.server, 0)} / ${fmt(cpu.loadgen, 0)} / ${fmt(cpu.postgres, 0)} / ${fmt(cpu.other, 0)}${row.disturbed ? " (disturbed)" : ""} |`,
    );
  }
  return lines.join("\n");
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }
  const commandLine = ["node", path.relative(process.cwd(), process.argv[1]) || process.argv[1], ...process.argv.slice(2)].join(" ");
  console.log(`$ ${commandLine}${process.env.npm_lifecycle_event === "bench" ? "   (via npm run bench)" : ""}`);
  console.log(
    `Gatehouse benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model?.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.type()} ${os.release()}`,
  );
  console.log(
    `Settings: ${options.connections} connections, ${options.warmup} s warm-up + ${options.duration} s measured per scenario` +
      `${options.waitQuiet ? `, up to ${options.waitQuiet} s wait for a quiet machine before each` : ""}; ` +
      `load generator autocannon in this process (shares the cores with the server)`,
  );

  ensureBuilt();

  const allRows = [];
  const notes = [];
  let failure = null;

  try {
    // Embedded PGlite in a fresh temp data dir (auto-seeds the demo data).
    if (options.pglite) {
      const pgliteDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-"));
      onCleanup(() => fs.rmSync(pgliteDir, { recursive: true, force: true }));
      const pglite = await benchBackend(options, "PGlite", { dataDir: pgliteDir, env: {} });
      allRows.push(...pglite.rows);
      notes.push(...pglite.notes);
    } else {
      notes.push("PGlite run skipped (--no-pglite).");
    }

    // PostgreSQL in a throwaway database.
    if (options.postgres === "skip") {
      notes.push("PostgreSQL run skipped (--no-postgres).");
    } else {
      const available = await postgresAvailable(options.postgresUrl);
      if (!available.ok) {
        const message = `PostgreSQL at ${new URL(options.postgresUrl).host} does not answer (${available.reason})`;
        if (options.postgres === "require") throw new Error(message);
        console.log(`\n${message}; skipping the PostgreSQL run.`);
        notes.push(`${message}; PostgreSQL run skipped.`);
      } else {
        console.log(`\n[PostgreSQL ${available.version}]`);
        const { env: pgEnv, dataDir: pgDataDir, url: dbUrl } = await createSeededPostgres(options.postgresUrl);
        const postgres = await benchBackend(options, "PostgreSQL", { dataDir: pgDataDir, env: pgEnv });
        allRows.push(...postgres.rows);
        notes.push(...postgres.notes);

        console.log("[PostgreSQL] counting SQL statements per token request (through a counting proxy)...");
        const counted = await countQueriesPerToken(options, pgEnv, pgDataDir, dbUrl.href);
        const line =
          `PostgreSQL: ${fmt(counted.statements, 2)} SQL statements and ${fmt(counted.roundTrips, 2)} round trips ` +
          `per client_credentials token request (${counted.requests} sequential requests; ${fmt(counted.parses, 2)} Parse messages each); ` +
          `${fmt(counted.underLoad.statements, 2)} statements per request under ${options.connections} connections ` +
          `(${counted.underLoad.requests} requests in 5 s: grouped writes are shared)`;
        console.log(`  ${line}`);
        notes.push(line);
      }
    }
  } catch (error) {
    failure = error;
  } finally {
    await runCleanups();
  }

  if (allRows.length) {
    console.log(`\n## Results\n\nCommand: \`${commandLine}\``);
    console.log(
      `Machine: ${os.cpus().length} cores, Node ${process.version}; ${options.connections} connections, ` +
        `${options.warmup} s warm-up + ${options.duration} s per scenario. ` +
        `CPU % is of one core (the machine has ${os.cpus().length * 100}%); "other" is everything but the server, ` +
        `this process and PostgreSQL.\n`,
    );
    console.log(markdownTable(allRows));
    if (notes.length) console.log("\n" + notes.map((note) => `- ${note}`).join("\n"));
  }

  const disturbed = allRows.filter((row) => row.disturbed);
  if (disturbed.length) {
    console.log(
      `\nWarning: ${disturbed.length} scenario(s) ran while other processes kept the CPU busy (marked "disturbed"); ` +
        `rerun on a quiet machine for figures worth comparing.`,
    );
  }
  const failedRows = allRows.filter((row) => row.failed);
  if (failure) {
    console.error(`\nBenchmark failed: ${failure instanceof Error ? failure.message : failure}`);
    process.exitCode = 1;
  }
  if (failedRows.length) {
    console.error(`\nFAILED: ${failedRows.map((row) => `${row.backend} ${row.scenario}`).join("; ")} had non-2xx answers or errors.`);
    process.exitCode = 1;
  }
}

// Run as a script; imported (scripts/bench-compare.mjs, scripts/bench/reference.mjs), only the exports
// are used. Not a top-level await: `--reference` loads a module that imports this one, which must
// have finished evaluating by then.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const run = argv.includes("--reference")
    ? import("./bench/reference.mjs").then((reference) => reference.main(argv.filter((arg) => arg !== "--reference")))
    : main();
  run.catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 1;
  });
}
