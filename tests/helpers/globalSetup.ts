// Vitest's global setup for the suites that start servers: makes the test
// session's template store once (tests/helpers/template.ts) for the backend
// under test, names it in the environment the workers inherit, and removes it
// at the end.
import { makePgliteTemplate, makePostgresTemplate, type Template } from "./template";
import { PROJECT_ROOT, TEST_ADMIN_PASSWORD, testBackend } from "./server";
import { postgresAvailable } from "./postgres";

let template: Template | undefined;

export async function setup(): Promise<void> {
  if (testBackend() === "postgres" && !(await postgresAvailable())) return; // the suites skip or fail on their own
  template = testBackend() === "postgres" ? await makePostgresTemplate(PROJECT_ROOT, TEST_ADMIN_PASSWORD) : await makePgliteTemplate(PROJECT_ROOT, TEST_ADMIN_PASSWORD);
  Object.assign(process.env, template.env);
}

export async function teardown(): Promise<void> {
  await template?.remove();
}
