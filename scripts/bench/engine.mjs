// The load engine of `npm run bench -- --reference` (scripts/bench/reference.mjs): keep-alive
// connections, a closed loop that counts only units whose every response was checked, CPU
// time from /proc, medians and ratios. No OAuth here; tests/unit/benchEngine.test.ts checks
// that failed units never count as throughput.
import fs from "node:fs";
import http from "node:http";

// ------------------------------------------------------------------- HTTP ---

/** One keep-alive connection (a worker's): requests go out one at a time, like a browser tab's. */
export class Connection {
  #agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  /** Resolves with { status, headers, text } once the whole body has arrived. */
  request(url, { method = "GET", headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const allHeaders = body === undefined ? headers : { ...headers, "content-length": Buffer.byteLength(body) };
      const request = http.request(url, { method, headers: allHeaders, agent: this.#agent, timeout: 15_000 }, (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }));
      });
      request.on("timeout", () => request.destroy(Object.assign(new Error("no answer within 15 s"), { code: "TIMEOUT" })));
      request.on("error", reject);
      request.end(body);
    });
  }

  close() {
    this.#agent.destroy();
  }
}

/** A failed unit; `key` groups failures in the report (e.g. "token:400 invalid_grant"). */
export class UnitError extends Error {
  constructor(key, detail) {
    super(detail ? `${key}: ${detail}` : key);
    this.key = key;
  }
}

export function json(step, response, expectedStatus = 200) {
  let body;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new UnitError(`${step}:${response.status} not JSON`, response.text.slice(0, 120));
  }
  if (response.status !== expectedStatus) throw new UnitError(`${step}:${response.status}${typeof body?.error === "string" ? ` ${body.error}` : ""}`, body?.error_description);
  return body;
}

// -------------------------------------------------------------------- CPU ---

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** utime + stime (ticks) and parent of every process. */
function processTable() {
  const table = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      /* exited meanwhile */
    }
  }
  return table;
}

/** Ticks of a process and its descendants. */
function treeTicks(table, rootPid) {
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop();
    total += table.get(pid)?.ticks ?? 0;
    for (const [child, entry] of table) if (entry.ppid === pid) stack.push(child);
  }
  return total;
}

function machineTicks() {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: fields.reduce((a, b) => a + b, 0) - fields[3] - (fields[4] ?? 0) };
}

/** CPU counters at one instant: the side's server tree, its database backends, this process, the machine. */
function cpuSnapshot(side, databasePids) {
  const table = processTable();
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    server: treeTicks(table, side.pid),
    database: new Map(databasePids.map((pid) => [pid, table.get(pid)?.ticks ?? 0])),
    harness: (usage.user + usage.system) / 1e6,
    machine: machineTicks().busy,
  };
}

/** Cores used between two snapshots (database backends that appeared meanwhile count from zero). */
function cpuBetween(before, after) {
  const seconds = (after.at - before.at) / 1000;
  let databaseTicks = 0;
  for (const [pid, ticks] of after.database) databaseTicks += ticks - (before.database.get(pid) ?? 0);
  const cores = (ticks) => ticks / CLOCK_TICKS_PER_SECOND / seconds;
  const server = cores(after.server - before.server);
  const database = cores(databaseTicks);
  const harness = (after.harness - before.harness) / seconds;
  const other = Math.max(0, cores(after.machine - before.machine) - server - database - harness);
  return { seconds, server, database, harness, other };
}

// ---------------------------------------------------------------- measure ---

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One run: warm-up, then the measured window; every worker on its own connection. */
export async function measure(side, spec, state, options) {
  const connections = Array.from({ length: options.connections }, () => new Connection());
  const units = connections.map((conn, i) => spec.worker(side, state, i, conn));
  const databasePids = await side.databasePids();
  const started = performance.now();
  const windowStart = started + options.warmup * 1000;
  const windowEnd = windowStart + options.duration * 1000;
  const latencies = [];
  const errors = new Map();
  const samples = new Map();
  let completed = 0;
  let before = null;
  const startTimer = setTimeout(() => (before = cpuSnapshot(side, databasePids)), options.warmup * 1000);

  const loop = async (i) => {
    for (;;) {
      const unitStart = performance.now();
      if (unitStart >= windowEnd) return;
      try {
        await units[i]();
        const end = performance.now();
        if (end > windowEnd) return;
        if (end >= windowStart) {
          completed++;
          latencies.push(end - unitStart);
        }
      } catch (error) {
        // Counted whenever it happens, warm-up included: a server that fails at all fails the run.
        const key = error instanceof UnitError ? error.key : `net:${error.code ?? error.message}`;
        errors.set(key, (errors.get(key) ?? 0) + 1);
        if (!samples.has(key)) samples.set(key, String(error.message).slice(0, 200));
        if (!(error instanceof UnitError)) await new Promise((resolve) => setTimeout(resolve, 20)); // do not spin on a dead server
        if (spec.recover) await spec.recover(side, state, i).catch(() => undefined);
      }
    }
  };
  await Promise.all(units.map((_, i) => loop(i)));
  clearTimeout(startTimer);
  // Backends that connected during the window count too (from zero).
  const after = cpuSnapshot(side, [...new Set([...databasePids, ...(await side.databasePids())])]);
  for (const conn of connections) conn.close();
  before ??= after;
  const cpu = cpuBetween(before, after);
  latencies.sort((a, b) => a - b);
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  return {
    units: completed,
    perSecond: completed / options.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: errorCount,
    errorKinds: Object.fromEntries(errors),
    errorSamples: Object.fromEntries(samples),
    cpu,
    // CPU milliseconds (server + database) per completed unit.
    cpuMsPerUnit: completed ? ((cpu.server + cpu.database) * cpu.seconds * 1000) / completed : NaN,
  };
}

export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median of the rounds per side, CPU per unit over all rounds, the ratio Gatehouse ÷ reference. */
export function summarize(key, spec, runs) {
  const side = (name) => {
    const list = runs.map((round) => round[name]);
    const units = list.reduce((sum, run) => sum + run.units, 0);
    const serverMs = list.reduce((sum, run) => sum + run.cpu.server * run.cpu.seconds * 1000, 0);
    const databaseMs = list.reduce((sum, run) => sum + run.cpu.database * run.cpu.seconds * 1000, 0);
    return {
      perSecond: median(list.map((run) => run.perSecond)),
      rounds: list.map((run) => run.perSecond),
      p50: median(list.map((run) => run.p50)),
      p99: median(list.map((run) => run.p99)),
      units,
      errors: list.reduce((sum, run) => sum + run.errors, 0),
      cpuMsPerUnit: units ? (serverMs + databaseMs) / units : NaN,
      serverMsPerUnit: units ? serverMs / units : NaN,
      databaseMsPerUnit: units ? databaseMs / units : NaN,
      serverCores: median(list.map((run) => run.cpu.server)),
      other: Math.max(...list.map((run) => run.cpu.other)),
    };
  };
  const gatehouse = side("gatehouse");
  const reference = side("reference");
  const roundRatios = runs.map((round) => round.gatehouse.perSecond / round.reference.perSecond);
  // The reference's CPU per unit over Gatehouse's: the throughput ratio two CPU-bound servers would show
  // alone on the machine; steadier than the throughput ratio when other work shares the cores.
  const cpuRatio = reference.cpuMsPerUnit / gatehouse.cpuMsPerUnit;
  return { scenario: key, label: spec.label, unit: spec.unit === "flow" ? "flows/s" : "req/s", gatehouse, reference, ratio: gatehouse.perSecond / reference.perSecond, roundRatios, cpuRatio };
}

