// The integration and interop projects' global setup: the template data directory for the embedded PGlite.
process.env.GATEHOUSE_TEST_BACKEND = "pglite";
export { setup, teardown } from "./globalSetup";
