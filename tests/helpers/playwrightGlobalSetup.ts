// Playwright's global setup: the test session's template store for the backend
// under test (tests/helpers/template.ts), named in the environment the workers
// inherit; the function it returns removes it at the end.
import { postgresAvailable } from "./postgres";
import { PROJECT_ROOT, TEST_ADMIN_PASSWORD, testBackend } from "./server";
import { makePgliteTemplate, makePostgresTemplate } from "./template";

export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  const postgres = testBackend() === "postgres";
  if (postgres && !(await postgresAvailable())) return undefined;
  const template = postgres ? await makePostgresTemplate(PROJECT_ROOT, TEST_ADMIN_PASSWORD) : await makePgliteTemplate(PROJECT_ROOT, TEST_ADMIN_PASSWORD);
  Object.assign(process.env, template.env);
  return () => template.remove();
}
