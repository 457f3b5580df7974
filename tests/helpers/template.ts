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
// empty stores. scripts/test-templates.mjs makes them: `npm test` once for all
// its runners, else each runner's global setup (tests/helpers/globalSetup.ts,
// Playwright's); a process started without either gets fresh stores instead.
import fs from "node:fs";
import {
  MIGRATED_TEMPLATE_DATABASE_VARIABLE,
  MIGRATED_TEMPLATE_DIR_VARIABLE,
  TEMPLATE_DATABASE_VARIABLE,
  TEMPLATE_DIR_VARIABLE,
  makePgliteTemplate,
  makePostgresTemplate,
  templatesNamed,
  type Template,
} from "../../scripts/test-templates.mjs";

export { TEMPLATE_SECRET } from "../../scripts/test-templates.mjs";
export type { Template };

export type TemplateKind = "seeded" | "migrated";

/**
 * The session's templates for `backend`: the ones `npm test` made and named in the environment
 * (left for it to remove), or new ones this runner removes at the end.
 */
export async function sessionTemplate(backend: "pglite" | "postgres", projectRoot: string): Promise<Template> {
  if (templatesNamed(backend)) return { env: {}, remove: async () => undefined };
  return backend === "postgres" ? makePostgresTemplate(projectRoot) : makePgliteTemplate(projectRoot);
}

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
