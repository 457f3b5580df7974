// The test session's template stores (tests/helpers/template.ts copies them):
// a migrated store holding nothing else, and a copy of it that `seed-demo`
// filled (signing keys, demo clients, alice and admin). The runners' global
// setups make them when nobody did; `npm test` (scripts/test.mjs) makes them
// once, while lint and the unit tests run, and hands them to vitest and
// Playwright alike through the environment:
//   node scripts/test-templates.mjs OUT_FILE pglite [postgres]
// writes {"env": {...}} to OUT_FILE once the templates exist; removeTemplates()
// takes them away at the end.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";

const execFileAsync = promisify(execFile);

/** The secret every store copied from a template shares (the seeded one's signing keys are encrypted with it). */
export const TEMPLATE_SECRET = "test-template-secret-8d0c5f7e9b2a4c6d1e3f5a7b9c0d2e4f";

/** Where the running test session's templates are: the seeded ones, and the migrated-only ones. */
export const TEMPLATE_DIR_VARIABLE = "GATEHOUSE_TEST_TEMPLATE_DIR";
export const TEMPLATE_DATABASE_VARIABLE = "GATEHOUSE_TEST_TEMPLATE_DATABASE";
export const MIGRATED_TEMPLATE_DIR_VARIABLE = "GATEHOUSE_TEST_MIGRATED_TEMPLATE_DIR";
export const MIGRATED_TEMPLATE_DATABASE_VARIABLE = "GATEHOUSE_TEST_MIGRATED_TEMPLATE_DATABASE";

/** The seeded administrator's password in every test store. */
export const TEST_ADMIN_PASSWORD = "admin-test-password";

const adminUrl = () => process.env.GATEHOUSE_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/**
 * Node options of every server and CLI process the tests start: WebAssembly compiled by V8's baseline
 * compiler only (Liftoff), without the optimising tier-up. A short-lived test server never runs long
 * enough for TurboFan's code to repay compiling the embedded PostgreSQL's hot functions: a start on a
 * PGlite store costs about 1.35 s of CPU with it against 2.3 s without, one on PostgreSQL (Prisma's query
 * compiler is WebAssembly too) 1.1 s against 1.3 s (2026-12-08, scripts/test-templates' stores). What
 * the code does is the same either way; `npm start` keeps V8's defaults, which suit a server that runs.
 */
export const TEST_NODE_OPTIONS = ["--liftoff-only"];

/** Runs `dist/cli.js <command>` (migrate: the migrations; seed-demo: also signing keys, demo clients, alice and admin). */
async function cli(projectRoot, command, env) {
  await execFileAsync(process.execPath, [...TEST_NODE_OPTIONS, path.join(projectRoot, "dist/cli.js"), command], {
    cwd: projectRoot,
    env: { ...process.env, GATEHOUSE_SECRET: TEMPLATE_SECRET, ...env },
  });
}

async function adminQuery(sql) {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new PostgreSQL database, empty or a copy of `template`; its name starts with GATEHOUSE_TEST_DB_PREFIX. */
async function createDatabase(prefix, template) {
  const name = `${process.env.GATEHOUSE_TEST_DB_PREFIX ?? ""}${prefix}_${randomBytes(6).toString("hex")}`;
  await adminQuery(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

export async function makePgliteTemplate(projectRoot, adminPassword = TEST_ADMIN_PASSWORD) {
  const base = path.join(projectRoot, "tests", ".tmp", `template-${process.pid}-${Date.now().toString(36)}`);
  const migrated = `${base}-migrated`;
  fs.mkdirSync(migrated, { recursive: true });
  await cli(projectRoot, "migrate", { GATEHOUSE_DATA_DIR: migrated });
  // The seeded template starts as a copy of the migrated one: one initdb and one set of migrations for both.
  fs.cpSync(migrated, base, { recursive: true });
  await cli(projectRoot, "seed-demo", { GATEHOUSE_DATA_DIR: base, GATEHOUSE_ADMIN_PASSWORD: adminPassword });
  return { env: { [TEMPLATE_DIR_VARIABLE]: base, [MIGRATED_TEMPLATE_DIR_VARIABLE]: migrated }, remove: () => removeTemplates({ [TEMPLATE_DIR_VARIABLE]: base, [MIGRATED_TEMPLATE_DIR_VARIABLE]: migrated }) };
}

export async function makePostgresTemplate(projectRoot, adminPassword = TEST_ADMIN_PASSWORD) {
  const migrated = await createDatabase("gatehouse_template_migrated");
  const dir = path.join(projectRoot, "tests", ".tmp", `template-pg-${process.pid}-${Date.now().toString(36)}`);
  try {
    await cli(projectRoot, "migrate", { DATABASE_URL: migrated.url, GATEHOUSE_DATA_DIR: dir });
    const seeded = await createDatabase("gatehouse_template", migrated.name);
    await cli(projectRoot, "seed-demo", { DATABASE_URL: seeded.url, GATEHOUSE_ADMIN_PASSWORD: adminPassword, GATEHOUSE_DATA_DIR: dir });
    const env = { [TEMPLATE_DATABASE_VARIABLE]: seeded.name, [MIGRATED_TEMPLATE_DATABASE_VARIABLE]: migrated.name };
    return { env, remove: () => removeTemplates(env) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes the templates `env` names (directories, databases). */
export async function removeTemplates(env) {
  for (const variable of [TEMPLATE_DIR_VARIABLE, MIGRATED_TEMPLATE_DIR_VARIABLE]) {
    if (env[variable]) fs.rmSync(env[variable], { recursive: true, force: true });
  }
  for (const variable of [TEMPLATE_DATABASE_VARIABLE, MIGRATED_TEMPLATE_DATABASE_VARIABLE]) {
    if (env[variable]) await adminQuery(`DROP DATABASE IF EXISTS "${env[variable]}" WITH (FORCE)`);
  }
}

/** Whether the templates `env` names for this backend are all there (a runner may then use them as they are). */
export function templatesNamed(backend, env = process.env) {
  if (backend === "postgres") return Boolean(env[TEMPLATE_DATABASE_VARIABLE] && env[MIGRATED_TEMPLATE_DATABASE_VARIABLE]);
  return [TEMPLATE_DIR_VARIABLE, MIGRATED_TEMPLATE_DIR_VARIABLE].every((variable) => env[variable] && fs.existsSync(env[variable]));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outFile, ...backends] = process.argv.slice(2);
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const made = await Promise.allSettled(backends.map((backend) => (backend === "postgres" ? makePostgresTemplate(projectRoot) : makePgliteTemplate(projectRoot))));
  const env = Object.assign({}, ...made.filter((result) => result.status === "fulfilled").map((result) => result.value.env));
  const failed = made.filter((result) => result.status === "rejected");
  if (failed.length > 0) {
    await removeTemplates(env);
    for (const result of failed) console.error(`test templates: ${result.reason?.stack ?? result.reason}`);
    process.exit(1);
  }
  fs.writeFileSync(outFile, JSON.stringify({ env }));
}
