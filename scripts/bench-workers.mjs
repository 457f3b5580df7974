// `node scripts/bench-workers.mjs`: the same build with GATEHOUSE_WORKERS=A
// against GATEHOUSE_WORKERS=B on PostgreSQL (decision 0016). Both servers run
// at once, each on its own throwaway database; the scenarios alternate between
// them in short windows (A,B then B,A, round after round) so that the slow
// drifts of a shared machine hit both alike. Reports each round and the median
// of the paired ratios (B / A). The load generator runs on the same machine
// and takes its share of the cores.
//
//   node scripts/bench-workers.mjs [--workers 1,2] [--rounds N] [--window N] [--connections N]
//                                  [--only tokenRS256,introspection,flow] [--port N]
//                                  [--database-prefix NAME] [--postgres-url URL]
import { parseArgs as parseCommandLine } from "node:util";
import { ensureBuilt, root } from "./ensure-build.mjs";
import {
  TOKEN_BODY,
  TOKEN_HEADERS,
  comparePaired,
  createSeededPostgres,
  onCleanup,
  rememberConsent,
  runAutocannon,
  runCleanups,
  runFlowLoop,
  signInAlice,
  startServer,
  verifyTokenEndpoint,
} from "./bench.mjs";

const SCENARIOS = ["tokenRS256", "introspection", "flow"];

function parseArgs(argv) {
  const { values } = parseCommandLine({
    args: argv,
    strict: true,
    options: {
      workers: { type: "string", default: "1,2" },
      rounds: { type: "string", default: "6" },
      window: { type: "string", default: "5" },
      connections: { type: "string", default: "16" },
      only: { type: "string", default: SCENARIOS.join(",") },
      port: { type: "string" },
      "database-prefix": { type: "string", default: "gatehouse_bench" },
      "postgres-url": { type: "string", default: process.env.BENCH_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres" },
    },
  });
  const options = {
    workers: values.workers.split(",").map(Number),
    rounds: Number(values.rounds),
    window: Number(values.window),
    connections: Number(values.connections),
    only: values.only.split(","),
    port: values.port === undefined ? null : Number(values.port),
    databasePrefix: values["database-prefix"],
    postgresUrl: values["postgres-url"],
  };
  const positive = (n) => Number.isInteger(n) && n >= 1;
  if (options.workers.length !== 2 || !options.workers.every(positive)) throw new Error("--workers takes two counts, e.g. 1,2");
  if (!Number.isInteger(options.rounds) || options.rounds < 2 || !positive(options.window) || !positive(options.connections)) {
    throw new Error("--rounds must be an integer ≥ 2, --window and --connections integers ≥ 1");
  }
  if (options.port !== null && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65535)) throw new Error("--port takes a port number");
  if (!/^[a-z_][a-z0-9_]*$/.test(options.databasePrefix)) throw new Error("--database-prefix takes lower-case letters, digits and _");
  const unknown = options.only.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length) throw new Error(`--only takes ${SCENARIOS.join(", ")}; unknown: ${unknown.join(", ")}`);
  return options;
}

/** Requests per second of one autocannon window; any non-2xx or error fails the run. */
async function autocannonRate(server, options, request, seconds) {
  const { result } = await runAutocannon({ url: server.origin + request.path, method: "POST", headers: request.headers, body: request.body, connections: options.connections, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name} ${request.path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total / result.duration;
}

const measures = {
  tokenRS256: (server, options, seconds) => autocannonRate(server, options, { path: "/connect/token", headers: TOKEN_HEADERS, body: TOKEN_BODY }, seconds),
  introspection: (server, options, seconds) =>
    autocannonRate(server, options, { path: "/connect/introspect", headers: TOKEN_HEADERS, body: `token=${server.clientToken}` }, seconds),
  async flow(server, options, seconds) {
    const failures = [];
    const started = performance.now();
    const completed = await runFlowLoop(server.origin, server.cookie, options.connections, seconds, null, failures);
    if (failures.length) throw new Error(`${server.name}: ${failures.slice(0, 3).join("; ")}`);
    return completed / ((performance.now() - started) / 1000);
  },
};

const LABELS = { tokenRS256: "client_credentials RS256 (req/s)", introspection: "introspection (req/s)", flow: "code flow authorize+token (flows/s)" };

async function startBoth(options) {
  const servers = [];
  for (const [index, workers] of options.workers.entries()) {
    const name = `${index === 0 ? "A" : "B"} (GATEHOUSE_WORKERS=${workers})`;
    const { env, dataDir } = await createSeededPostgres(options.postgresUrl, root, `${options.databasePrefix}_`);
    const server = await startServer({
      label: name,
      dataDir,
      env: { ...env, GATEHOUSE_WORKERS: String(workers) },
      port: options.port === null ? undefined : options.port + index,
    });
    onCleanup(() => server.stop());
    await verifyTokenEndpoint(server, "RS256");
    server.name = name;
    server.cookie = await signInAlice(server.origin);
    await rememberConsent(server.origin, server.cookie);
    const token = await (await fetch(`${server.origin}/connect/token`, { method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY })).json();
    server.clientToken = token.access_token;
    console.log(`  ${name} listening on ${server.origin} after ${server.startupMs} ms`);
    servers.push(server);
  }
  return servers;
}

/** Median of the paired ratios B / A (the pair is [A, B]). */
function compare(options, pair, scenario) {
  const measure = measures[scenario];
  return comparePaired(pair, { rounds: options.rounds, window: options.window, label: LABELS[scenario] }, (server, seconds) => measure(server, options, seconds));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  console.log(`$ node scripts/bench-workers.mjs ${process.argv.slice(2).join(" ")}`);
  ensureBuilt();
  const summary = [];
  try {
    const pair = await startBoth(options);
    for (const scenario of options.only) summary.push(await compare(options, pair, scenario));
  } finally {
    await runCleanups();
  }
  const [a, b] = options.workers;
  console.log(`\n## B / A: GATEHOUSE_WORKERS=${b} / GATEHOUSE_WORKERS=${a} (${options.connections} connections)\n\n${summary.map((line) => `- ${line}`).join("\n")}`);
}

await main();
