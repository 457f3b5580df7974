// Vitest's global setup for the suites that start servers: makes the test
// session's template store once (tests/helpers/template.ts) for a backend,
// names it in the environment the workers inherit, and removes it at the end.
// It also makes the directory where the workers record the servers they share
// (tests/helpers/sharedServer.ts), and stops those servers at the end.
// One setup per backend: `npm test` runs the PGlite and PostgreSQL projects
// in one vitest process, so neither may set the other's backend globally.
import fs from "node:fs";
import path from "node:path";
import { postgresAvailable } from "./postgres";
import { PROJECT_ROOT, type Backend } from "./server";
import { SHARED_DIR_VARIABLE, stopSharedServers } from "./sharedServer";
import { sessionTemplate, type Template } from "./template";

/** The session's directory for shared servers: one per vitest process, whichever backend's setup comes first. */
const sharedDir = path.join(PROJECT_ROOT, "tests", ".tmp", `shared-${process.pid}`);

/** Per backend: its template, and how many projects' setups use it (interop and integration share PGlite's). */
const sessions = new Map<Backend, { template: Promise<Template | undefined>; users: number }>();

export function globalSetupFor(backend: Backend) {
  return {
    async setup(): Promise<void> {
      let session = sessions.get(backend);
      if (!session) {
        session = { template: makeTemplate(backend), users: 0 };
        sessions.set(backend, session);
      }
      session.users++;
      const template = await session.template;
      if (!template) return; // no PostgreSQL: the suites skip or fail on their own
      Object.assign(process.env, template.env);
      fs.mkdirSync(sharedDir, { recursive: true });
      process.env[SHARED_DIR_VARIABLE] = sharedDir;
    },
    async teardown(): Promise<void> {
      const session = sessions.get(backend);
      if (!session || --session.users > 0) return;
      sessions.delete(backend);
      await stopSharedServers(sharedDir, backend);
      await (await session.template)?.remove();
      // The other backend's setup may be another module instance with servers of its own still recorded here:
      // the last one out removes the directory.
      try {
        fs.rmdirSync(sharedDir);
      } catch {
        /* not empty yet, or gone */
      }
    },
  };
}

async function makeTemplate(backend: Backend): Promise<Template | undefined> {
  if (backend === "postgres") {
    if (!(await postgresAvailable())) return undefined;
  }
  return sessionTemplate(backend, PROJECT_ROOT);
}
