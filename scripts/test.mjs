// `npm test`: every suite, in order. Builds if needed, then runs
//   lint                      (Biome and tsc), beside
//   unit                      (vitest, lib/ without a server; before the build)
//   integration on PGlite, integration on PostgreSQL (the files whose behaviour
//   depends on the store) and interop, in one vitest run so that their files
//   share the workers (one per core): the built server over HTTP, one shared
//   server per worker for the files that need nothing of their own
//   (tests/helpers/sharedServer.ts), their own server for the rest
//   browser (Chromium)        (page flows)
// and ends with one line "N passed, N failed[, N skipped]".
// The server suites' template stores (scripts/test-templates.mjs) are made once,
// in the background while lint and the unit tests run when the tree is built
// already, and handed to vitest and Playwright through the environment.
// A suite that cannot run here says why; under CI (CI=true) that is a failure.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromiumPath } from "./chromium.mjs";
import { ensureBuilt, root } from "./ensure-build.mjs";
import { isBuildCurrent } from "./fingerprint.mjs";
import { removeTemplates } from "./test-templates.mjs";

const isCI = process.env.CI === "true" || process.env.CI === "1";
const pgAdminUrl = process.env.GATEHOUSE_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const resultsDir = path.join(root, "tests", ".tmp", "results");
fs.mkdirSync(resultsDir, { recursive: true });

const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
let problems = 0;

/**
 * Runs a child to its end, its output on this terminal or, for one that runs beside another suite, in
 * `logFile` (printed by the caller once it ends, so that the two do not interleave). Resolves with its
 * exit status and its own wall time.
 */
function runChild(command, args, { env = process.env, logFile = null } = {}) {
  const started = Date.now();
  const fd = logFile ? fs.openSync(logFile, "w") : null;
  const child = spawn(command, args, { cwd: root, env, stdio: fd === null ? "inherit" : ["ignore", fd, fd], shell: process.platform === "win32" && command === "npm" });
  if (fd !== null) fs.closeSync(fd);
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  return new Promise((resolve) => {
    child.once("error", () => resolve({ status: 1, seconds: seconds() }));
    child.once("exit", (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), seconds: seconds() }));
  });
}

