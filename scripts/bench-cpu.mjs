// `node scripts/bench-cpu.mjs [--baseline DIR] [--baseline-env NAME=VALUE ...] [--env NAME=VALUE ...]
//                             [--amount N] [--rounds N] [--page-first]`:
// CPU time per request of this build against another (DIR: a built checkout; default this tree itself) with
// settings added to either side (e.g. --baseline-env GATEHOUSE_METRICS=0: metrics off against on), on
// PostgreSQL. Both servers run at once, each on its own throwaway database; each round sends a fixed number of
// requests (16 connections) to one and then the other (the order flips every round) and reads each server's
// CPU time (utime + stime of all its threads, /proc/<pid>/stat) before and after. CPU time, unlike throughput,
// barely moves with the neighbours' load, so this is the cost figure on a shared machine.
// Scenarios: client_credentials RS256 token, introspection of a client token.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureBuilt, root } from "./ensure-build.mjs";
import { createSeededPostgres, runAutocannon, runCleanups, startServer, TOKEN_BODY, TOKEN_HEADERS } from "./bench.mjs";

const { values } = parseArgs({
  options: {
    baseline: { type: "string" },
    "baseline-env": { type: "string", multiple: true, default: [] },
    env: { type: "string", multiple: true, default: [] },
    amount: { type: "string", default: "3000" },
    "page-first": { type: "boolean", default: false },
    rounds: { type: "string", default: "6" },
    "postgres-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
  },
});
const AMOUNT = Number(values.amount);
const ROUNDS = Number(values.rounds);
const environment = (list) =>
  Object.fromEntries(
    list.map((pair) => {
      const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
      if (!match) throw new Error(`--env and --baseline-env take NAME=VALUE; got "${pair}"`);
      return [match[1], match[2]];
    }),
  );
const baselineEnv = environment(values["baseline-env"]);
const baselineRoot = values.baseline ? path.resolve(values.baseline) : root;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (CLK_TCK, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const SCENARIOS = {
  "client_credentials RS256": (server) => ({ url: `${server.origin}/connect/token`, method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY }),
  introspection: (server) => ({ url: `${server.origin}/connect/introspect`, method: "POST", headers: TOKEN_HEADERS, body: `token=${server.clientToken}` }),
};

console.log(`$ node scripts/bench-cpu.mjs ${process.argv.slice(2).join(" ")}`);
ensureBuilt();
const summary = [];
try {
  const servers = [];
  for (const [name, env, serverRoot] of [["baseline", baselineEnv, baselineRoot], ["this tree", environment(values.env), root]]) {
    const database = await createSeededPostgres(values["postgres-url"], serverRoot);
    const server = await startServer({ label: name, dataDir: database.dataDir, env: { ...database.env, ...env }, serverRoot });
    const answer = await fetch(`${server.origin}/connect/token`, { method: "POST", headers: TOKEN_HEADERS, body: TOKEN_BODY });
    server.clientToken = (await answer.json()).access_token;
    // A page first, as in any running installation: Next.js's AsyncLocalStorage (Node 20's promise hooks) is then
    // on in both, which would otherwise count against whichever side turns it on for the protocol paths alone.
    if (values["page-first"]) await (await fetch(`${server.origin}/login`)).arrayBuffer();
    server.name = name;
    servers.push(server);
  }
  for (const [scenario, request] of Object.entries(SCENARIOS)) {
    for (const server of servers) await runAutocannon({ ...request(server), connections: 16, amount: 500 }); // warm-up
    const ratios = [];
    for (let round = 0; round < ROUNDS; round++) {
      const perRequestMs = {};
      for (const server of round % 2 === 0 ? servers : [...servers].reverse()) {
        const before = cpuSeconds(server.child.pid);
        const { result } = await runAutocannon({ ...request(server), connections: 16, amount: AMOUNT });
        if (result.non2xx || result.errors) throw new Error(`${server.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
        perRequestMs[server.name] = ((cpuSeconds(server.child.pid) - before) / AMOUNT) * 1000;
      }
      const ratio = perRequestMs["this tree"] / perRequestMs.baseline;
      ratios.push(ratio);
      console.log(
        `  ${scenario} round ${round + 1}: baseline ${perRequestMs.baseline.toFixed(3)} ms, this tree ${perRequestMs["this tree"].toFixed(3)} ms of CPU per request, ratio ${ratio.toFixed(3)}`,
      );
    }
    const sorted = [...ratios].sort((a, b) => a - b);
    summary.push(`${scenario}: median CPU per request ratio ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} (range ${sorted[0].toFixed(3)}–${sorted.at(-1).toFixed(3)}, ${ROUNDS} rounds of ${AMOUNT} requests)`);
  }
  for (const server of servers) await server.stop();
} finally {
  await runCleanups();
}
console.log(`\n## This tree / baseline (${baselineRoot} ${JSON.stringify(baselineEnv)})\n\n${summary.map((line) => `- ${line}`).join("\n")}`);
