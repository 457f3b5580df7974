// A migrated, keyed and seeded store made once per test run and copied for
// each suite that wants the demo data: a PGlite data directory copied with
// cpSync, or a PostgreSQL database created with `CREATE DATABASE … TEMPLATE`.
// A fresh store costs a Node.js start, every migration, two key pairs and two
// Argon2 hashes; a copy costs milliseconds. The test runners' global setups
// (tests/helpers/globalSetup.ts, Playwright's) make it and name it in the
// environment; a process started without them gets fresh stores instead.
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

export interface Template {
  /** Variables to hand to the test processes (the runner's workers inherit them). */
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** Runs `dist/cli.js seed-demo` on a new store: migrations, signing keys, demo clients, alice and admin. */
async function seed(projectRoot: string, env: Record<string, string>): Promise<void> {
  await execFileAsync(process.execPath, [path.join(projectRoot, "dist/cli.js"), "seed-demo"], {
    cwd: projectRoot,
    env: { ...process.env, GATEHOUSE_SECRET: TEMPLATE_SECRET, ...env },
  });
}

export async function makePgliteTemplate(projectRoot: string, adminPassword: string): Promise<Template> {
  const dir = path.join(projectRoot, "tests", ".tmp", `template-${process.pid}-${Date.now().toString(36)}`);
  fs.mkdirSync(dir, { recursive: true });
  await seed(projectRoot, { GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: adminPassword });
  return {
    env: { [TEMPLATE_DIR_VARIABLE]: dir },
    async remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function makePostgresTemplate(projectRoot: string, adminPassword: string): Promise<Template> {
  const database: TestDatabase = await createTestDatabase("gatehouse_template");
  const dir = path.join(projectRoot, "tests", ".tmp", `template-pg-${process.pid}-${Date.now().toString(36)}`);
  await seed(projectRoot, { DATABASE_URL: database.url, GATEHOUSE_ADMIN_PASSWORD: adminPassword, GATEHOUSE_DATA_DIR: dir });
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    env: { [TEMPLATE_DATABASE_VARIABLE]: database.name },
    remove: () => database.drop(),
  };
}

/** Copies the session's PGlite template into `dataDir`, if there is one. */
export function copyPgliteTemplate(dataDir: string): boolean {
  const template = process.env[TEMPLATE_DIR_VARIABLE];
  if (!template || !fs.existsSync(template)) return false;
  fs.cpSync(template, dataDir, { recursive: true });
  return true;
}

/** The session's PostgreSQL template database, if there is one. */
export function postgresTemplateName(): string | undefined {
  return process.env[TEMPLATE_DATABASE_VARIABLE] || undefined;
}
