// `node scripts/bench-compare.mjs --baseline DIR`: this tree against another
// build (DIR: a checkout with its own `npm run build`), side by side on
// PostgreSQL (or, with --pglite, each on a fresh embedded PGlite directory).
// Both servers run at once, each on its own throwaway database; the
// scenarios alternate between them in short windows (the order flips every
// round) so that the slow drifts of a shared machine hit both alike. Reports
// each round and the median of the paired ratios (this tree / baseline).
//
//   node scripts/bench-compare.mjs --baseline DIR [--rounds N] [--window N]
//                                  [--only tokenRS256,tokenES256,flow,refresh,introspection,userinfo,discovery,jwks]
//                                  [--postgres-url URL | --pglite]
//                                  [--env NAME=VALUE ...] [--baseline-env NAME=VALUE ...]
//
// --env and --baseline-env add environment variables to one side's server (repeatable): with --baseline
// naming this tree itself, the same build against itself with one setting changed (e.g. metrics on vs off:
// --baseline . --baseline-env GATEHOUSE_METRICS=0).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs as parseCommandLine } from "node:util";
import { ensureBuilt, root } from "./ensure-build.mjs";
import {
  TOKEN_BODY,
  TOKEN_HEADERS,
  comparePaired,
  createSeededPostgres,
  onCleanup,
  refreshChains,
  rememberConsent,
  runAutocannon,
  runCleanups,
  runFlowLoop,
  runRefreshLoop,
  signInAlice,
  startServer,
  userAccessToken,
  verifyTokenEndpoint,
} from "./bench.mjs";

const SCENARIOS = ["tokenRS256", "tokenES256", "flow", "refresh", "introspection", "userinfo", "discovery", "jwks"];
const CONNECTIONS = 16;

/** The command line, read by node:util's parseArgs (unknown options and missing values are refused there). */
function parseArgs(argv) {
  const { values } = parseCommandLine({
    args: argv,
    options: {
      baseline: { type: "string" },
      rounds: { type: "string", default: "8" },
      window: { type: "string", default: "5" },
      only: { type: "string", default: "tokenRS256,tokenES256,flow" },
      "postgres-url": { type: "string", default: process.env.BENCH_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/postgres" },
      pglite: { type: "boolean", default: false },
      env: { type: "string", multiple: true, default: [] },
      "baseline-env": { type: "string", multiple: true, default: [] },
    },
  });
  const options = {
    baseline: values.baseline ? path.resolve(values.baseline) : null,
    rounds: Number(values.rounds),
    window: Number(values.window),
    only: values.only.split(","),
    pglite: values.pglite,
    postgresUrl: values["postgres-url"],
    env: { baseline: environmentPairs(values["baseline-env"]), "this tree": environmentPairs(values.env) },
  };
  if (!options.baseline) throw new Error("--baseline DIR is required (a built checkout to compare with)");
  if (!Number.isInteger(options.rounds) || options.rounds < 2 || !Number.isInteger(options.window) || options.window < 1) {
    throw new Error("--rounds must be an integer ≥ 2 and --window an integer ≥ 1");
  }
  const unknown = options.only.filter((name) => !SCENARIOS.includes(name));
  if (unknown.length) throw new Error(`--only takes ${SCENARIOS.join(", ")}; unknown: ${unknown.join(", ")}`);
  return options;
}

/** NAME=VALUE arguments as an environment. */
function environmentPairs(list) {
  return Object.fromEntries(
    list.map((pair) => {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!match) throw new Error(`--env and --baseline-env take NAME=VALUE; got "${pair}"`);
      return [match[1], match[2]];
    }),
  );
}

