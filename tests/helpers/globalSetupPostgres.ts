// The integration-postgres project's global setup: the template database for PostgreSQL.
import { globalSetupFor } from "./globalSetup";

export const { setup, teardown } = globalSetupFor("postgres");
