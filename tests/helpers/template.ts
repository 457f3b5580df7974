// Two stores made once per test run and copied for each suite that wants one:
// a migrated, keyed and seeded store for the suites that want the demo data,
// and a migrated store holding nothing else (no keys, no users, no clients)
// for the first-start suites (setup link, demo data policy, create-admin),
// whose rules look at what the database holds, not at whether its tables were
// just made. A PGlite data directory is copied with cpSync, a PostgreSQL
// database created with `CREATE DATABASE … TEMPLATE`. A fresh PGlite store
// costs an initdb and every migration (six CPU seconds), a seeded one also two
// key pairs and two Argon2 hashes; a copy costs milliseconds. The suites that
// test the start from nothing (tests/integration/database.test.ts) still get
// empty stores. The test runners' global setups (tests/helpers/globalSetup.ts,
// Playwright's) make both and name them in the environment; a process started
// without them gets fresh stores instead.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createTestDatabase, type TestDatabase } from "./postgres";

const execFileAsync = promisify(execFile);

/** The secret every store copied from a template shares (its signing keys are encrypted with it). */
export const TEMPLATE_SECRET = "test-template-secret-8d0c5f7e9b2a4c6d1e3f5a7b9c0d2e4f";

/** Where the running test session's templates are, if its global setup made them. */
export const TEMPLATE_DIR_VARIABLE = "GATEHOUSE_TEST_TEMPLATE_DIR";
export const TEMPLATE_DATABASE_VARIABLE = "GATEHOUSE_TEST_TEMPLATE_DATABASE";
/** The migrated-only templates (no keys, no data). */
export const MIGRATED_TEMPLATE_DIR_VARIABLE = "GATEHOUSE_TEST_MIGRATED_TEMPLATE_DIR";
export const MIGRATED_TEMPLATE_DATABASE_VARIABLE = "GATEHOUSE_TEST_MIGRATED_TEMPLATE_DATABASE";

export interface Template {
  /** Variables to hand to the test processes (the runner's workers inherit them). */
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** Runs `dist/cli.js <command>` (migrate: the migrations; seed-demo: also signing keys, demo clients, alice and admin). */
async function cli(projectRoot: string, command: "migrate" | "seed-demo", env: Record<string, string>): Promise<void> {
  await execFileAsync(process.execPath, [path.join(projectRoot, "dist/cli.js"), command], {
    cwd: projectRoot,
    env: { ...process.env, GATEHOUSE_SECRET: TEMPLATE_SECRET, ...env },
  });
}

export async function makePgliteTemplate(projectRoot: string, adminPassword: string): Promise<Template> {
  const base = path.join(projectRoot, "tests", ".tmp", `template-${process.pid}-${Date.now().toString(36)}`);
  const migrated = `${base}-migrated`;
  fs.mkdirSync(migrated, { recursive: true });
  await cli(projectRoot, "migrate", { GATEHOUSE_DATA_DIR: migrated });
  // The seeded template starts as a copy of the migrated one: one initdb and one set of migrations for both.
  fs.cpSync(migrated, base, { recursive: true });
  await cli(projectRoot, "seed-demo", { GATEHOUSE_DATA_DIR: base, GATEHOUSE_ADMIN_PASSWORD: adminPassword });
  return {
    env: { [TEMPLATE_DIR_VARIABLE]: base, [MIGRATED_TEMPLATE_DIR_VARIABLE]: migrated },
    async remove() {
      fs.rmSync(base, { recursive: true, force: true });
      fs.rmSync(migrated, { recursive: true, force: true });
    },
  };
}

export async function makePostgresTemplate(projectRoot: string, adminPassword: string): Promise<Template> {
  const migrated: TestDatabase = await createTestDatabase("gatehouse_template_migrated");
  const dir = path.join(projectRoot, "tests", ".tmp", `template-pg-${process.pid}-${Date.now().toString(36)}`);
  try {
    await cli(projectRoot, "migrate", { DATABASE_URL: migrated.url, GATEHOUSE_DATA_DIR: dir });
    const database = await createTestDatabase("gatehouse_template", migrated.name);
    await cli(projectRoot, "seed-demo", { DATABASE_URL: database.url, GATEHOUSE_ADMIN_PASSWORD: adminPassword, GATEHOUSE_DATA_DIR: dir });
    return {
      env: { [TEMPLATE_DATABASE_VARIABLE]: database.name, [MIGRATED_TEMPLATE_DATABASE_VARIABLE]: migrated.name },
      remove: async () => {
        await database.drop();
        await migrated.drop();
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export type TemplateKind = "seeded" | "migrated";

/** Copies the session's PGlite template of that kind into `dataDir`, if there is one. */
export function copyPgliteTemplate(dataDir: string, kind: TemplateKind = "seeded"): boolean {
  const template = process.env[kind === "seeded" ? TEMPLATE_DIR_VARIABLE : MIGRATED_TEMPLATE_DIR_VARIABLE];
  if (!template || !fs.existsSync(template)) return false;
  fs.cpSync(template, dataDir, { recursive: true });
  return true;
}

/** The session's PostgreSQL template database of that kind, if there is one. */
export function postgresTemplateName(kind: TemplateKind = "seeded"): string | undefined {
  return process.env[kind === "seeded" ? TEMPLATE_DATABASE_VARIABLE : MIGRATED_TEMPLATE_DATABASE_VARIABLE] || undefined;
}