async function tokenRate(server, seconds) {
  const { result } = await runAutocannon({ url: `${server.origin}/connect/token`, method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY, connections: CONNECTIONS, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total / result.duration;
}

/** Requests/s of one fixed request (all answered 2xx), by autocannon. */
async function requestRate(server, seconds, request) {
  const { result } = await runAutocannon({ url: `${server.origin}${request.path}`, connections: CONNECTIONS, duration: seconds, ...request.options });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total / result.duration;
}

/** Introspection of a client_credentials access token by the client it was issued to. */
const introspectionRate = (server, seconds) =>
  requestRate(server, seconds, { path: "/connect/introspect", options: { method: "POST", headers: TOKEN_HEADERS, body: `token=${server.clientToken}` } });

/** Userinfo with alice's access token (openid profile email api). */
const userinfoRate = (server, seconds) =>
  requestRate(server, seconds, { path: "/connect/userinfo", options: { headers: { authorization: `Bearer ${server.userToken}` } } });

const discoveryRate = (server, seconds) => requestRate(server, seconds, { path: "/.well-known/openid-configuration", options: {} });
const jwksRate = (server, seconds) => requestRate(server, seconds, { path: "/.well-known/jwks.json", options: {} });

async function refreshRate(server, seconds) {
  const failures = [];
  const started = performance.now();
  const completed = await runRefreshLoop(server.origin, server.chains, seconds, null, failures);
  if (failures.length) throw new Error(`${server.name}: ${failures.slice(0, 3).join("; ")}`);
  return completed / ((performance.now() - started) / 1000);
}

/** A fresh embedded-database directory (the server creates and seeds it on start). */
function freshPgliteDirectory() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-compare-"));
  onCleanup(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  return { env: {}, dataDir };
}

async function flowRate(server, seconds) {
  const failures = [];
  const started = performance.now();
  const completed = await runFlowLoop(server.origin, server.cookie, CONNECTIONS, seconds, null, failures);
  if (failures.length) throw new Error(`${server.name}: ${failures.slice(0, 3).join("; ")}`);
  return completed / ((performance.now() - started) / 1000);
}

/** Starts this tree's server and the baseline's, each on its own seeded database (alice signed in for the flow). */
async function startPair(options, databases, extraEnv, alg, { flow, tokenUse = false, refresh = false }) {
  const pair = [];
  for (const [name, serverRoot] of [["baseline", options.baseline], ["this tree", root]]) {
    const { env, dataDir } = databases[name];
    const server = await startServer({ label: `${name} ${alg}`, dataDir, env: { ...env, ...extraEnv, ...options.env[name] }, serverRoot });
    await verifyTokenEndpoint(server, alg);
    server.name = name;
    if (flow || tokenUse || refresh) {
      server.cookie = await signInAlice(server.origin);
      await rememberConsent(server.origin, server.cookie);
    }
    if (refresh) server.chains = await refreshChains(server.origin, server.cookie, CONNECTIONS);
    if (tokenUse) {
      server.userToken = await userAccessToken(server.origin, server.cookie, "openid profile email api");
      const answer = await fetch(`${server.origin}/connect/token`, { method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY });
      server.clientToken = (await answer.json()).access_token;
      const introspected = await fetch(`${server.origin}/connect/introspect`, { method: "POST", headers: TOKEN_HEADERS, body: `token=${server.clientToken}` });
      if ((await introspected.json()).active !== true) throw new Error(`${name}: the client token does not introspect as active`);
    }
    pair.push(server);
  }
  return pair;
}

/** Median of the paired ratios this tree / baseline (the pair is [baseline, this tree]). */
function compare(options, pair, scenario, measure) {
  return comparePaired(pair, { rounds: options.rounds, window: options.window, label: scenario }, measure);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  console.log(`$ node scripts/bench-compare.mjs ${process.argv.slice(2).join(" ")}`);
  ensureBuilt();
  const summary = [];
  try {
    const databases = options.pglite
      ? { baseline: freshPgliteDirectory(), "this tree": freshPgliteDirectory() }
      : {
          baseline: await createSeededPostgres(options.postgresUrl, options.baseline),
          "this tree": await createSeededPostgres(options.postgresUrl, root),
        };
    const rs256 = options.only.filter((name) => name !== "tokenES256");
    if (rs256.length) {
      const tokenUse = rs256.includes("introspection") || rs256.includes("userinfo");
      const pair = await startPair(options, databases, {}, "RS256", { flow: rs256.includes("flow"), tokenUse, refresh: rs256.includes("refresh") });
      try {
        if (rs256.includes("tokenRS256")) summary.push(await compare(options, pair, "client_credentials RS256", tokenRate));
        if (rs256.includes("flow")) summary.push(await compare(options, pair, "code flow (flows/s)", flowRate));
        if (rs256.includes("refresh")) summary.push(await compare(options, pair, "refresh (rotating)", refreshRate));
        if (rs256.includes("introspection")) summary.push(await compare(options, pair, "introspection (client token)", introspectionRate));
        if (rs256.includes("userinfo")) summary.push(await compare(options, pair, "userinfo (user token)", userinfoRate));
        if (rs256.includes("discovery")) summary.push(await compare(options, pair, "discovery", discoveryRate));
        if (rs256.includes("jwks")) summary.push(await compare(options, pair, "JWKS", jwksRate));
      } finally {
        for (const server of pair) await server.stop();
      }
    }
    if (options.only.includes("tokenES256")) {
      const pair = await startPair(options, databases, { GATEHOUSE_ACCESS_TOKEN_ALG: "ES256" }, "ES256", { flow: false, tokenUse: false });
      onCleanup(async () => Promise.all(pair.map((server) => server.stop())));
      summary.push(await compare(options, pair, "client_credentials ES256", tokenRate));
    }
  } finally {
    await runCleanups();
  }
  console.log(`\n## This tree / baseline (${options.baseline})\n\n${summary.map((line) => `- ${line}`).join("\n")}`);
}

await main();