async function vitest(label, project, env = {}) {
  const outputFile = path.join(resultsDir, `${label.replace(/\W+/g, "-")}.json`);
  fs.rmSync(outputFile, { force: true });
  console.log(`\n=== ${label} ===`);
  const run = await runChild(
    process.execPath,
    [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile=${outputFile}`],
    { env: { ...process.env, ...env } },
  );
  const seconds = run.seconds;
  let counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    const report = JSON.parse(fs.readFileSync(outputFile, "utf8"));
    counts = {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + (report.numTodoTests ?? 0),
    };
    // A suite file that failed to load counts as a failure even with no test in it.
    if (report.numFailedTestSuites > 0 && counts.failed === 0) counts.failed = report.numFailedTestSuites;
  } catch {
    counts.failed = 1;
  }
  count(label, counts, run.status, seconds);
}

/**
 * Several vitest projects in one run, so that their files share the workers; one summary line per
 * project (tests/helpers/projectCountsReporter.ts), with the summed time of its files, and the
 * run's wall time on a line of its own.
 */
async function vitestTogether(label, suites) {
  const countsFile = path.join(resultsDir, "projects.json");
  fs.rmSync(countsFile, { force: true });
  console.log(`\n=== ${label}: ${suites.map((suite) => suite.label).join(", ")} ===`);
  const run = await runChild(
    process.execPath,
    [
      path.join(root, "node_modules/vitest/vitest.mjs"),
      "run",
      ...suites.flatMap((suite) => ["--project", suite.project]),
      "--reporter=default",
      "--reporter=./tests/helpers/projectCountsReporter.ts",
    ],
    { env: { ...process.env, GATEHOUSE_PROJECT_COUNTS: countsFile } },
  );
  const seconds = run.seconds;
  let report;
  try {
    report = JSON.parse(fs.readFileSync(countsFile, "utf8"));
  } catch {
    report = { projects: {}, unhandledErrors: 1 };
  }
  let failedInRun = report.unhandledErrors;
  for (const suite of suites) {
    const found = report.projects[suite.project];
    const counts = { passed: found?.passed ?? 0, failed: (found?.failed ?? 0) + (found?.failedFiles ?? 0), skipped: found?.skipped ?? 0 };
    if (!found) counts.failed = 1; // the project ran no file at all
    failedInRun += counts.failed;
    count(suite.label, counts, 0, found ? `${found.fileSeconds.toFixed(1)} s of file time` : "did not run");
  }
  // A failing run whose failures no project shows (an unhandled error, a crash) still fails.
  if (run.status !== 0 && failedInRun === 0) count(`${label} (vitest exited with ${run.status})`, { passed: 0, failed: 1, skipped: 0 }, 0, seconds);
  summary.push(`${label}: ${seconds} s wall`);
}

function count(label, counts, status, seconds) {
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  for (const key of Object.keys(totals)) totals[key] += counts[key];
  const time = /^[\d.]+$/.test(seconds) ? `${seconds} s` : seconds;
  summary.push(`${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${time})`);
}

async function playwright(label, env = {}) {
  const outputFile = path.join(resultsDir, "playwright.json");
  fs.rmSync(outputFile, { force: true });
  console.log(`\n=== ${label} ===`);
  const run = await runChild(process.execPath, [path.join(root, "node_modules/@playwright/test/cli.js"), "test"], {
    env: { ...process.env, ...env, GATEHOUSE_PLAYWRIGHT_JSON: outputFile },
  });
  const counts = { passed: 0, failed: 0, skipped: 0 };
  try {
    const { stats, errors } = JSON.parse(fs.readFileSync(outputFile, "utf8"));
    counts.passed = stats.expected + stats.flaky;
    counts.failed = stats.unexpected + (errors?.length ?? 0);
    counts.skipped = stats.skipped;
  } catch {
    counts.failed = 1;
  }
  count(label, counts, run.status, run.seconds);
}

function notRun(label, reason) {
  const line = `${label}: NOT RUN — ${reason}`;
  console.log(`\n=== ${line}`);
  summary.push(line);
  if (isCI) {
    problems++;
    totals.failed++;
  }
}

// `npm run lint` (Biome, then tsc --noEmit): one line in the summary, counted as one test. It runs
// beside the unit tests (tsc is one thread, the unit run rarely keeps both cores busy), its output
// going to a file that is printed when it ends.
function startLint() {
  const logFile = path.join(resultsDir, "lint.log");
  const running = runChild("npm", ["run", "lint"], { logFile });
  return {
    async finish() {
      const run = await running;
      console.log("\n=== lint ===");
      process.stdout.write(fs.readFileSync(logFile, "utf8"));
      const passed = run.status === 0;
      totals[passed ? "passed" : "failed"]++;
      summary.push(`lint: ${passed ? "passed" : "FAILED"} (${run.seconds} s, beside the unit tests)`);
    },
  };
}

function postgresAnswers() {
  const probe = spawnSync(
    process.execPath,
    ["-e", `const pg=require("pg");const c=new pg.Client({connectionString:process.argv[1],connectionTimeoutMillis:3000});c.connect().then(()=>c.query("select 1")).then(()=>process.exit(0),()=>process.exit(1))`, pgAdminUrl],
    { cwd: root, stdio: "ignore" },
  );
  return probe.status === 0;
}

/**
 * Makes the template stores of the server suites in a child process (scripts/test-templates.mjs), so
 * that they are made while this process waits on lint and the unit tests; `ready()` waits for it and
 * puts their names in the environment that vitest and Playwright inherit.
 */
function startTemplates(backends) {
  const outFile = path.join(resultsDir, "templates.json");
  fs.rmSync(outFile, { force: true });
  const child = spawn(process.execPath, [path.join(root, "scripts/test-templates.mjs"), outFile, ...backends], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: process.env,
  });
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    async ready() {
      const code = await exited;
      if (code !== 0) {
        console.log(`\n(the template stores could not be made ahead: each runner makes its own)`);
        return {};
      }
      const { env } = JSON.parse(fs.readFileSync(outFile, "utf8"));
      Object.assign(process.env, env);
      return env;
    },
  };
}

const started = Date.now();
process.env.GATEHOUSE_TEST_PG_URL = pgAdminUrl;
// Never starts or configures a PostgreSQL here: npm test leaves the machine as it found it (.ci/run sets one up).
const postgresUp = postgresAnswers();
const templateBackends = postgresUp ? ["pglite", "postgres"] : ["pglite"];
let templates = isBuildCurrent(root) ? startTemplates(templateBackends) : null;
const linting = startLint();
// The unit suite needs no build: it runs first, so a broken rule shows before the build is waited for.
await vitest("unit", "unit");
await linting.finish();
ensureBuilt();
templates ??= startTemplates(templateBackends);
const templateEnv = await templates.ready();

const serverSuites = [{ label: "integration (PGlite)", project: "integration" }];
if (postgresUp) {
  // Only the files whose behaviour depends on the store (tests/helpers/integrationBackends.ts).
  serverSuites.push({ label: "integration (PostgreSQL)", project: "integration-postgres" });
} else {
  notRun(
    "integration (PostgreSQL)",
    `no PostgreSQL answers at ${pgAdminUrl.replace(/:[^:@/]*@/, ":***@")}. To run this suite, point GATEHOUSE_TEST_PG_URL at one ` +
      "whose user may create databases (e.g. postgresql://postgres:PASSWORD@127.0.0.1:5432/postgres), or run .ci/run, which installs and starts one",
  );
}
serverSuites.push({ label: "interop (openid-client, @auth/core)", project: "interop" });
await vitestTogether("integration and interop", serverSuites);

const chromium = chromiumPath();
if (chromium) {
  await playwright("browser (Chromium)", { CHROMIUM_PATH: chromium });
} else {
  notRun("browser (Chromium)", "no Chromium; install it with 'apt-get install -y chromium-headless-shell' (or chromium, or set CHROMIUM_PATH); .ci/run does this");
}

await removeTemplates(templateEnv).catch((error) => console.log(`(could not remove the template stores: ${error.message})`));

console.log(`\n=== Summary (${((Date.now() - started) / 1000).toFixed(0)} s) ===`);
for (const line of summary) console.log(`  ${line}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 || problems > 0 ? 1 : 0);
