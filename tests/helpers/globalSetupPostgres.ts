// The integration-postgres project's global setup: the template database for PostgreSQL.
process.env.GATEHOUSE_TEST_BACKEND = "postgres";
export { setup, teardown } from "./globalSetup";
