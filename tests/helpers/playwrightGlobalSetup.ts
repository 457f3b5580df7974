// Playwright's global setup: the test session's template stores for the backend
// under test (tests/helpers/template.ts), named in the environment the workers
// inherit (unless `npm test` made them already); the function it returns
// removes the ones it made at the end.
import { postgresAvailable } from "./postgres";
import { PROJECT_ROOT, testBackend } from "./server";
import { sessionTemplate } from "./template";

export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  const backend = testBackend();
  if (backend === "postgres" && !(await postgresAvailable())) return undefined;
  const template = await sessionTemplate(backend, PROJECT_ROOT);
  Object.assign(process.env, template.env);
  return () => template.remove();
}
